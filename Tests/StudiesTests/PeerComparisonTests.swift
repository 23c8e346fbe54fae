import Foundation
import ReplicateEngine
@testable import StudyCommandLine
import Studies
import Testing

/// `study bench --peers DIR`: the parsers of the Python peer scripts' output (on short outputs
/// captured from the scripts, embedded here; no Python is needed) and the runner's failures.
@Suite struct PeerComparisonTests {
  static let rankRecoveryOutput = """
    rank_recovery: reps=5 seed=20240501 kmax=8 crabbymetrics InteractiveFixedEffects(force=3)
       N    T  r      F   sd | P(IC) P(ER)  mIC  mER |  rmseIC  rmseER  rmseOr |  fit_us  rep_us
    ---------------------------------------------------------------------------------------------
     100  100  3  gauss  2.0 |  1.00  1.00  3.0  3.0 |  0.5852  0.5852  0.5852 |    1183    1843

    Summary by (N, T) (median per-replicate times, microseconds):
       N    T | P(IC) P(ER) |  fit_us  rep_us rep+3fits_us
      40   32 |  0.92  0.91 |      87     248          435
     100  100 |  1.00  0.98 |    1163    1887         4285

    Overall correct-rank frequency: IC_p2 0.960, ER 0.935
    """

  static let confoundedLogitOutput = """
    confounded_logit: groups=30 ids=2000 reps=2 seed=20240503
                  |        b_xy (truth 0)        |        b_zy (truth 1)        |         ms per fit         
    estimator     |      bias      rmse  cover95 |      bias      rmse  cover95 |    median      p25      p75
    ------------------------------------------------------------------------------------------------------
    naive         |   +0.6180    0.6191    0.000 |   -0.0599    0.1201    1.000 |      2.01     1.81     2.21
    fe_dummies    |   -0.0147    0.0243    1.000 |       n/a       n/a      n/a |    169.92   145.52   194.32
    cond_logit    |   -0.0145    0.0240    1.000 |       n/a       n/a      n/a |   1000.81   936.97  1064.66
    glmer_re      |   +0.1438    0.1482    0.500 |   +0.0271    0.3627    1.000 |    567.46   553.07   581.84

    failed fits (exception; excluded from bias/rmse/coverage, time kept):
      naive          0/2

    simulate: median 0.325 ms; whole replicate (simulate + all 8 estimators): median 2591.5 ms; wall 5.2 s for 2 reps
    """

  static let crossedOutput = """
    crossed_lmm: 200 students x 5 courses, 50 teachers (n = 1000), reps=2, seed=20240502

    method           | component truth    mean    bias    rmse | s/fit median     min     max  conv
    --------------------------------------------------------------------------------------------
    sm               | teachers    1.0   0.889  -0.111   0.399 |        3.643   3.188   4.098  1.00
                     | students    4.0   4.341  +0.341   0.656 | 
    interlace        | teachers    1.0   0.636  -0.364   0.733 |        0.634   0.634   0.635  1.00
                     | resid       9.0   9.637  +0.637   0.702 | 
    max |sm - interlace| over all components and reps: 5.06e-01
    sm                REML llf worse than best by > 1e-3 in 0/2 reps (max gap 0.000)
    """

  static let groupedOutput = """
    grouped_slopes (Su & Ju 2018 reference, kappa=0.1): reps=1 seed=20240504; numba JIT warm-up 14.4 s (excluded)
       N   T  R reps |    acc acc_min P(acc=1) | rmse_alpha | s/rep med     min     max
    -----------------------------------------------------------------------------------
     100  20  2    1 |  0.910   0.910     0.00 |     0.0564 |      2.54    2.54    2.54

    s/rep: seconds per replicate (simulate + estimate). Total wall 2.5 s
    """

  @Test func rankRecoveryReadsTheSummaryInSeconds() {
    let t = PeerOutputs.rankRecovery(Self.rankRecoveryOutput)
    #expect(close(t["replicate 100x100"], 1887e-6))
    #expect(close(t["fit 100x100"], 1163e-6))
    #expect(close(t["replicate+3fits 40x32"], 435e-6))
    #expect(t.count == 6)  // the per-cell table above the summary is not read
  }

  /// Equal up to rounding (the parsers divide by 10³ or 10⁶).
  func close(_ a: Double?, _ b: Double) -> Bool { a.map { abs($0 - b) <= 1e-12 * max(1, abs(b)) } ?? false }

  @Test func confoundedLogitReadsEachEstimatorAndTheReplicate() {
    let t = PeerOutputs.confoundedLogit(Self.confoundedLogitOutput)
    #expect(close(t["naive"], 2.01e-3))
    #expect(close(t["fe_dummies"], 169.92e-3))
    #expect(close(t["cond_logit"], 1000.81e-3))
    #expect(close(t["glmer_re"], 567.46e-3))
    #expect(close(t["simulate"], 0.325e-3))
    #expect(close(t["replicate"], 2591.5e-3))
    #expect(t.count == 6)
  }

  @Test func crossedLMMReadsEachMethodsMedianFit() {
    #expect(PeerOutputs.crossedLMM(Self.crossedOutput) == ["sm": 3.643, "interlace": 0.634])
  }

