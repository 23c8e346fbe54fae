import Estimators
import Foundation
import ReplicateEngine
import StudyCommandLine
import Studies
import Testing
import TestSupport

@Suite struct StudiesTests {
  /// Bai (2009): with regressors that load on the factors and loadings, two-way FE and pooled OLS
  /// are biased by many MCSEs. The infeasible regression with the true factors known is exactly
  /// unbiased (ε is independent of X, F and Λ), so its bias must be within 3 MCSE of 0 and its
  /// coverage within 3 MCSE (at the nominal rate) of 95%. IFE is centred on the truth up to the
  /// finite-sample cost of estimating F (Bai 2009, Theorem 3: zero asymptotic bias at rate √NT under
  /// iid errors; the higher-order term is O(1/min(N, T)), so 1/100 is allowed on top of 3 MCSE;
  /// measured ≈ 0.0044 at N = T = 100 over 1000 replicates, against 0.0008 ± 0.0007 for the oracle)
  /// and covers near 95%. 150 replicates at N = T = 100, fixed seed (deterministic).
  @Test func ifeBiasShowsWhatTheTheorySays() throws {
    let study = ifeBiasStudy
    let r = try Engine.run(study, conditions: try study.grid(settings: ["N=100", "T=100"]), options: RunOptions(reps: 150, seed: study.seed, threads: 2))
    let s = Report(r).summary
    func cell(_ method: String, _ estimand: String, _ measure: String) -> SummaryRow {
      s.first { $0.method == method && $0.estimand == estimand && $0.measure == measure }!
    }
    for beta in ["beta1", "beta2"] {
      let bias = cell("IFE", beta, "bias")
      #expect(abs(bias.estimate) < 3 * bias.mcse! + 1.0 / 100)
      let coverage = cell("IFE", beta, "coverage")
      #expect(coverage.estimate > 0.95 - 3 * coverage.mcse! - 0.05)
      for baseline in ["two-way FE", "pooled OLS"] {
        let b = cell(baseline, beta, "bias")
        #expect(abs(b.estimate) > 10 * b.mcse!)
        #expect(abs(b.estimate) > 20 * abs(bias.estimate))
        #expect(cell(baseline, beta, "coverage").estimate < 0.05)
      }
    }
    for beta in ["beta1", "beta2"] {
      let bias = cell("oracle F", beta, "bias")
      #expect(abs(bias.estimate) < 3 * bias.mcse!)
      // The coverage MCSE under the nominal rate, √(0.95·0.05/150).
      #expect(abs(cell("oracle F", beta, "coverage").estimate - 0.95) < 3 * (0.95 * 0.05 / 150).squareRoot())
    }
    #expect(cell("IFE", "beta1", "failure_rate").estimate == 0)
  }

  /// `study check` logic on the committed ife-bias baseline: an unchanged rerun passes, and a
  /// deliberately perturbed copy of the IFE estimator (β̂₁ + 0.05, about 5 of its MCSEs) fails,
  /// naming the IFE β₁ cells that moved.
  @Test func checkPassesUnchangedAndCatchesAPerturbedEstimator() throws {
    let url = packageRoot.appendingPathComponent("Results/ife-bias/baseline.json")
    let baseline = try Baseline.read(url, study: ifeBiasStudy.name)
    let conditions = try ifeBiasStudy.grid(settings: baseline.settings)
    let options = RunOptions(reps: baseline.reps, seed: baseline.seed, threads: 2)
    let same = try Engine.run(ifeBiasStudy, conditions: conditions, options: options)
    let pass = BaselineCheck(baseline: baseline.cells, current: Baseline.cells(of: Report(same)))
    #expect(pass.passed, "\(pass.text)")
    let perturbed = ifeBiasStudy.perturbed(method: "IFE") { e in
      guard e.estimand == "beta1" else { return e }
      var e = e
      e.value += 0.05
      e.lower = e.lower.map { $0 + 0.05 }
      e.upper = e.upper.map { $0 + 0.05 }
      return e
    }
    let moved = try Engine.run(perturbed, conditions: conditions, options: options)
    let fail = BaselineCheck(baseline: baseline.cells, current: Baseline.cells(of: Report(moved)))
    #expect(!fail.passed)
    #expect(fail.failures.contains { $0.cell.hasSuffix("IFE beta1 bias") })
    #expect(fail.failures.allSatisfy { $0.cell.contains(" IFE beta1 ") })
    #expect(fail.text.contains("MOVED") && fail.text.contains("check FAILED"))
  }

  /// Every built-in study passes the checks a run makes before it starts: its definition (names,
  /// columns against the measures of each estimand kind), every condition of its default grid,
  /// and replicate 0 of its first condition (the factors its code reads, the estimands its methods
  /// report, the truths it gives); no study is named like a subcommand.
  @Test(arguments: Catalogue.studies.map(\.name))
  func studiesPassTheirPreRunChecks(_ name: String) throws {
    let study = try #require(Catalogue.studies.first { $0.name == name })
    #expect(!StudyCommandLine.reservedNames.contains(study.name))
    try study.checkDefinition()
    for c in study.defaultConditions { try Engine.validate(study, c) }
    try study.preflight(study.defaultConditions[0], seed: study.seed)
  }
}
