import DynamicPanel
import Foundation
import SimStudy
import Testing

/// The within estimator's bias against Nickell's (1981) closed form, which is checked in turn
/// against an exact computation from the stationary AR(1) covariances.
@Suite struct NickellBiasTests {
  /// Nickell's probability limit, independently: per unit, ρ̂'s numerator and denominator have
  /// expectations tr(M·Cov(y, y₋₁)) and tr(M·Cov(y₋₁, y₋₁)) with y = (y_1 … y_T), y₋₁ = (y_0 …
  /// y_{T−1}), M = I − 11ᵀ/T, and Cov(y_s, y_t | α) = ρ^|s−t|/(1 − ρ²) (σ = 1; α_i drops out);
  /// as N → ∞ the ratio of sums tends to the ratio of these expectations (law of large numbers).
  static func exactLimitBias(rho: Double, periods t: Int) -> Double {
    func cov(_ s: Int, _ u: Int) -> Double { pow(rho, Double(abs(s - u))) / (1 - rho * rho) }
    var cross = 0.0, cyx = 0.0, own = 0.0, cxx = 0.0
    for s in 1...t { cross += cov(s, s - 1) }
    for s in 1...t { for u in 0..<t { cyx += cov(s, u) } }
    for s in 0..<t { own += cov(s, s) }
    for s in 0..<t { for u in 0..<t { cxx += cov(s, u) } }
    let tt = Double(t)
    return (cross - cyx / tt) / (own - cxx / tt) - rho
  }

  /// Nickell's eq. (18) as coded equals the exact ratio of expectations to rounding, over ρ from
  /// −0.5 to 0.999 (where 1 − ρ^T nearly cancels) and T from 2 to 50; at ρ = 0 it is −1/T; for
  /// large T it approaches the −(1 + ρ)/(T − 1) rule of thumb.
  @Test func closedFormEqualsTheExactLimit() {
    for rho in [-0.5, 0, 0.3, 0.5, 0.9, 0.99, 0.999] {
      for t in [2, 3, 5, 10, 20, 50] {
        let closed = NickellBias.probabilityLimit(rho: rho, periods: t)
        let exact = Self.exactLimitBias(rho: rho, periods: t)
        #expect(abs(closed - exact) < 1e-9 * max(1, abs(exact)), "rho = \(rho), T = \(t): \(closed) vs \(exact)")
      }
    }
    #expect(abs(NickellBias.probabilityLimit(rho: 0, periods: 10) + 0.1) < 1e-15)
    let ratio = NickellBias.probabilityLimit(rho: 0.5, periods: 500) / NickellBias.approximation(rho: 0.5, periods: 500)
    #expect(abs(ratio - 1) < 0.01)
  }

  /// Monte Carlo: 50 panels of N = 2000 units per (ρ, T); the mean within bias must lie within
  /// 4 MCSE of Nickell's limit, plus 1/N for the ratio estimator's O(1/N) finite-N term
  /// (measured MCSEs here are 0.0005–0.0015, the biases −0.33 to −0.14). Anderson–Hsiao on the
  /// same panels: at ρ = 0.5 its median is within 4 of its median's MCSE (1.2533·sd/√R with sd
  /// from the IQR/1.349) of ρ. Fixed streams, so deterministic.
  @Test(arguments: [(0.5, 5), (0.9, 10), (0.99, 20)])
  func withinBiasMatchesNickellAtLargeN(rho: Double, periods t: Int) throws {
    let n = 2000, reps = 50
    let dgp = DynamicPanelDGP(units: n, periods: t, rho: rho)
    var within: [Double] = [], ah: [Double] = []
    for r in 0..<reps {
      let sample = try dgp.draw(using: try RandomStream(seed: 1981, condition: "nickell rho=\(rho),T=\(t)", replicate: r))
      within.append(try WithinEstimator().fit(sample).rho - rho)
      ah.append(try AndersonHsiao().fit(sample).rho - rho)
    }
    let (bias, mcse) = meanWithMCSE(within)
    let limit = NickellBias.probabilityLimit(rho: rho, periods: t)
    #expect(abs(bias - limit) < 4 * mcse + 1 / Double(n), "within bias \(bias) (MCSE \(mcse)) vs Nickell \(limit)")
    #expect(bias < -50 * mcse)

    if rho == 0.5 {
      let sorted = ah.sorted()
      let median = (sorted[reps / 2 - 1] + sorted[reps / 2]) / 2
      let iqr = sorted[(3 * reps) / 4] - sorted[reps / 4]
      let medianMCSE = 1.2533 * (iqr / 1.349) / Double(reps).squareRoot()
      #expect(abs(median) < 4 * medianMCSE, "Anderson–Hsiao median bias \(median) (MCSE \(medianMCSE))")
    }
  }
}
