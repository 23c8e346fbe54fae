import SimStudy

/// A fitted autoregressive coefficient with its standard error.
public struct AutoregressiveFit: Sendable, Equatable {
  /// ρ̂.
  public var rho: Double
  /// The standard error of ρ̂ (see each estimator for which one).
  public var se: Double
  /// The observations (unit-periods) the estimate used.
  public var observations: Int

  public init(rho: Double, se: Double, observations: Int) {
    self.rho = rho
    self.se = se
    self.observations = observations
  }

  /// The estimate of estimand `"rho"` with a 95% Wald interval and the p-value of ρ = 0.
  public var output: MethodOutput { MethodOutput([Estimate.wald("rho", value: rho, se: se)]) }
}

/// The within (LSDV, fixed-effects) estimator of ρ in y_it = α_i + ρ·y_i,t−1 + ε_it:
/// OLS of the unit-demeaned outcome on the unit-demeaned lag over t = 1 … T,
///
///     ρ̂ = Σ_i Σ_{t=1}^T (y_i,t−1 − ȳ_i,−1)(y_it − ȳ_i) / Σ_i Σ_{t=1}^T (y_i,t−1 − ȳ_i,−1)²,
///     ȳ_i = (1/T) Σ_{t=1}^T y_it,   ȳ_i,−1 = (1/T) Σ_{t=1}^T y_i,t−1,
///
/// which equals the slope of the regression of y_it on y_i,t−1 and N unit dummies (Frisch–Waugh–
/// Lovell). Standard error: the **homoskedastic** OLS formula of that dummy-variable regression,
/// SE = √(s² / Σ(y_i,t−1 − ȳ_i,−1)²) with s² = RSS / (N(T − 1) − 1) — NT observations less N
/// effects and one slope.
///
/// For fixed T it is inconsistent as N → ∞: the demeaned lag is correlated with the demeaned error
/// through ȳ_i, which contains ε_i1 … ε_i,T−1 (Nickell 1981). The bias is of order 1/T and is
/// negative for ρ > 0, about −(1 + ρ)/(T − 1) for large T; ``NickellBias`` gives its exact
/// probability limit under a stationary start.
///
/// - Nickell, S. (1981). Biases in dynamic models with fixed effects. *Econometrica* 49(6), 1417–1426.
public struct WithinEstimator: Sendable {
  public init() {}

  /// A description of the method, for a study's fingerprint.
  public static let settings = "OLS of (y_it − ȳ_i) on (y_i,t−1 − ȳ_i,−1), t = 1..T; homoskedastic SE with N(T−1)−1 d.f."

  /// Throws `EstimationError.invalidInput` for T < 2, too few degrees of freedom (N(T − 1) ≤ 1) or
  /// non-finite data, and `.numerical` when the demeaned lag has no variation.
  public func fit(_ sample: DynamicPanelSample) throws(EstimationError) -> AutoregressiveFit {
    let n = sample.units, t = sample.periods
    guard t >= 2 else {
      throw .invalidInput("the within estimator needs T ≥ 2 periods after y_i0 (got T = \(t)): with one period the demeaned lag is 0")
    }
    let df = n * (t - 1) - 1
    guard df >= 1 else { throw .invalidInput("the within estimator needs N(T − 1) − 1 ≥ 1 residual degrees of freedom (N = \(n), T = \(t))") }
    guard sample.y.allSatisfy(\.isFinite) else { throw .invalidInput("the panel contains non-finite values") }

    // One pass for the cross products, a second for the residuals (no Syy − ρ̂Sxy cancellation).
    var sxy = 0.0, sxx = 0.0
    var means = [(x: Double, y: Double)](repeating: (0, 0), count: n)
    let width = t + 1
    sample.y.withUnsafeBufferPointer { y in
      for i in 0..<n {
        let base = i * width
        var sx = 0.0, sy = 0.0
        for s in 1...t {
          sx += y[base + s - 1]
          sy += y[base + s]
        }
        let mx = sx / Double(t), my = sy / Double(t)
        means[i] = (mx, my)
        for s in 1...t {
          let dx = y[base + s - 1] - mx
          sxy += dx * (y[base + s] - my)
          sxx += dx * dx
        }
      }
    }
    guard sxx > 0, sxx.isFinite else {
      throw .numerical("the demeaned lag y_i,t−1 − ȳ_i,−1 is identically 0, so ρ is not identified by the within estimator")
    }
    let rho = sxy / sxx
    var rss = 0.0
    sample.y.withUnsafeBufferPointer { y in
      for i in 0..<n {
        let base = i * width
        let (mx, my) = means[i]
        for s in 1...t {
          let e = (y[base + s] - my) - rho * (y[base + s - 1] - mx)
          rss += e * e
        }
      }
    }
    let se = (rss / Double(df) / sxx).squareRoot()
    guard rho.isFinite, se.isFinite else { throw .numerical("the within estimate is not finite (ρ̂ = \(rho), SE = \(se))") }
    return AutoregressiveFit(rho: rho, se: se, observations: n * t)
  }
}
