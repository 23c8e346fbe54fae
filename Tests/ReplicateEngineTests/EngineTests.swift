import Estimators
import Foundation
import RandomStreams
import ReplicateEngine
import Testing
import TestSupport

@Suite struct EngineTests {
  @Test func resultsAreBitIdenticalForAnyThreadCount() throws {
    let study = toyStudy()
    let runs = try [1, 2, 3, 5].map { t in
      try Engine.run(study, conditions: study.defaultConditions, options: RunOptions(reps: 300, seed: 11, threads: t))
    }
    for r in runs.dropFirst() {
      #expect(r.rows == runs[0].rows)
      #expect(Report(r).csv == Report(runs[0]).csv)
    }
  }

  /// A condition's replicates depend only on (seed, condition text, replicate), not on which other
  /// conditions run or how many replicates there are.
  @Test func streamsAreKeyedByConditionContent() throws {
    let study = toyStudy()
    let all = try Engine.run(study, conditions: study.defaultConditions, options: RunOptions(reps: 50, seed: 3, threads: 2))
    let one = try Engine.run(study, conditions: try study.grid(settings: ["n=20", "mu=0.5"]), options: RunOptions(reps: 80, seed: 3, threads: 1))
    let index = study.defaultConditions.firstIndex { $0.canonical == "n=20,mu=0.5" }!
    let first50 = one.rows[0].filter { $0.replicate < 50 }.map { r -> ResultRow in var r = r; r.condition = Int32(index); return r }
    #expect(first50 == all.rows[index])
    let otherSeed = try Engine.run(study, conditions: study.defaultConditions, options: RunOptions(reps: 50, seed: 4, threads: 2))
    #expect(otherSeed.rows[index] != all.rows[index])
  }

  /// A throwing method is recorded as failed with its message; the other methods' rows are exactly
  /// those of a run without it; the failure count equals a direct count of the failing draws.
  @Test func failuresAreDataAndDoNotAffectOtherMethods() throws {
    let with = try Engine.run(toyStudy(), conditions: toyStudy().defaultConditions, options: RunOptions(reps: 400, seed: 5, threads: 2))
    let without = try Engine.run(toyStudy(failing: false), conditions: toyStudy().defaultConditions, options: RunOptions(reps: 400, seed: 5, threads: 2))
    for c in with.rows.indices {
      #expect(with.rows[c].filter { $0.method < 2 } == without.rows[c])
      // Count the failing draws directly from the streams.
      let cond = with.conditions[c]
      var expectedFailures = 0
      for rep in 0..<400 {
        let rng = try RandomStream(key: StreamKey(seed: 5, condition: cond.canonical, replicate: rep))
        if rng.normals(try cond.int("n"), mean: try cond.double("mu"))[0] > 1.5 { expectedFailures += 1 }
      }
      #expect(with.rows[c].count { $0.method == 2 && $0.status == .failed } == expectedFailures)
      #expect(with.notes[c].allSatisfy { $0.status != .failed || $0.message.contains("first draw above 1.5") })
    }
    let summary = Report(with).summary
    let rate = summary.first { $0.condition == 0 && $0.method == "fragile" && $0.measure == "failure_rate" }!
    let p = rate.estimate
    #expect(abs(rate.mcse! - (p * (1 - p) / 400).squareRoot()) < 1e-15)
    #expect(summary.contains { $0.method == "fragile" && $0.measure == "nonconvergence_rate" && $0.estimate > 0.2 })
    #expect(!Report(with).failures.isEmpty)
  }

