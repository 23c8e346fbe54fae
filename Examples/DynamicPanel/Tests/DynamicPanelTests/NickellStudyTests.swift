import DynamicPanel
import SimStudy
import Testing

/// The study value: its validation and a small run through the engine.
@Suite struct NickellStudyTests {
  func condition(n: String = "100", t: String = "5", rho: String = "0.5") -> Condition {
    Condition(names: ["N", "T", "rho"], values: [n, t, rho])
  }

  /// |ρ| ≥ 1 and T < 3 are refused with one sentence; the default grid is accepted.
  @Test func validateRejectsImpossibleConditions() throws {
    for bad in [condition(rho: "1"), condition(rho: "-1"), condition(rho: "1.5"), condition(t: "2"), condition(n: "1")] {
      let error = #expect(throws: StudyError.self) { try nickellStudy.validate(bad) }
      guard case .impossibleCondition(let c, let reason)? = error else {
        Issue.record("\(bad): expected impossibleCondition, got \(String(describing: error))")
        continue
      }
      #expect(c == bad.canonical)
      #expect(!reason.contains("\n") && !reason.isEmpty)
    }
    #expect(nickellStudy.defaultConditions.count == 18)
    for c in nickellStudy.defaultConditions { try nickellStudy.validate(c) }
    #expect(nickellStudy.methodNames == ["within", "anderson-hsiao"])
  }

  /// 100 replicates at N = 500, T = 10, ρ = 0.5 through `Engine.run`: the within bias is Nickell's
  /// −0.162 (within 4 MCSE + 1/N) and its intervals almost never cover; Anderson–Hsiao's bias is
  /// within 4 MCSE of 0 (its moments do not exist, but at ρ = 0.5 and N = 500 the denominator never
  /// comes near 0) and it covers near 95%. The same rows come out with 1 and 2 threads.
  @Test func smallRunShowsNickellBias() throws {
    let conditions = try nickellStudy.grid(settings: ["N=500", "T=10", "rho=0.5"])
    let result = try Engine.run(nickellStudy, conditions: conditions, options: RunOptions(reps: 100, seed: nickellStudy.seed, threads: 2))
    let summary = Report(result).summary
    func cell(_ method: String, _ measure: String) throws -> SummaryRow {
      try #require(summary.first { $0.method == method && $0.estimand == "rho" && $0.measure == measure })
    }
    let within = try cell("within", "bias")
    let limit = NickellBias.probabilityLimit(rho: 0.5, periods: 10)
    #expect(abs(within.estimate - limit) < 4 * within.mcse! + 1.0 / 500)
    #expect(try cell("within", "coverage").estimate < 0.05)
    let ah = try cell("anderson-hsiao", "bias")
    #expect(abs(ah.estimate) < 4 * ah.mcse!)
    #expect(try cell("anderson-hsiao", "coverage").estimate > 0.85)
    #expect(try cell("anderson-hsiao", "failure_rate").estimate == 0)

    let oneThread = try Engine.run(nickellStudy, conditions: conditions, options: RunOptions(reps: 100, seed: nickellStudy.seed, threads: 1))
    #expect(oneThread.rows == result.rows)
  }
}
