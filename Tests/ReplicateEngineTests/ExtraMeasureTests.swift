import Estimators
import Foundation
import ReplicateEngine
import Testing
import TestSupport

/// A normal-mean study whose estimand carries the robust set and a custom measure: the share of
/// replicates whose estimate lies above the truth.
private let extraStudy = Study(
  name: "extra", aim: "extra measures", seed: 5,
  factors: [Factor("n", integers: [10, 40])],
  estimands: [
    EstimandSpec(
      "mu", .continuous,
      measures: [.robust, .custom("p_above") { rows in Double(rows.count { $0.value > $0.truth }) / Double(rows.count) }])
  ],
  columns: [TableColumn("mu", "median_bias"), TableColumn("mu", "p_above")],
  generate: { c, rng in Draw(rng.normals(try c.int("n")), truth: ["mu": 0]) },
  methods: [StudyMethod("mean") { x, _ in MethodOutput([Estimate(estimand: "mu", value: x.reduce(0, +) / Double(x.count))]) }])

@Suite struct ExtraMeasureTests {
  /// The extra measures follow the standard ones in every cell; the robust ones equal
  /// `PerformanceMeasures.robust` on the stored estimates, the custom one its statistic, with a
  /// bootstrap MCSE that matches the binomial SE √(p(1−p)/n) of a share within the bootstrap's
  /// own error (B = 500 resamples: relative SD ≈ 1/√(2B) ≈ 3.2%; 4 of them plus 1/(2n) allowed).
  /// Summaries are bit-identical at any thread count.
  @Test func extraMeasuresReachTheSummary() throws {
    let reps = 400
    let r1 = try Engine.run(extraStudy, conditions: extraStudy.defaultConditions, options: RunOptions(reps: reps, seed: 5, threads: 1))
    let r2 = try Engine.run(extraStudy, conditions: extraStudy.defaultConditions, options: RunOptions(reps: reps, seed: 5, threads: 2))
    #expect(Report(r1).csv == Report(r2).csv)
    let summary = Report(r1).summary
    for c in r1.conditions.indices {
      let cell = summary.filter { $0.condition == c }
      let names = cell.map(\.measure)
      let standard = Measure.standard(for: .continuous).map(\.rawValue).filter(names.contains)
      #expect(Array(names.prefix(standard.count + 5)) == standard + ["median_bias", "median_abs_error", "mad", "iqr", "p_above"])
      let estimates = r1.rows[c].map { ReplicateEstimate(value: $0.value!, truth: $0.truth!) }
      let robust = PerformanceMeasures.robust(estimates)
      for m in robust {
        let got = try #require(cell.first { $0.measure == m.measure })
        #expect(got.estimate == m.estimate && got.mcse == m.mcse)
      }
      let p = Double(estimates.count { $0.value > $0.truth }) / Double(reps)
      let share = try #require(cell.first { $0.measure == "p_above" })
      #expect(share.estimate == p)
      let binomial = (p * (1 - p) / Double(reps)).squareRoot()
      #expect(abs(try #require(share.mcse) / binomial - 1) < 4 / (2.0 * 500).squareRoot() + 1 / (2.0 * Double(reps)))
    }
  }
}
