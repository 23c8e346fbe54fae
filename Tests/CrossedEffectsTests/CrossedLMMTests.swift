import Foundation
import Testing
import DataGeneration
import Estimators
import LinearAlgebra
import Studies
import TestSupport

@Suite struct CrossedLMMTests {
  /// A small crossed data set with a correlated teacher slope (drawn from the DGP).
  static func slopeDesign(students: Int, teachers: Int, seed: String) throws -> CrossedDesign {
    let dgp = CrossedEffects(
      students: students, coursesPerStudent: 6, teachers: teachers, teacherVariance: 1, studentVariance: 0.5,
      residualVariance: 1, intercept: 2, covariates: [.init("x", coefficient: 0.5)],
      teacherSlope: .init(variance: 0.5, correlation: 0.4))
    return try dgp.draw(using: testStream(seed)).design(teacherSlope: true)
  }

  /// (1 + x | teacher) + (1 | student), REML, against the exact dense marginal likelihood maximised
  /// by compass search (a different objective computation and a different optimiser). Both
  /// optimisers run to tight tolerances here (ρ_end = 10⁻⁹, no objective stop; compass step 10⁻¹⁰),
  /// so the variance components, β̂ and σ̂² must agree to 10⁻⁶.
  @Test(arguments: [(20, 12), (10, 24)])  // the slope term dense, then first (most levels)
  func randomSlopesMatchDenseOptimum(_ sizes: (Int, Int)) throws {
    let design = try Self.slopeDesign(students: sizes.0, teachers: sizes.1, seed: "slopes \(sizes)")
    let model = try CrossedLMM(design)
    let fit = try model.fit(options: CrossedLMMOptions(finalRadius: 1e-9, relativeTolerance: 0))
    #expect(fit.converged)
    let dense = DenseReference(design)
    let objective: ([Double]) -> Double = { (try? dense.evaluate($0, reml: true).objective) ?? .infinity }
    let reference = compassSearch(objective, from: [1, 0, 1, 1], lower: model.thetaLowerBounds)
    let ref = try dense.evaluate(reference.x, reml: true)
    #expect(abs(fit.objective - reference.value) <= 1e-8 * abs(reference.value))
    // σ²·T_kT_k' from the compass θ.
    let t = Matrix([[reference.x[0], 0], [reference.x[1], reference.x[2]]])
    let teacherCov = ref.sigma2 * t.gram(outer: true)
    #expect(fit.varianceComponents[0].covariance.maxAbsDifference(teacherCov) <= 1e-6)
    #expect(abs(fit.varianceComponents[1].variances[0] - ref.sigma2 * reference.x[3] * reference.x[3]) <= 1e-6)
    #expect(abs(fit.residualVariance - ref.sigma2) <= 1e-6)
    for j in 0..<2 { #expect(abs(fit.fixedEffects[j] - ref.beta[j]) <= 1e-6) }
    #expect(fit.varianceComponents[0].effectNames == ["(Intercept)", "x"])
    #expect(!fit.isSingular)
  }

  /// Refitting a new response on the built model gives exactly what a fresh model gives.
  @Test func refitEqualsFreshFit() throws {
    let design = try CrossedEffects.statsmodels.draw(using: testStream("refit design")).design()
    let model = try CrossedLMM(design)
    let y2 = try CrossedEffects.statsmodels.draw(using: testStream("refit response")).response
    for reml in [true, false] {
      let refit = try model.refit(response: y2, reml: reml)
      let fresh = try CrossedLMM(try design.withResponse(y2)).fit(reml: reml)
      #expect(refit.theta == fresh.theta)
      #expect(refit.objective == fresh.objective)
      #expect(refit.fixedEffects == fresh.fixedEffects)
      #expect(refit.standardErrors == fresh.standardErrors)
      #expect(refit.fitted == fresh.fitted)
      #expect(refit.evaluations == fresh.evaluations)
      // …and differs from the fit of the original response (the refit really used y2).
      #expect(try model.fit(reml: reml).objective != refit.objective)
    }
  }

  /// Predictions on new data: training rows reproduce the fitted values; an unseen teacher gets
  /// BLUP 0 (prediction = Xβ̂ + the student's BLUP); marginal predictions are Xβ̂.
  @Test func predictionsOnNewDataWithUnseenLevels() throws {
    let table = try LongTable([
      ("y", .numeric([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map { Double($0) * 0.7 + sin(Double($0)) })),
      ("x", .numeric([0.5, -1, 2, 0.3, -0.7, 1.1, 0.2, -0.4, 0.9, -1.3, 0.6, 0])),
      ("teacher", .text(["a", "b", "c", "a", "b", "c", "a", "b", "c", "a", "b", "c"])),
      ("student", .numeric([1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6])),
    ])
    let fit = try CrossedLMM(
      table: table, response: "y", fixed: ["x"], random: [RandomTermSpec("teacher"), RandomTermSpec("student")]
    ).fit()
    let again = try fit.predict(table)
    for i in 0..<12 { #expect(abs(again[i] - fit.fitted[i]) <= 1e-12) }
    let newRows = try LongTable([
      ("x", .numeric([0.25, -0.5])),
      ("teacher", .text(["z", "b"])),
      ("student", .numeric([3, 99])),
    ])
    let conditional = try fit.predict(newRows)
    let marginal = try fit.predict(newRows, conditional: false)
    let b = fit.fixedEffects
    #expect(abs(marginal[0] - (b[0] + 0.25 * b[1])) <= 1e-12)
    #expect(abs(marginal[1] - (b[0] - 0.5 * b[1])) <= 1e-12)
    let studentBlup = try #require(fit.randomEffects[1].effects(of: "3"))[0]
    let teacherBlup = try #require(fit.randomEffects[0].effects(of: "b"))[0]
    #expect(fit.randomEffects[0].effects(of: "z") == nil)
    #expect(abs(conditional[0] - (marginal[0] + studentBlup)) <= 1e-12)  // teacher z unseen → 0
    #expect(abs(conditional[1] - (marginal[1] + teacherBlup)) <= 1e-12)  // student 99 unseen → 0
  }

  /// Balanced one-way data whose group means are all equal: the between-group variance estimate is
  /// 0 (the REML criterion is minimised on the boundary), θ is snapped to 0 and the fit is singular;
  /// β̂ is the grand mean and σ̂² the within-group variance (a closed form at θ = 0).
  @Test func boundaryFitIsSingular() throws {
    let y: [Double] = [1, 3, 2, 2, 0, 4, 3, 1, 2.5, 1.5]  // five groups of two, every mean 2
    let groups = [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    let design = try CrossedDesign(
      response: y, fixed: Matrix(rows: 10, cols: 1, repeating: 1), fixedNames: ["(Intercept)"],
      terms: [try RandomEffectTerm(factor: "g", codes: groups)])
    let fit = try CrossedLMM(design).fit()
    #expect(fit.theta == [0])
    #expect(fit.isSingular)
    #expect(abs(fit.fixedEffects[0] - 2) <= 1e-12)
    let ss = y.reduce(0) { $0 + ($1 - 2) * ($1 - 2) }
    #expect(abs(fit.residualVariance - ss / 9) <= 1e-12)
  }

  @Test func invalidInputsAreThrownNotTrapped() throws {
    let x = Matrix(rows: 4, cols: 2) { i, j in j == 0 ? 1 : 2 }  // two identical-rank columns: rank 1
    let design = try CrossedDesign(
      response: [1, 2, 3, 4], fixed: x, fixedNames: ["(Intercept)", "c"],
      terms: [try RandomEffectTerm(factor: "g", codes: [0, 0, 1, 1])])
    #expect(throws: EstimationError.self) { try CrossedLMM(design).fit() }
    #expect(throws: EstimationError.self) {
      try CrossedDesign(response: [1, .nan], fixed: Matrix(rows: 2, cols: 0), fixedNames: [], terms: [
        try RandomEffectTerm(factor: "g", codes: [0, 1])
      ])
    }
    #expect(throws: EstimationError.self) { try RandomEffectTerm(factor: "g", codes: [0, 2], levels: ["a", "b"]) }
  }
}
