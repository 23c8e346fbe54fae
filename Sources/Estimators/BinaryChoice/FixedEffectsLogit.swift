import Foundation
import LinearAlgebra

/// The groups that carry information about a within-group slope: those with both outcomes.
struct InformativeGroups: Sendable {
  /// Indices (into the data's groups) of the groups with at least one 0 and one 1.
  let groups: [Int]
  /// How many groups had all-0 or all-1 outcomes.
  let dropped: Int

  init(_ data: GroupedBinaryData, model: String) throws(EstimationError) {
    var kept: [Int] = []
    for g in 0..<data.groupCount {
      let r = data.range(g)
      let ones = data.y[r].reduce(0, +)
      if ones > 0, ones < Double(r.count) { kept.append(g) }
    }
    guard !kept.isEmpty else {
      throw .invalidInput("\(model): every group has all-0 or all-1 outcomes, so no group carries information")
    }
    guard kept.contains(where: { g in
      let r = data.range(g)
      return data.x[r].contains { $0 != data.x[r.lowerBound] }
    }) else {
      throw .invalidInput("\(model): x does not vary within any informative group, so its slope is not identified")
    }
    groups = kept
    dropped = data.groupCount - kept.count
  }

  /// Exact separation check for a model with a free intercept per group and one common slope β on
  /// x (the fixed-effects logit and the conditional logit). The MLE of β fails to exist iff some
  /// sign s = ±1 orders every informative group so that all its ones have s·x at least as large
  /// as all its zeros (then (α_g, β) can grow along a direction that fits no observation worse,
  /// Albert & Anderson 1984; for the conditional likelihood the score is then positive for every
  /// β). O(n).
  func checkSeparation(_ data: GroupedBinaryData, model: String) throws(EstimationError) {
    for s in [1.0, -1.0] {
      let separated = groups.allSatisfy { g in
        var minOne = Double.infinity
        var maxZero = -Double.infinity
        for j in data.range(g) {
          if data.y[j] == 1 { minOne = min(minOne, s * data.x[j]) } else { maxZero = max(maxZero, s * data.x[j]) }
        }
        return minOne >= maxZero
      }
      if separated {
        throw .separation(
          "\(model): in every one of the \(groups.count) informative groups all ones have \(s > 0 ? "larger" : "smaller") "
            + "x than all zeros, so the likelihood increases without bound as the slope of x goes to \(s > 0 ? "+∞" : "−∞")")
      }
    }
  }
}

/// The fixed-effects (group-dummy) logit: logit P(y_j = 1) = α_{g(j)} + β x_j by maximum likelihood
/// over (α_1 … α_G, β).
///
/// Groups with all-0 or all-1 outcomes have α_g = ∓∞ and carry no information on β: they are
/// dropped and counted (in the fit message). The group-level covariate z is collinear with the
/// dummies, so its coefficient is not identified: the fit has no "z" coefficient and
/// `output` reports it as not identified.
///
/// Newton's method exploits the arrow structure of the information matrix
/// [[D, c], [cᵀ, e]] with D = diag(Σ_g w), c_g = Σ_g w x, e = Σ w x², w = p(1 − p): the slope step
/// comes from the Schur complement S = e − Σ_g c_g²/D_g,
/// δβ = (s − Σ_g c_g r_g/D_g)/S, δα_g = (r_g − c_g δβ)/D_g (r_g, s the scores),
/// so an iteration costs O(n) instead of O(n G²). Var(β̂) = 1/S at the estimate (the β block of
/// the inverse information). Step halving on the deviance, convergence on the relative deviance
/// change (`NewtonOptions`). Separation is checked exactly before iterating (see
/// `InformativeGroups.checkSeparation`). With few individuals per group the estimate suffers the
/// incidental-parameter bias (Neyman & Scott 1948; Andersen 1970), which the conditional logit avoids.
public struct FixedEffectsLogit: Sendable {
  public var options: NewtonOptions
  public init(options: NewtonOptions = NewtonOptions()) { self.options = options }

