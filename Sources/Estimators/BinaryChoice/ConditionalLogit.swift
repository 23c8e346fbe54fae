import Foundation
import LinearAlgebra

/// The conditional log-likelihood of the slope β in the fixed-effects logit, given each group's
/// number of ones (Chamberlain 1980): the group intercepts drop out, so β is estimated without
/// incidental-parameter bias.
///
/// For a group with individuals t = 1 … n, k ones and η_t = β x_t,
/// ℓ_g(β) = Σ_{t: y_t = 1} η_t − log f(n, k),   f(n, k) = Σ_{|S| = k} exp(Σ_{t∈S} η_t),
/// and f comes from the recursion (Gail, Lubin & Rubinstein 1981; Howard 1972)
/// f(t, k) = f(t−1, k) + e^{η_t} f(t−1, k−1),  f(t, 0) = 1, f(0, k>0) = 0,
/// in O(n·k) operations instead of C(n, k) terms. Its derivatives follow the same recursion:
/// f′(t, k) = f′(t−1, k) + e^{η_t}(x_t f(t−1, k−1) + f′(t−1, k−1)) and likewise for f″, so
/// f′/f = E_β[Σ_{t∈S} x_t] and f″/f − (f′/f)² = Var_β[Σ_{t∈S} x_t] under the conditional
/// distribution of the set of ones S.
///
/// Stability: the weights use e^{β(x_t − x_c)} ≤ 1 (x_c the group's largest β·x), which only
/// multiplies f by the constant e^{kβx_c}; rows are rescaled every 128 steps and the scale kept on
/// the log scale, so f never overflows; the moments are accumulated in x_t − x̄_g to limit
/// cancellation in the variance. A group with k > n/2 is evaluated as its mirror image (ones and
/// zeros swapped, x negated), which leaves ℓ_g unchanged and halves the work. Groups with all-0 or
/// all-1 outcomes contribute nothing and are dropped.
public struct ConditionalLogitLikelihood: Sendable {
  struct Group: Sendable {
    /// x (negated when the group is mirrored).
    var x: [Double]
    var mean: Double
    /// Σ x over the ones (after mirroring).
    var sumOnes: Double
    /// The number of ones after mirroring, ≤ n/2.
    var k: Int
  }
  let groups: [Group]
  let informative: InformativeGroups
  /// The number of groups dropped for having all-0 or all-1 outcomes.
  public var droppedGroups: Int { informative.dropped }

  public init(_ data: GroupedBinaryData) throws(EstimationError) {
    informative = try InformativeGroups(data, model: "conditional logit")
    groups = informative.groups.map { g in
      let r = data.range(g)
      let n = r.count
      let ones = Int(data.y[r].reduce(0, +))
      let mirrored = 2 * ones > n
      let target = mirrored ? 0.0 : 1.0
      let sign = mirrored ? -1.0 : 1.0
      let xs = data.x[r].map { sign * $0 }
      var sumOnes = 0.0
      for (t, j) in r.enumerated() where data.y[j] == target { sumOnes += xs[t] }
      return Group(x: xs, mean: xs.reduce(0, +) / Double(n), sumOnes: sumOnes, k: mirrored ? n - ones : ones)
    }
  }

