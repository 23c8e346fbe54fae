/// Nickell's (1981) probability limit of the within estimator's bias in the AR(1) panel with
/// individual effects and a stationary start, for fixed T as N → ∞ (his eq. 18):
///
///     plim (ρ̂ − ρ) = −(1 + ρ)/(T − 1) · A · [1 − 2ρ/((1 − ρ)(T − 1)) · A]⁻¹,
///     A = 1 − (1 − ρ^T) / (T(1 − ρ)),
///
/// where T is the number of periods the within regression uses (t = 1 … T, lags from y_i0).
/// For large T this is ≈ −(1 + ρ)/(T − 1). It does not depend on σ² or σ_α² (the within transform
/// removes α_i, and the ratio is scale-free).
///
/// The tests check this expression against the exact ratio of expectations computed from the
/// stationary AR(1) covariances, tr(M·Cov(y, y₋₁)) / tr(M·Cov(y₋₁, y₋₁)) − ρ with M = I − 11ᵀ/T.
///
/// - Nickell, S. (1981). Biases in dynamic models with fixed effects. *Econometrica* 49(6), 1417–1426.
public enum NickellBias {
  /// plim_{N→∞} (ρ̂_within − ρ) for T ≥ 2 and |ρ| < 1 (at ρ = 0 it is −1/T).
  public static func probabilityLimit(rho: Double, periods t: Int) -> Double {
    precondition(t >= 2 && abs(rho) < 1, "Nickell's limit needs T ≥ 2 and |rho| < 1")
    let tt = Double(t)
    // (1 − ρ^T)/(1 − ρ) = 1 + ρ + … + ρ^{T−1}: summed directly, exact at ρ = 0 and without the
    // cancellation of 1 − ρ^T near ρ = 1.
    var geometric = 0.0, power = 1.0
    for _ in 0..<t {
      geometric += power
      power *= rho
    }
    let a = 1 - geometric / tt
    // 2ρ·A/((1 − ρ)(T − 1)) with A/(1 − ρ) = (T − Σ_{k<T} ρ^k)/(T(1 − ρ)) = Σ_{k<T} (1 − ρ^k)/(1 − ρ) / T
    //   = Σ_{k=1}^{T−1} (1 + ρ + … + ρ^{k−1}) / T, again free of the 0/0 at ρ → 1.
    var aOverOneMinusRho = 0.0, partial = 0.0
    power = 1
    for _ in 1..<t {
      partial += power
      power *= rho
      aOverOneMinusRho += partial
    }
    aOverOneMinusRho /= tt
    return -(1 + rho) / (tt - 1) * a / (1 - 2 * rho / (tt - 1) * aOverOneMinusRho)
  }

  /// The large-T approximation −(1 + ρ)/(T − 1).
  public static func approximation(rho: Double, periods t: Int) -> Double { -(1 + rho) / Double(t - 1) }
}
