import Foundation
import Testing
import Estimators
import LinearAlgebra
import TestSupport

@Suite struct ClusterBootstrapTests {
  /// 30 clusters of 4 rows, y = cluster effect + noise.
  static func clustered() -> (y: [Double], codes: [Int], means: [Double]) {
    let rng = testStream("bootstrap data")
    let effects = rng.normals(30, sd: 2)
    var y: [Double] = []
    var codes: [Int] = []
    for g in 0..<30 {
      for _ in 0..<4 {
        y.append(effects[g] + rng.normal())
        codes.append(g)
      }
    }
    let means: [Double] = (0..<30).map { g in
      let rows = y[(4 * g)..<(4 * g + 4)]
      return rows.reduce(0, +) / 4
    }
    return (y, codes, means)
  }

  /// The grand mean of equal-sized clusters is the mean of the G drawn cluster means, so its ideal
  /// (B → ∞) cluster-bootstrap SE is the closed form √(Σ(m_g − m̄)²/G²). With B = 4000 the bootstrap
  /// SD has relative Monte Carlo sd ≈ 1/√(2B) ≈ 1.1% (the replicate mean is close to normal), so
  /// agreement within 4.5% (4 MC sd) is required.
  @Test func meanOfEqualClustersHasTheIdealBootstrapSE() throws {
    let (_, _, means) = Self.clustered()
    let g = Double(means.count)
    let mbar = means.reduce(0, +) / g
    let ideal = (means.reduce(0) { $0 + ($1 - mbar) * ($1 - mbar) } / (g * g)).squareRoot()
    let result = try ClusterBootstrap.standardError(
      clusters: 30, replications: 4000, using: testStream("bootstrap mean"), estimate: mbar
    ) { draws in draws.reduce(0) { $0 + means[$1] } / g }
    #expect(result.failures == 0 && result.replicates.count == 4000)
    #expect(abs(result.standardError / ideal - 1) < 0.045, "\(result.standardError) vs \(ideal)")
  }

  /// In a balanced one-way design the GLS intercept is the grand mean for every θ, so the LMM
  /// bootstrap of the intercept (resampling the only factor) must give, resample by resample, the
  /// mean of the drawn cluster means — the same draws, since both use the same stream key.
  @Test func lmmBootstrapResamplesClustersOfTheNamedFactor() throws {
    let (y, codes, means) = Self.clustered()
    let design = try CrossedDesign(
      response: y, fixed: Matrix(rows: y.count, cols: 1, repeating: 1), fixedNames: ["(Intercept)"],
      terms: [try RandomEffectTerm(factor: "cluster", codes: codes)])
    let model = try CrossedLMM(design)
    let lmm = try model.clusterBootstrap(
      factor: "cluster", replications: 40, using: testStream("bootstrap lmm")
    ) { $0.fixedEffects[0] }
    let direct = try ClusterBootstrap.standardError(
      clusters: 30, replications: 40, using: testStream("bootstrap lmm"), estimate: 0
    ) { draws in draws.reduce(0) { $0 + means[$1] } / 30 }
    #expect(lmm.replicates.count == 40)
    for (a, b) in zip(lmm.replicates, direct.replicates) { #expect(abs(a - b) <= 1e-9) }
    #expect(abs(lmm.estimate - means.reduce(0, +) / 30) <= 1e-9)
    #expect(throws: EstimationError.self) {
      try model.clusterBootstrap(factor: "nope", replications: 10, using: testStream("x")) { $0.fixedEffects[0] }
    }
  }
}