  /// With a reference method, every other method's continuous estimand gets the relative measures
  /// over exactly the replicates where both succeeded: here "fragile" (failing or not converging
  /// on some draws) against "mean", recomputed from a direct join of the stored rows. The reference
  /// itself gets none, and a reference that is not a method is one sentence.
  @Test func referenceComparisonsUseTheReplicatesWhereBothSucceeded() throws {
    let study = toyStudy()
    let r = try Engine.run(study, conditions: study.defaultConditions, options: RunOptions(reps: 300, seed: 11, threads: 2))
    let summary = try Summarizer(study: study, conditions: r.conditions, reps: 300, reference: "mean").summary(from: r)
    #expect(!summary.contains { $0.method == "mean" && $0.measure == "bias_diff" })
    for c in r.conditions.indices {
      let mean = Dictionary(uniqueKeysWithValues: r.rows[c].filter { $0.method == 0 }.map { ($0.replicate, $0.value) })
      let pairs = r.rows[c].filter { $0.method == 2 && $0.status == .ok }.sorted { $0.replicate < $1.replicate }
        .map { (method: $0.value!, reference: mean[$0.replicate]!!) }
      #expect(pairs.count < 300 && pairs.count > 100)  // some replicates drop out, most remain
      let expected = PerformanceMeasures.relative(pairs)
      let got = summary.filter { $0.condition == c && $0.method == "fragile" && expected.map(\.measure).contains($0.measure) }
      #expect(got.map(\.measure) == expected.map(\.measure))
      #expect(got.map(\.estimate) == expected.map(\.estimate) && got.map(\.mcse) == expected.map(\.mcse))
    }
    #expect(Report(r).summary.allSatisfy { $0.measure != "bias_diff" })  // the toy study names no reference
    #expect(throws: StudyError.invalidArgument(
      "the reference method 'mode' is not one of toy's methods: mean, median, fragile")) {
      try Summarizer(study: study, conditions: r.conditions, reps: 300, reference: "mode")
    }
  }

  /// The mean's Wald interval has exact 95% coverage, so the estimated coverage is within 3 MCSE
  /// of 0.95 (fails with probability ≈ 0.003 per cell at a fixed seed — the seed is fixed).
  @Test func exactIntervalCoversAtNominalRate() throws {
    let study = toyStudy(failing: false)
    let r = try Engine.run(study, conditions: study.defaultConditions, options: RunOptions(reps: 2000, seed: 1, threads: 2))
    for s in Report(r).summary where s.method == "mean" && s.measure == "coverage" {
      #expect(abs(s.estimate - 0.95) < 3 * (0.95 * 0.05 / 2000).squareRoot())
    }
    for s in Report(r).summary where s.method == "mean" && s.measure == "bias" {
      #expect(abs(s.estimate) < 3 * s.mcse!)
    }
  }

  @Test func settingsAreParsedAndCheckedOneSentenceEach() throws {
    let study = toyStudy()
    #expect(try study.grid(settings: ["mu=0.50,1", "n=3"]).map(\.canonical) == ["n=3,mu=0.5", "n=3,mu=1"])
    #expect(throws: StudyError.badSetting("n")) { try study.grid(settings: ["n"]) }
    #expect(throws: StudyError.unknownFactor("N", known: ["n", "mu"])) { try study.grid(settings: ["N=5"]) }
    #expect(throws: StudyError.badValue(factor: "n", value: "five", expected: "integers")) { try study.grid(settings: ["n=five"]) }
    #expect(throws: StudyError.badValue(factor: "mu", value: "nan", expected: "finite numbers")) { try study.grid(settings: ["mu=nan"]) }
    #expect(throws: StudyError.self) {
      try Engine.run(study, conditions: try study.grid(settings: ["n=1"]), options: RunOptions(reps: 1, seed: 1))
    }
    #expect(throws: StudyError.self) { try Engine.run(study, conditions: study.defaultConditions, options: RunOptions(reps: 0, seed: 1)) }
  }

  @Test func csvRoundTripsThroughShow() throws {
    let study = toyStudy()
    let r = try Engine.run(study, conditions: study.defaultConditions, options: RunOptions(reps: 40, seed: 2, threads: 2))
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("simstudy-show-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: folder) }
    let report = Report(r)
    try report.write(to: folder, manifest: Manifest(result: r, threads: 2))
    let tex = try String(contentsOf: folder.appendingPathComponent("summary.tex"), encoding: .utf8)
    let headerLine = tex.split(separator: "\n").first { $0.hasPrefix("n & mu & method") }
    #expect(headerLine?.components(separatedBy: " & ").count == report.headline.header.count)
    #expect(tex.contains("\\toprule") && tex.contains("\\end{tabular}"))
    let back = try Report.read(study: study, from: folder)
    #expect(back.summary.count == report.summary.count)
    #expect(back.csv == report.csv)
    #expect(back.headline.text == report.headline.text)
  }

  /// --paired: every method is judged on the replicates where all methods succeeded, so the mean's
  /// n and bias equal those computed directly on that subset; failure rates still count everything.
  @Test func pairedUsesOnlyReplicatesWhereAllSucceeded() throws {
    let study = toyStudy()
    let r = try Engine.run(study, conditions: study.defaultConditions, options: RunOptions(reps: 300, seed: 8, threads: 2))
    let paired = Report(r, paired: true).summary
    for c in r.rows.indices {
      let bad = Set(r.rows[c].filter { $0.status != .ok }.map(\.replicate))
      let kept = r.rows[c].filter { $0.method == 0 && !bad.contains($0.replicate) }
      let n = paired.first { $0.condition == c && $0.method == "mean" && $0.measure == "n" }!
      #expect(Int(n.estimate) == kept.count && kept.count < 300)
      let bias = paired.first { $0.condition == c && $0.method == "mean" && $0.measure == "bias" }!
      let direct = kept.map { $0.value! - $0.truth! }.reduce(0, +) / Double(kept.count)
      #expect(abs(bias.estimate - direct) < 1e-14)
      let failure = paired.first { $0.condition == c && $0.method == "fragile" && $0.measure == "failure_rate" }!
      #expect(failure.estimate == Double(r.rows[c].count { $0.method == 2 && $0.status == .failed }) / 300)
    }
  }
}
