import Estimators
import Foundation
import ReplicateEngine

/// The framework's own cost per replicate and per stored row: a study whose methods cost next to
/// nothing (the mean and the median of 10 normal draws), run in memory and into a store. What it
/// measures is the engine (keyed streams, scheduling, rows, summaries) and the store (SQLite
/// commits), not any estimator. Every `study` command has it (`bench --only overhead`).
public enum OverheadBenchmark {
  public static let family = BenchmarkFamily(name: "overhead") { reps in try lines(reps: max(reps, 20_000)) }

  static let study = Study(
    name: "overhead", aim: "the engine's cost per replicate", seed: 1,
    factors: [Factor("n", integers: [10])], estimands: [EstimandSpec("mu", .continuous)],
    columns: [TableColumn("mu", .bias)],
    generate: { c, rng in Draw(rng.normals(try c.int("n")), truth: ["mu": 0]) },
    methods: [
      StudyMethod("mean") { x, _ in MethodOutput([Estimate.wald("mu", value: x.reduce(0, +) / Double(x.count), se: 1)]) },
      StudyMethod("median") { x, _ in MethodOutput([Estimate(estimand: "mu", value: x.sorted()[x.count / 2])]) },
    ])

  static func lines(reps: Int) throws -> [BenchmarkLine] {
    let rowsPerReplicate = Double(study.methodNames.count * study.estimands.count)
    var out: [BenchmarkLine] = []
    for threads in [1, 2] {
      let r = try Engine.run(study, conditions: study.defaultConditions, options: RunOptions(reps: reps, seed: 1, threads: threads))
      out.append(
        BenchmarkLine(
          "overhead: replicates/s in memory, \(threads) thread\(threads > 1 ? "s" : "")", Double(reps) / r.timing.wallSeconds,
          "rep/s", note: threads == 1 ? "2 trivial methods on 10 draws, \(reps) reps" : ""))
    }
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("simstudy-overhead-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: folder) }
    let run = try StudyRun(study, RunSettings(reps: reps, threads: 2, results: folder))
    let clock = ContinuousClock()
    let start = clock.now
    let outcome = try run.execute()
    let total = (clock.now - start).seconds
    out.append(BenchmarkLine("overhead: replicates/s into the store, 2 threads", Double(reps) / outcome.wallSeconds, "rep/s"))
    out.append(
      BenchmarkLine(
        "overhead: rows/s stored, 2 threads", Double(reps) * rowsPerReplicate / outcome.wallSeconds, "rows/s",
        note: "\(Int(rowsPerReplicate)) rows per replicate, committed in batches"))
    out.append(
      BenchmarkLine(
        "overhead: whole run incl. summary and files", total, "s", note: "open, run, summarise, write (\(reps) reps)"))
    return out
  }
}
