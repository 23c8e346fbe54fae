import ReplicateEngine

/// The built-in benchmarks that `study bench` runs: the engine's throughput, then each family's fit times.
public enum Benchmarks {
  public static let families: [BenchmarkFamily] = [
    BenchmarkFamily(name: "engine", lines: { reps in try engineLines(reps: reps) }),
    BenchmarkFamily(name: "rank-recovery", lines: { _ in RankRecoveryBenchmarks.lines() }),
    BenchmarkFamily(name: "grouped-slopes", lines: { _ in GroupedSlopesBenchmarks.lines() }),
    BenchmarkFamily(name: "crossed-effects", lines: { _ in CrossedEffectsBenchmarks.lines() }),
    BenchmarkFamily(name: "confounded-logit", lines: { _ in ConfoundedLogitBenchmarks.lines() }),
  ]

  /// Replicates per second of rank-recovery at N = T = 100, r = 3 with 1 and 2 threads, their
  /// ratio, wall time per replicate, and the split between drawing data and estimating.
  static func engineLines(reps: Int) throws -> [BenchmarkLine] {
    let study = rankRecoveryStudy
    let conditions = try study.grid(settings: ["N=100", "T=100", "r=3", "sd=1"])
    var rates: [Int: Double] = [:]
    var single: RunResult?
    for threads in [1, 2] {
      let r = try Engine.run(study, conditions: conditions, options: RunOptions(reps: reps, seed: study.seed, threads: threads))
      rates[threads] = Double(reps) / r.timing.wallSeconds
      if threads == 1 { single = r }
    }
    guard let one = single, let r1 = rates[1], let r2 = rates[2] else { return [] }
    let estimation = one.timing.methodSeconds.reduce(0, +)
    let busy = one.timing.generateSeconds + estimation
    return [
      BenchmarkLine("rank-recovery replicates/s, 1 thread", r1, "rep/s", note: "N=T=100, r=3, sd=1, kmax=8, \(reps) reps"),
      BenchmarkLine("rank-recovery replicates/s, 2 threads", r2, "rep/s"),
      BenchmarkLine("speed-up 2 vs 1 threads", r2 / r1, "×"),
      BenchmarkLine("wall time per replicate, 1 thread", 1000 / r1, "ms", note: "draw + nine selectors + IFE fit"),
      BenchmarkLine("share of time drawing data", 100 * one.timing.generateSeconds / busy, "%"),
      BenchmarkLine("share of time estimating", 100 * estimation / busy, "%"),
    ]
  }
}
