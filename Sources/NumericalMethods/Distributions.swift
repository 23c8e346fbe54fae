internal import CGSL

/// The standard normal distribution (GSL's `gsl_cdf_ugaussian_*`), for Wald intervals and p-values.
public enum StandardNormal {
  /// Φ(x).
  public static func cdf(_ x: Double) -> Double { gsl_cdf_ugaussian_P(x) }
  /// 1 − Φ(x), accurate in the upper tail.
  public static func survival(_ x: Double) -> Double { gsl_cdf_ugaussian_Q(x) }
  /// Φ⁻¹(p) for 0 < p < 1.
  public static func quantile(_ p: Double) -> Double { gsl_cdf_ugaussian_Pinv(p) }
  /// The two-sided p-value 2(1 − Φ(|z|)) of a z statistic.
  public static func twoSidedPValue(_ z: Double) -> Double { z.isNaN ? .nan : 2 * gsl_cdf_ugaussian_Q(abs(z)) }
}

/// Student's t distribution (GSL's `gsl_cdf_tdist_*`).
public enum StudentT {
  public static func cdf(_ x: Double, degreesOfFreedom nu: Double) -> Double { gsl_cdf_tdist_P(x, nu) }
  public static func quantile(_ p: Double, degreesOfFreedom nu: Double) -> Double { gsl_cdf_tdist_Pinv(p, nu) }
  public static func twoSidedPValue(_ t: Double, degreesOfFreedom nu: Double) -> Double {
    t.isNaN ? .nan : 2 * gsl_cdf_tdist_Q(abs(t), nu)
  }
}

/// The χ² distribution (GSL's `gsl_cdf_chisq_*`), for goodness-of-fit tests.
public enum ChiSquared {
  public static func cdf(_ x: Double, degreesOfFreedom nu: Double) -> Double { gsl_cdf_chisq_P(x, nu) }
  /// P(X > x), accurate in the upper tail: the p-value of a χ² statistic x.
  public static func survival(_ x: Double, degreesOfFreedom nu: Double) -> Double { gsl_cdf_chisq_Q(x, nu) }
}
