import SimStudy
import DynamicPanel
import Testing

/// Mean of `x` with its Monte Carlo standard error sd/√n.
func meanWithMCSE(_ x: [Double]) -> (mean: Double, mcse: Double) {
  let n = Double(x.count)
  let mean = x.reduce(0, +) / n
  let variance = x.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / (n - 1)
  return (mean, (variance / n).squareRoot())
}

/// The DGP starts every unit from its stationary distribution given α_i and keeps it there.
@Suite struct DGPTests {
  /// With u_it = y_it − α_i/(1 − ρ), the stationary AR(1) has E u = 0, E u² = σ²/(1 − ρ²) in every
  /// period and E u_i0·u_i1 = ρσ²/(1 − ρ²); marginally E y_i0 = 0 and E y_i0² = σ_α²/(1 − ρ)² +
  /// σ²/(1 − ρ²). Each is checked as a mean over N = 40 000 units to within 4 of its own Monte Carlo
  /// standard errors (fixed stream, so deterministic), for ρ = −0.5, 0.5, 0.9 and σ = 1.5, σ_α = 0.7.
  @Test(arguments: [-0.5, 0.5, 0.9])
  func startIsStationary(rho: Double) throws {
    let dgp = DynamicPanelDGP(units: 40_000, periods: 3, rho: rho, sigma: 1.5, sigmaAlpha: 0.7)
    let sample = try dgp.draw(using: try RandomStream(seed: 7, condition: "stationarity rho=\(rho)", replicate: 0))
    let alpha = try #require(sample.alpha)
    let u0 = (0..<dgp.units).map { sample[$0, 0] - dgp.stationaryMean(alpha: alpha[$0]) }
    let u1 = (0..<dgp.units).map { sample[$0, 1] - dgp.stationaryMean(alpha: alpha[$0]) }
    let uT = (0..<dgp.units).map { sample[$0, dgp.periods] - dgp.stationaryMean(alpha: alpha[$0]) }
    let y0 = (0..<dgp.units).map { sample[$0, 0] }
    let s2 = 1.5 * 1.5 / (1 - rho * rho)

    let checks: [(String, [Double], Double)] = [
      ("E u_i0", u0, 0),
      ("E u_i0²", u0.map { $0 * $0 }, s2),
      ("E u_iT²", uT.map { $0 * $0 }, s2),
      ("E u_i0 u_i1", zip(u0, u1).map(*), rho * s2),
      ("E y_i0", y0, 0),
      ("E y_i0²", y0.map { $0 * $0 }, 0.7 * 0.7 / ((1 - rho) * (1 - rho)) + s2),
    ]
    for (what, values, truth) in checks {
      let (mean, mcse) = meanWithMCSE(values)
      #expect(abs(mean - truth) < 4 * mcse, "\(what): \(mean) vs \(truth) (MCSE \(mcse))")
    }
    #expect(abs(dgp.marginalVariance - (0.49 / ((1 - rho) * (1 - rho)) + s2)) < 1e-12)
    let (alphaMean, alphaMCSE) = meanWithMCSE(alpha.map { $0 * $0 })
    #expect(abs(alphaMean - 0.49) < 4 * alphaMCSE)
  }

  /// The same stream gives the same panel; |ρ| ≥ 1 has no stationary start and is refused.
  @Test func drawsAreReproducibleAndNonStationaryDesignsRefused() throws {
    let dgp = DynamicPanelDGP(units: 5, periods: 4, rho: 0.5)
    let a = try dgp.draw(using: try RandomStream(seed: 1, condition: "N=5", replicate: 3))
    let b = try dgp.draw(using: try RandomStream(seed: 1, condition: "N=5", replicate: 3))
    let c = try dgp.draw(using: try RandomStream(seed: 1, condition: "N=5", replicate: 4))
    #expect(a == b)
    #expect(a != c)
    #expect(a.y.count == 25)
    for rho in [1.0, -1.0, 1.5, .nan] {
      #expect(throws: DesignError.self) { try DynamicPanelDGP(units: 5, periods: 4, rho: rho).validate() }
    }
  }
}