  @Test func groupedSlopesReadsEachCell() {
    #expect(PeerOutputs.groupedSlopes(Self.groupedOutput) == ["100x20x2": 2.54])
  }

  @Test func parsersReturnNothingOnOtherText() {
    let junk = "Traceback (most recent call last):\n  File \"x.py\", line 1\nModuleNotFoundError: No module named 'numpy'\n"
    #expect(PeerOutputs.rankRecovery(junk).isEmpty)
    #expect(PeerOutputs.confoundedLogit(junk).isEmpty)
    #expect(PeerOutputs.crossedLMM(junk).isEmpty)
    #expect(PeerOutputs.groupedSlopes(junk).isEmpty)
    #expect(PeerOutputs.bayesianLogit(junk).isEmpty)
  }

  @Test func rowsPairOurLinesWithTheirLabelsInSeconds() {
    let peers = PeerComparison(
      script: "x.py", pairs: [.init(ours: "fit", theirs: "a"), .init(ours: "kernel", theirs: "b"), .init(ours: "rate", theirs: "a")],
      parse: { _ in [:] })
    let lines = [BenchmarkLine("  fit", 2, "ms"), BenchmarkLine("kernel", 0.5, "s"), BenchmarkLine("rate", 10, "rep/s")]
    let rows = PeerRow.rows(peers, ours: lines, theirs: ["a": 0.02])
    #expect(close(rows[0].ourSeconds, 0.002) && close(rows[1].ourSeconds, 0.5) && rows[2].ourSeconds == nil)
    #expect(close(rows[0].ratio, 10))
    #expect(rows[1].theirSeconds == nil && rows[1].ratio == nil)
  }

  /// Every failure is one sentence (a `PeerRunner.Failure`), never a crash; /bin/sh stands in
  /// for the interpreter so that no Python is needed.
  @Test func runnerFailuresAreSentences() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("peers-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    try "echo 'Summary by (N, T)'\necho ' 100  100 |  1.00  0.98 |    1163    1887         4285'\n"
      .write(to: dir.appendingPathComponent("good.sh"), atomically: true, encoding: .utf8)
    try "echo 'no module named numpy' >&2\nexit 3\n".write(to: dir.appendingPathComponent("bad.sh"), atomically: true, encoding: .utf8)
    try "echo hello\n".write(to: dir.appendingPathComponent("junk.sh"), atomically: true, encoding: .utf8)
    try "sleep 30\n".write(to: dir.appendingPathComponent("slow.sh"), atomically: true, encoding: .utf8)
    func comparison(_ script: String, timeout: Double = 30) -> PeerComparison {
      PeerComparison(script: script, pairs: [], timeout: timeout, parse: PeerOutputs.rankRecovery)
    }
    func failure(_ runner: PeerRunner, _ peers: PeerComparison) -> String? {
      do {
        _ = try runner.run(peers)
        return nil
      } catch {
        return (error as? PeerRunner.Failure)?.description
      }
    }
    let sh = PeerRunner(directory: dir.path, python: "/bin/sh")
    #expect(close(try sh.run(comparison("good.sh")).seconds["replicate 100x100"], 1887e-6))
    #expect(failure(PeerRunner(directory: dir.path, python: "/no/such/python3"), comparison("good.sh"))?.contains("no executable") == true)
    #expect(failure(PeerRunner(directory: dir.path, python: "no-such-python-xyz"), comparison("good.sh"))?.contains("on PATH") == true)
    #expect(failure(sh, comparison("missing.sh"))?.contains("no peer script") == true)
    #expect(failure(sh, comparison("bad.sh"))?.contains("no module named numpy") == true)
    #expect(failure(sh, comparison("junk.sh"))?.contains("could not read") == true)
    #expect(failure(sh, comparison("slow.sh", timeout: 0.5))?.contains("did not finish") == true)
  }

  @Test func builtInFamiliesDeclareTheirPeers() {
    let named = Dictionary(uniqueKeysWithValues: Benchmarks.families.map { ($0.name, $0.peers) })
    for name in ["engine", "rank-recovery", "confounded-logit", "crossed-effects", "grouped-slopes", "bayesian-logit"] {
      #expect(named[name].flatMap { $0 }.map { !$0.pairs.isEmpty } == true, "\(name)")
    }
  }

  /// The reference script ships with SimStudy; its path is absolute and must exist.
  @Test func bayesianPeerScriptShipsWithThePackage() {
    let script = Benchmarks.Peers.bayesianLogit.script
    #expect(script.hasPrefix("/") && FileManager.default.fileExists(atPath: script))
  }

  /// `confounding_models.py --bench N` lines as "MODEL cores=C" → seconds; other lines ignored.
  @Test func bayesianLogitReadsEachModelAndCoreCount() {
    let text = """
      PyMC 5.28.5 + nutpie 0.16.8: 4 chains x (1000 tune + 1000 draws)
      bench naive cores=1 seconds=2.6012 gradients=31354
      bench naive cores=2 seconds=1.3900 gradients=31354
      bench latent-mundlak cores=2 seconds=12.5 gradients=160000
      bench broken cores=1
      """
    #expect(PeerOutputs.bayesianLogit(text) == ["naive cores=1": 2.6012, "naive cores=2": 1.39, "latent-mundlak cores=2": 12.5])
  }
}
