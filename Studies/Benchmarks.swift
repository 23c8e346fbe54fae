import ReplicateEngine

/// The families' benchmarks that `study bench` runs after the engine's own.
public enum Benchmarks {
  public struct Family: Sendable {
    public let name: String
    public let lines: @Sendable () -> [BenchmarkLine]
  }
  public static let families: [Family] = [
    Family(name: "rank-recovery", lines: { RankRecoveryBenchmarks.lines() }),
    Family(name: "grouped-slopes", lines: { GroupedSlopesBenchmarks.lines() }),
    Family(name: "crossed-effects", lines: { CrossedEffectsBenchmarks.lines() }),
    Family(name: "confounded-logit", lines: { ConfoundedLogitBenchmarks.lines() }),
  ]
}