  /// ℓ(β) = Σ_g ℓ_g(β) with its first and second derivatives.
  public func evaluate(_ beta: Double) -> (value: Double, gradient: Double, hessian: Double) {
    var value = 0.0
    var gradient = 0.0
    var hessian = 0.0
    let longest = groups.map(\.k).max() ?? 0
    var f = [Double](repeating: 0, count: longest + 1)
    var f1 = f
    var f2 = f
    for group in groups {
      let k = group.k
      let n = group.x.count
      let xc = beta >= 0 ? group.x.max()! : group.x.min()!
      for i in 0...k {
        f[i] = 0
        f1[i] = 0
        f2[i] = 0
      }
      f[0] = 1
      var logScale = 0.0
      group.x.withUnsafeBufferPointer { x in
        for t in 0..<n {
          let a = exp(beta * (x[t] - xc))
          let u = x[t] - group.mean
          let hi = min(t + 1, k)
          let lo = max(1, k - (n - 1 - t))
          if hi >= lo {
            for i in stride(from: hi, through: lo, by: -1) {
              let fPrev = f[i - 1]
              let f1Prev = f1[i - 1]
              f[i] += a * fPrev
              f1[i] += a * (u * fPrev + f1Prev)
              f2[i] += a * (u * u * fPrev + 2 * u * f1Prev + f2[i - 1])
            }
          }
          if t % 128 == 127 {
            var biggest = 0.0
            for i in 0...k { biggest = max(biggest, abs(f[i])) }
            if biggest > 0 {
              for i in 0...k {
                f[i] /= biggest
                f1[i] /= biggest
                f2[i] /= biggest
              }
              logScale += log(biggest)
            }
          }
        }
      }
      let m = f1[k] / f[k]
      value += beta * group.sumOnes - (log(f[k]) + logScale + Double(k) * beta * xc)
      gradient += group.sumOnes - (m + Double(k) * group.mean)
      hessian -= f2[k] / f[k] - m * m
    }
    return (value, gradient, hessian)
  }
}

/// The conditional (fixed-effects) logit: maximises `ConditionalLogitLikelihood` over the slope of x
/// by Newton's method with step halving; converged when the Newton decrement |ℓ′|/(−ℓ″)^{1/2} (the
/// remaining step in standard errors) is ≤ `NewtonOptions.tolerance` (1e-10). SE = (−ℓ″(β̂))^{−1/2}.
/// Separation is checked exactly first (see `InformativeGroups.checkSeparation`). The group-level z
/// is not identified.
/// Cost per iteration O(Σ_g n_g·min(k_g, n_g − k_g)).
public struct ConditionalLogit: Sendable {
  public var options: NewtonOptions
  public init(options: NewtonOptions = NewtonOptions()) { self.options = options }

  /// Coefficient "x".
  public func fit(_ data: GroupedBinaryData) throws(EstimationError) -> BinaryChoiceFit {
    let model = "conditional logit"
    let likelihood = try ConditionalLogitLikelihood(data)
    try likelihood.informative.checkSeparation(data, model: model)
    var beta = 0.0
    var current = likelihood.evaluate(beta)
    var iterations = 0
    var converged = false
    var decrement = Double.infinity
    newton: while true {
      guard current.hessian < 0, current.hessian.isFinite else {
        throw .numerical("\(model): the conditional information is not positive (\(-current.hessian))")
      }
      decrement = abs(current.gradient) / (-current.hessian).squareRoot()
      if decrement <= options.tolerance {
        converged = true
        break
      }
      guard iterations < options.maxIterations else { break }
      iterations += 1
      let delta = -current.gradient / current.hessian
      var step = 1.0
      for _ in 0...options.maxHalvings {
        let trial = likelihood.evaluate(beta + step * delta)
        if trial.value.isFinite, trial.value >= current.value - 1e-14 * abs(current.value) {
          beta += step * delta
          current = trial
          continue newton
        }
        step /= 2
      }
      converged = true  // no increase possible along the Newton direction: at floating-point resolution
      break
    }
    guard current.hessian < 0, current.hessian.isFinite else {
      throw .numerical("\(model): the conditional information is not positive at the estimate")
    }
    let droppedNote = "dropped \(likelihood.droppedGroups) of \(data.groupCount) groups with all-0 or all-1 outcomes"
    return BinaryChoiceFit(
      names: ["x"], coefficients: [beta], covariance: Matrix(rows: 1, cols: 1, repeating: -1 / current.hessian),
      logLikelihood: current.value,
      summary: FitSummary(
        converged: converged, iterations: iterations, objective: -2 * current.value,
        message: converged
          ? droppedNote
          : "iteration cap \(options.maxIterations) reached; last Newton decrement \(decrement); \(droppedNote)"))
  }
}