  /// Coefficient "x" (the group intercepts are not reported).
  public func fit(_ data: GroupedBinaryData) throws(EstimationError) -> BinaryChoiceFit {
    let model = "fixed-effects logit"
    let informative = try InformativeGroups(data, model: model)
    try informative.checkSeparation(data, model: model)
    let groups = informative.groups
    let gCount = groups.count
    let x = data.x
    let y = data.y

    var alpha = groups.map { g -> Double in
      let r = data.range(g)
      let share = y[r].reduce(0, +) / Double(r.count)
      return log(share / (1 - share))
    }
    var beta = 0.0

    func deviance(_ alpha: [Double], _ beta: Double) -> Double {
      var d = 0.0
      for (i, g) in groups.enumerated() {
        for j in data.range(g) { d += softplus((1 - 2 * y[j]) * (alpha[i] + beta * x[j])) }
      }
      return 2 * d
    }

    /// The Schur-complement Newton system at (α, β): per-group D, c, r and the slope's S and
    /// right-hand side.
    func system(_ alpha: [Double], _ beta: Double) -> (d: [Double], c: [Double], r: [Double], schur: Double, rhs: Double) {
      var d = [Double](repeating: 0, count: gCount)
      var c = d
      var r = d
      var e = 0.0
      var s = 0.0
      for (i, g) in groups.enumerated() {
        var dg = 0.0
        var cg = 0.0
        var rg = 0.0
        for j in data.range(g) {
          let prob = logistic(alpha[i] + beta * x[j])
          let w = prob * (1 - prob)
          let res = y[j] - prob
          dg += w
          cg += w * x[j]
          rg += res
          e += w * x[j] * x[j]
          s += res * x[j]
        }
        d[i] = dg
        c[i] = cg
        r[i] = rg
      }
      var schur = e
      var rhs = s
      for i in 0..<gCount {
        schur -= c[i] * c[i] / d[i]
        rhs -= c[i] * r[i] / d[i]
      }
      return (d, c, r, schur, rhs)
    }

    var dev = deviance(alpha, beta)
    var iterations = 0
    var converged = false
    var lastChange = Double.infinity
    newton: while iterations < options.maxIterations {
      iterations += 1
      let sys = system(alpha, beta)
      guard sys.schur > 0, sys.schur.isFinite else {
        throw .numerical("\(model): the information for the slope of x is not positive (\(sys.schur))")
      }
      let dBeta = sys.rhs / sys.schur
      let dAlpha = (0..<gCount).map { (sys.r[$0] - sys.c[$0] * dBeta) / sys.d[$0] }
      var step = 1.0
      for _ in 0...options.maxHalvings {
        let trialAlpha = (0..<gCount).map { alpha[$0] + step * dAlpha[$0] }
        let trialBeta = beta + step * dBeta
        let trialDev = deviance(trialAlpha, trialBeta)
        if trialDev.isFinite, trialDev <= dev * (1 + 1e-14) {
          lastChange = relativeChange(dev, trialDev)
          alpha = trialAlpha
          beta = trialBeta
          dev = trialDev
          if lastChange <= options.tolerance {
            converged = true
            break newton
          }
          continue newton
        }
        step /= 2
      }
      converged = true  // no decrease possible along the Newton direction: at floating-point resolution
      break
    }
    let schur = system(alpha, beta).schur
    guard schur > 0, schur.isFinite else {
      throw .numerical("\(model): the information for the slope of x is not positive at the estimate")
    }
    let droppedNote = "dropped \(informative.dropped) of \(data.groupCount) groups with all-0 or all-1 outcomes"
    return BinaryChoiceFit(
      names: ["x"], coefficients: [beta], covariance: Matrix(rows: 1, cols: 1, repeating: 1 / schur),
      logLikelihood: -dev / 2,
      summary: FitSummary(
        converged: converged, iterations: iterations, objective: dev,
        message: converged
          ? droppedNote
          : "iteration cap \(options.maxIterations) reached; last relative deviance change \(lastChange); \(droppedNote)"))
  }
}
