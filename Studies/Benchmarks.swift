import Estimators
import Foundation
import ReplicateEngine

/// The built-in benchmarks that `study bench` runs: the engine's throughput, then each family's fit times.
public enum Benchmarks {
  public static let families: [BenchmarkFamily] = [
    BenchmarkFamily(name: "engine", lines: { reps in try engineLines(reps: reps) }, peers: Peers.engine),
    BenchmarkFamily(name: "rank-recovery", lines: { _ in RankRecoveryBenchmarks.lines() }, peers: Peers.rankRecovery),
    BenchmarkFamily(name: "grouped-slopes", lines: { _ in GroupedSlopesBenchmarks.lines() }, peers: Peers.groupedSlopes),
    BenchmarkFamily(name: "crossed-effects", lines: { _ in CrossedEffectsBenchmarks.lines() }, peers: Peers.crossedEffects),
    BenchmarkFamily(name: "confounded-logit", lines: { _ in ConfoundedLogitBenchmarks.lines() }, peers: Peers.confoundedLogit),
    BenchmarkFamily(name: "bayesian-logit", lines: { _ in BayesianLogitBenchmarks.lines() }, peers: Peers.bayesianLogit),
  ]

  /// The Python peers each family is compared with under `study bench --peers DIR` (the scripts of
  /// the peers' README: same designs, the tools a user of the field would reach for).
  public enum Peers {
    static let rankRecoveryScript = "rank_recovery.py"
    static let rankRecoveryArguments = ["--reps", "20"]
    static let theirReplicate =
      "theirs: median over their 24 cells at N=T=100 of the median replicate (simulate + demean + eigen + 2 selectors IC_p2, ER + 1 crabbymetrics fit; numpy BLAS threads as installed)"

    /// The engine's replicate (a whole run, bookkeeping included) against the peer's replicate.
    public static let engine = PeerComparison(
      script: rankRecoveryScript, arguments: rankRecoveryArguments,
      pairs: [
        .init(
          ours: "wall time per replicate, 1 thread", theirs: "replicate 100x100",
          note: "ours: engine run, wall / reps (draw + 9 selectors + 1 IFE fit + bookkeeping); " + theirReplicate)
      ], timeout: 300, parse: PeerOutputs.rankRecovery)

    /// The rank-recovery kernel (median replicate, no engine) against the peer's replicate.
    public static let rankRecovery = PeerComparison(
      script: rankRecoveryScript, arguments: rankRecoveryArguments,
      pairs: [
        .init(
          ours: "rank-recovery kernel: draw + spectrum + 9 selectors + 1 IFE fit", theirs: "replicate 100x100",
          note: "ours: median replicate, 1 thread (draw + spectrum + 9 selectors + 1 IFE fit); " + theirReplicate),
        .init(
          ours: "one IFE fit at r = 3 from the spectrum", theirs: "fit 100x100",
          note: "ours: IFE fit reusing the shared spectrum; theirs: one crabbymetrics InteractiveFixedEffects fit from the panel"),
      ], timeout: 300, parse: PeerOutputs.rankRecovery)

    public static let confoundedLogit = PeerComparison(
      script: "confounded_logit.py", arguments: ["--reps", "10"],
      pairs: [
        .init(ours: "confounded-logit naive fit", theirs: "naive", note: "G=30, n=2000; median per fit; theirs statsmodels Logit"),
        .init(
          ours: "confounded-logit fixed-effects fit", theirs: "fe_dummies", note: "theirs statsmodels Logit with group dummies"),
        .init(ours: "confounded-logit conditional fit", theirs: "cond_logit", note: "theirs statsmodels ConditionalLogit"),
        .init(
          ours: "confounded-logit random-intercept (Laplace) fit", theirs: "glmer_re",
          note: "both Laplace; theirs interlace glmer"),
        .init(
          ours: "confounded-logit random-intercept fit", theirs: "glmer_re",
          note: "ours adaptive Gauss–Hermite, 7 nodes; theirs interlace glmer, Laplace"),
        .init(
          ours: "confounded-logit mundlak fit", theirs: "glmer_mundlak",
          note: "ours adaptive Gauss–Hermite, 7 nodes; theirs interlace glmer, Laplace"),
        .init(
          ours: "confounded-logit replicate, all 6 methods", theirs: "replicate",
          note: "ours: draw + our 6 methods; theirs: simulate + their 8 estimators"),
      ], timeout: 600, parse: PeerOutputs.confoundedLogit)

    /// PyMC + nutpie on the five Bayesian logits: the script ships with SimStudy
    /// (scripts/reference/confounding_models.py, found next to this source file), runs on the
    /// fixture data set, which is the same DGP draw our benchmark fits, with the same settings.
    public static let bayesianLogit = PeerComparison(
      script: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("scripts/reference/confounding_models.py").path,
      arguments: ["--bench", "3"],
      pairs: ConfoundingModel.allCases.flatMap { model in
        [
          PeerComparison.Pair(
            ours: "bayesian-logit \(model.rawValue) sampling, 1 thread", theirs: "\(model.rawValue) cores=1",
            note: "G=30, n=2000, 4 chains × (1000+1000); sampling only, median of 3 seeds; theirs nutpie cores=1 (compile excluded)"),
          PeerComparison.Pair(
            ours: "bayesian-logit \(model.rawValue) sampling, 2 threads", theirs: "\(model.rawValue) cores=2",
            note: "same, chains over 2 threads; theirs nutpie cores=2"),
        ]
      }, timeout: 1200, parse: PeerOutputs.bayesianLogit)

    public static let crossedEffects = PeerComparison(
      script: "crossed_lmm.py", arguments: ["--reps", "5", "--methods", "sm,interlace"],
      pairs: [
        .init(
          ours: "crossed-effects default-preset REML fit", theirs: "sm",
          note: "200 students × 5, 50 teachers; build + REML fit, median; theirs statsmodels MixedLM (vc_formula)"),
        .init(
          ours: "crossed-effects default-preset REML fit", theirs: "interlace",
          note: "same; theirs interlace-lme (SuperLU)"),
      ], timeout: 600, parse: PeerOutputs.crossedLMM)

    public static let groupedSlopes = PeerComparison(
      script: "grouped_slopes.py", arguments: ["--reps", "2", "--cells", "100x20x2"],
      pairs: [
        .init(
          ours: "C-Lasso-IFE K=3 R=2 (su-ju)", theirs: "100x20x2",
          note: "N=100, T=20, R=2, 3 groups; ours median fit, theirs median replicate of 2 (simulate + Su–Ju reference, numba compile excluded)")
      ], timeout: 600, parse: PeerOutputs.groupedSlopes)
  }

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
