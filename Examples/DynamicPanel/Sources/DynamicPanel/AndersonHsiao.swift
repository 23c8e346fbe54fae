import SimStudy

/// The Anderson–Hsiao instrumental-variable estimator of ρ in y_it = α_i + ρ·y_i,t−1 + ε_it.
///
/// First differences remove α_i:
///
///     Δy_it = ρ·Δy_i,t−1 + Δε_it,   t = 2 … T,
///
/// where Δy_i,t−1 = y_i,t−1 − y_i,t−2 is correlated with Δε_it = ε_it − ε_i,t−1 but the level
/// y_i,t−2 is not (it depends on ε up to t − 2 only) and is correlated with Δy_i,t−1 (for a
/// stationary start, Cov(y_i,t−2, Δy_i,t−1) = −σ²/(1 + ρ)). Instrumenting Δy_i,t−1 with y_i,t−2,
/// just identified, pooled over i and t = 2 … T:
///
///     ρ̂ = Σ_i Σ_{t=2}^T y_i,t−2 Δy_it / Σ_i Σ_{t=2}^T y_i,t−2 Δy_i,t−1.
///
/// Consistent for fixed T as N → ∞, but a ratio whose denominator has mean −N(T − 1)σ²/(1 + ρ)
/// and noise that grows with σ_α²/(1 − ρ)² (the instrument's level carries α_i/(1 − ρ)): it has no
/// finite moments, so its mean and RMSE do not exist and Monte Carlo means and RMSEs of it never
/// settle; median bias, median absolute error, MAD and IQR do. Its instrument weakens as ρ → 1.
///
/// Standard error: cluster-robust by unit (the IV sandwich), with the finite-cluster factor
/// G/(G − 1), G = N:
///
///     V̂ = N/(N − 1) · Σ_i (Σ_t y_i,t−2 û_it)² / (Σ_i Σ_t y_i,t−2 Δy_i,t−1)²,   û_it = Δy_it − ρ̂ Δy_i,t−1,
///
/// robust to the MA(1) serial correlation that differencing puts into Δε_it.
///
/// - Anderson, T. W. & Hsiao, C. (1981). Estimation of dynamic models with error components.
///   *JASA* 76(375), 598–606.
/// - Anderson, T. W. & Hsiao, C. (1982). Formulation and estimation of dynamic models using panel
///   data. *Journal of Econometrics* 18(1), 47–82.
public struct AndersonHsiao: Sendable {
  public init() {}

  /// A description of the method, for a study's fingerprint.
  public static let settings = "IV of Δy_it on Δy_i,t−1 with instrument y_i,t−2, t = 2..T; cluster-robust (unit) SE with N/(N−1)"

  /// Throws `EstimationError.invalidInput` for T < 2 (no differenced equation with a lagged level),
  /// N < 2 (no cluster-robust SE) or non-finite data, and `.numerical` when Σ y_i,t−2 Δy_i,t−1 is 0
  /// (to rounding), i.e. the instrument is uncorrelated with the regressor in this sample.
  public func fit(_ sample: DynamicPanelSample) throws(EstimationError) -> AutoregressiveFit {
    let n = sample.units, t = sample.periods
    guard t >= 2 else {
      throw .invalidInput("Anderson–Hsiao needs T ≥ 2 periods after y_i0 (got T = \(t)): the first differenced equation with instrument y_i,t−2 is at t = 2")
    }
    guard n >= 2 else { throw .invalidInput("Anderson–Hsiao's cluster-robust SE needs N ≥ 2 units (got N = \(n))") }
    guard sample.y.allSatisfy(\.isFinite) else { throw .invalidInput("the panel contains non-finite values") }

    let width = t + 1
    var num = 0.0, den = 0.0, denScale = 0.0
    sample.y.withUnsafeBufferPointer { y in
      for i in 0..<n {
        let base = i * width
        for s in 2...t {
          let z = y[base + s - 2]
          let dx = y[base + s - 1] - y[base + s - 2]
          let dy = y[base + s] - y[base + s - 1]
          num += z * dy
          den += z * dx
          denScale += abs(z * dx)
        }
      }
    }
    guard den.isFinite, abs(den) > 1e-12 * denScale else {
      throw .numerical("Σ y_i,t−2 Δy_i,t−1 is 0: the instrument y_i,t−2 is uncorrelated with Δy_i,t−1 in this sample, so ρ is not identified")
    }
    let rho = num / den
    var meat = 0.0
    sample.y.withUnsafeBufferPointer { y in
      for i in 0..<n {
        let base = i * width
        var score = 0.0
        for s in 2...t {
          let z = y[base + s - 2]
          let dx = y[base + s - 1] - y[base + s - 2]
          let dy = y[base + s] - y[base + s - 1]
          score += z * (dy - rho * dx)
        }
        meat += score * score
      }
    }
    let g = Double(n)
    let se = (g / (g - 1) * meat / (den * den)).squareRoot()
    guard rho.isFinite, se.isFinite else { throw .numerical("the Anderson–Hsiao estimate is not finite (ρ̂ = \(rho), SE = \(se))") }
    return AutoregressiveFit(rho: rho, se: se, observations: n * (t - 1))
  }
}
