import Foundation
import ReplicateEngine
import Studies
import Testing

/// A small simulation-based calibration inside the suite: the sbc-multilevel study at G = 5,
/// n = 50, 100 replicates, fixed seed. For a calibrated sampler each parameter's χ² over ten
/// equally likely rank bins is χ²₉, so its p-value is uniform: the test requires p > 0.001 for all
/// five parameters (a false alarm has probability ≈ 0.5 % for a correct sampler). The sampler of a
/// target without the log-Jacobian of τ = e^θ samples p(τ | y)/τ, which piles mass near τ = 0,
/// so the true τ ranks near the top in most replicates: its τ p-value must be below 1e-6.
@Test func simulationBasedCalibrationPassesAndCatchesAMissingJacobian() throws {
  let study = calibrationStudy
  let reps = 100
  let conditions = try study.grid(settings: ["groups=5", "individuals=50"])
  let run = try Engine.run(study, conditions: conditions, options: RunOptions(reps: reps, seed: study.seed, threads: 2))
  let rows = try Summarizer(study: study, conditions: conditions, reps: reps).summary(from: run)
  func p(_ method: String, _ estimand: String) throws -> Double {
    try #require(rows.first { $0.method == method && $0.estimand == estimand && $0.measure == "chi2_p" }).estimate
  }
  for estimand in ["bxy", "bzy", "a_bar", "tau", "e[0]"] {
    #expect(try p("nuts", estimand) > 0.001, "nuts \(estimand)")
  }
  #expect(try p("nuts-no-jacobian", "tau") < 1e-6)
}
