import Foundation
import LinearAlgebra

/// The groups that carry information about a within-group slope: those with both outcomes.
struct InformativeGroups: Sendable {
  /// Indices (into the data's groups) of the groups with at least one 0 and one 1.
  let groups: [Int]
  /// How many groups had all-0 or all-1 outcomes.
  let dropped: Int

  init(_ data: GroupedBinaryData, model: String) throws(EstimationError) {
    let kept = Self.indices(data)
    guard !kept.isEmpty else {
      throw .invalidInput("\(model): every group has all-0 or all-1 outcomes, so no group carries information")
    }
    guard Self.xVaries(in: kept, data) else {
      throw .invalidInput("\(model): x does not vary within any informative group, so its slope is not identified")
    }
    groups = kept
    dropped = data.groupCount - kept.count
  }

  /// The groups with at least one 0 and one 1.
  private static func indices(_ data: GroupedBinaryData) -> [Int] {
    (0..<data.groupCount).filter { g in
      let r = data.range(g)
      let ones = data.y[r].reduce(0, +)
      return ones > 0 && ones < Double(r.count)
    }
  }

  /// Whether x takes two values within at least one of `groups`.
  private static func xVaries(in groups: [Int], _ data: GroupedBinaryData) -> Bool {
    groups.contains { g in
      let r = data.range(g)
      return data.x[r].contains { $0 != data.x[r.lowerBound] }
    }
  }

  /// Exact separation check for a model with a free intercept per group and one common slope β on
  /// x (the fixed-effects logit and the conditional logit). The MLE of β fails to exist iff some
  /// sign s = ±1 orders every informative group so that all its ones have s·x at least as large
  /// as all its zeros (then (α_g, β) can grow along a direction that fits no observation worse,
  /// Albert & Anderson 1984; for the conditional likelihood the score is then positive for every
  /// β). O(n).
  func checkSeparation(_ data: GroupedBinaryData, model: String) throws(EstimationError) {
    try Self.checkSeparation(groups, data, model: model)
  }

  /// The same check for models that also learn from between-group variation (random-intercept,
  /// Mundlak and latent-Mundlak logits), which do not need informative groups to fit: when every
  /// group with both outcomes is separated by x in one direction, their integrated likelihoods
  /// have no interior maximum either (the slope and τ grow together), and adaptive quadrature of
  /// the then box-shaped integrand overshoots the supremum rather than failing. Nothing to check
  /// without informative groups in which x varies.
  static func checkWithinGroupSeparation(_ data: GroupedBinaryData, model: String) throws(EstimationError) {
    let informative = indices(data)
    guard xVaries(in: informative, data) else { return }
    try checkSeparation(informative, data, model: model)
  }

  private static func checkSeparation(_ groups: [Int], _ data: GroupedBinaryData, model: String) throws(EstimationError) {
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
/// so an iteration costs O(n) instead of O(n G²): one fused pass over the rows computes the deviance
/// and the whole system (one exponential per row), and the accepted step-halving trial's pass is the
/// next iteration's system. Var(β̂) = 1/S at the estimate (the β block of the inverse information).
/// Step halving on the deviance; convergence when the Newton decrement λ = (gᵀH⁻¹g)^{1/2},
/// λ² = Σ_g r_g δα_g + s δβ, is ≤ `NewtonOptions.tolerance`. Separation is checked exactly before
/// iterating (see `InformativeGroups.checkSeparation`). With few individuals per group the estimate suffers the
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
    let ranges = groups.map { data.range($0) }
    var current = FixedEffectsNewtonState(
      alpha: ranges.map { r -> Double in
        let share = data.y[r].reduce(0, +) / Double(r.count)
        return log(share / (1 - share))
      }, beta: 0)
    var trial = current
    var dAlpha = [Double](repeating: 0, count: gCount)
    data.x.withUnsafeBufferPointer { x in
      data.y.withUnsafeBufferPointer { y in current.evaluate(ranges: ranges, x: x, y: y) }
    }

    var iterations = 0
    var converged = false
    var decrement = Double.infinity
    try data.x.withUnsafeBufferPointer { x throws(EstimationError) in
      try data.y.withUnsafeBufferPointer { y throws(EstimationError) in
        newton: while true {
          guard current.schur > 0, current.schur.isFinite else {
            throw .numerical("\(model): the information for the slope of x is not positive (\(current.schur))")
          }
          let dBeta = current.rhs / current.schur
          var squared = current.slopeScore * dBeta
          for i in 0..<gCount {
            dAlpha[i] = (current.r[i] - current.c[i] * dBeta) / current.d[i]
            squared += current.r[i] * dAlpha[i]
          }
          decrement = max(squared, 0).squareRoot()
          if decrement <= options.tolerance {
            converged = true
            break
          }
          guard iterations < options.maxIterations else { break }
          iterations += 1
          var step = 1.0
          for _ in 0...options.maxHalvings {
            for i in 0..<gCount { trial.alpha[i] = current.alpha[i] + step * dAlpha[i] }
            trial.beta = current.beta + step * dBeta
            trial.evaluate(ranges: ranges, x: x, y: y)
            if trial.deviance.isFinite, trial.deviance <= current.deviance * (1 + 1e-14) {
              swap(&current, &trial)
              continue newton
            }
            step /= 2
          }
          converged = true  // no decrease possible along the Newton direction: at floating-point resolution
          break
        }
      }
    }
    let beta = current.beta
    let dev = current.deviance
    let schur = current.schur
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
          : "iteration cap \(options.maxIterations) reached; last Newton decrement \(decrement); \(droppedNote)"))
  }
}

/// The iterate of `FixedEffectsLogit`'s Newton method and its one fused pass: the deviance and the
/// Schur-complement Newton system (per-group D_g, c_g, r_g; the slope's score, S and right-hand side).
struct FixedEffectsNewtonState {
  var alpha: [Double]
  var beta: Double
  var deviance = 0.0
  var d: [Double]
  var c: [Double]
  var r: [Double]
  var slopeScore = 0.0
  var schur = 0.0
  var rhs = 0.0

  init(alpha: [Double], beta: Double) {
    self.alpha = alpha
    self.beta = beta
    d = [Double](repeating: 0, count: alpha.count)
    c = d
    r = d
  }

  /// One pass over the informative groups' rows at (α, β), one exponential per row (`logitRow`).
  mutating func evaluate(ranges: [Range<Int>], x: UnsafeBufferPointer<Double>, y: UnsafeBufferPointer<Double>) {
    var e = 0.0
    var s = 0.0
    var linear = 0.0
    var product = 1.0
    var logProduct = 0.0
    var counter = 0
    for (i, range) in ranges.enumerated() {
      let a = alpha[i]
      var dg = 0.0
      var cg = 0.0
      var rg = 0.0
      for j in range {
        let xj = x[j]
        let (res, w, margin, f) = logitRow(a + beta * xj, y[j])
        if margin <= 0 { linear -= margin }
        product *= f
        counter += 1
        if counter == 256 {
          logProduct += log(product)
          product = 1
          counter = 0
        }
        let wx = w * xj
        dg += w
        cg += wx
        rg += res
        e += wx * xj
        s += res * xj
      }
      d[i] = dg
      c[i] = cg
      r[i] = rg
    }
    logProduct += log(product)
    deviance = 2 * (linear + logProduct)
    var schur = e
    var rhs = s
    for i in 0..<alpha.count {
      schur -= c[i] * c[i] / d[i]
      rhs -= c[i] * r[i] / d[i]
    }
    slopeScore = s
    self.schur = schur
    self.rhs = rhs
  }
}
