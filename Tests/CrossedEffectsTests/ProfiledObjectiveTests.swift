import Foundation
import Testing
import Estimators
import LinearAlgebra
import TestSupport

/// The blocked, profiled computation against the dense marginal likelihood (`DenseReference`) on
/// tiny unbalanced crossed data sets, at fixed θ and at the optimum.
@Suite struct ProfiledObjectiveTests {
  /// 14 observations, factor A with 4 levels, B with 3 (crossed, unbalanced), a covariate x, and
  /// optionally a third factor C with 2 levels. y and x are standard normal draws.
  static func tinyDesign(slopeOn: String? = nil, third: Bool = false) throws -> CrossedDesign {
    let a = [0, 0, 1, 1, 1, 2, 2, 3, 3, 3, 0, 1, 2, 3]
    let b = [0, 1, 0, 1, 2, 0, 2, 1, 2, 0, 2, 2, 1, 0]
    let c = [0, 1, 1, 0, 1, 0, 0, 1, 1, 0, 1, 0, 0, 1]
    let rng = testStream("tiny crossed design")
    let x = rng.normals(a.count)
    let y = rng.normals(a.count)
    var terms = [
      try RandomEffectTerm(
        factor: "A", codes: a, slopeNames: slopeOn == "A" ? ["x"] : [], slopes: slopeOn == "A" ? [x] : []),
      try RandomEffectTerm(
        factor: "B", codes: b, slopeNames: slopeOn == "B" ? ["x"] : [], slopes: slopeOn == "B" ? [x] : []),
    ]
    if third { terms.append(try RandomEffectTerm(factor: "C", codes: c)) }
    let design = Matrix(rows: a.count, cols: 2) { i, j in j == 0 ? 1 : x[i] }
    return try CrossedDesign(response: y, fixed: design, fixedNames: ["(Intercept)", "x"], terms: terms)
  }

  static let cases: [(slope: String?, third: Bool, theta: [Double])] = [
    (nil, false, [0.7, 1.3]),
    (nil, false, [0, 0.4]),
    (nil, true, [0.5, 1.1, 2.0]),
    (nil, true, [1.2, 0, 0.3]),
    ("A", false, [0.9, -0.4, 0.6, 1.2]),  // slopes on the first (most levels) term
    ("B", false, [0.8, 0.5, 0.3, 0.7]),  // slopes on a dense term
    ("B", true, [0.8, 1.1, -0.2, 0.4, 0.9]),
  ]

  @Test(arguments: cases.indices)
  func objectiveEqualsDenseMarginalLikelihood(_ k: Int) throws {
    let c = Self.cases[k]
    let design = try Self.tinyDesign(slopeOn: c.slope, third: c.third)
    let model = try CrossedLMM(design)
    let dense = DenseReference(design)
    for reml in [true, false] {
      let blocked = model.objective(theta: c.theta, reml: reml)
      let direct = try dense.evaluate(c.theta, reml: reml).objective
      #expect(abs(blocked - direct) <= 1e-8 * max(1, abs(direct)), "reml \(reml): \(blocked) vs \(direct)")
    }
  }

  /// At the optimum, β̂, its covariance, σ̂² and the BLUPs equal their dense GLS forms at the same θ,
  /// and r² = ‖y − ŷ‖² + ‖û‖² (the penalised least-squares identity).
  @Test(arguments: [0, 2, 5, 6])
  func estimatesEqualDenseGLS(_ k: Int) throws {
    let c = Self.cases[k]
    let design = try Self.tinyDesign(slopeOn: c.slope, third: c.third)
    let fit = try CrossedLMM(design).fit()
    let ref = try DenseReference(design).evaluate(fit.theta, reml: true)
    #expect(abs(fit.objective - ref.objective) <= 1e-8 * abs(ref.objective))
    for j in 0..<2 { #expect(abs(fit.fixedEffects[j] - ref.beta[j]) <= 1e-9) }
    #expect(fit.fixedEffectCovariance.maxAbsDifference(ref.betaCovariance) <= 1e-9)
    #expect(abs(fit.residualVariance - ref.sigma2) <= 1e-9 * ref.sigma2)
    let blups = fit.randomEffects.flatMap { $0.values.transposed.elements }  // level-major
    #expect(blups.count == ref.blups.count)
    for (a, b) in zip(blups, ref.blups) { #expect(abs(a - b) <= 1e-9) }
    let rss = fit.residuals.reduce(0) { $0 + $1 * $1 }
    #expect(abs(fit.penalizedResidualSumOfSquares - (rss + fit.penalty)) <= 1e-9 * fit.penalizedResidualSumOfSquares)
    let marginal = design.fixed.multiplied(byVector: fit.fixedEffects)
    for i in 0..<design.observationCount {
      #expect(abs(fit.marginalFitted[i] - marginal[i]) <= 1e-12)
      #expect(abs(fit.fitted[i] + fit.residuals[i] - design.response[i]) <= 1e-12)
    }
  }

  /// A non-positive-definite trial point (here a NaN θ, which LAPACK's dpotrf rejects) gives the
  /// documented large finite value, not a crash.
  @Test func failedCholeskyGivesLargeFiniteValue() throws {
    let model = try CrossedLMM(try Self.tinyDesign())
    let v = model.objective(theta: [.nan, 1])
    #expect(v.isFinite && v >= 1e300)
  }
}
