import DataGeneration
import Estimators
import LinearAlgebra
import RandomStreams
import ReplicateEngine

/// `study bench` figures for the crossed-effects family: the time to build and fit the default
/// (statsmodels) preset by REML, and the InstEval-shaped REML fit with its objective evaluations.
public enum CrossedEffectsBenchmarks {
  public static func lines() -> [BenchmarkLine] {
    do {
      return try measure()
    } catch {
      return [BenchmarkLine("crossed-effects benchmark", .nan, "", note: "failed: \(error)")]
    }
  }

  static func measure() throws -> [BenchmarkLine] {
    func stream(_ name: String) throws -> RandomStream {
      try RandomStream(key: StreamKey(seed: 20_260_404, condition: "crossed-effects benchmark \(name)", replicate: 0))
    }
    let threads = "BLAS threads \(BLAS.threads)"

    let small = try CrossedEffects.statsmodels.draw(using: stream("default")).design()
    var smallEvaluations = 0
    let smallSeconds = try Stopwatch.median(repeats: 51) {
      smallEvaluations = try CrossedLMM(small).fit().evaluations
    }

    let big = try CrossedEffects.instEvalShaped.draw(using: stream("insteval")).design()
    var bigEvaluations = 0
    var buildSeconds = 0.0
    let bigSeconds = try Stopwatch.median(repeats: 3) {
      var model: CrossedLMM?
      buildSeconds = try Stopwatch.seconds { model = try CrossedLMM(big) }
      bigEvaluations = try model?.fit().evaluations ?? 0
    }
    return [
      BenchmarkLine(
        "crossed-effects default-preset REML fit", smallSeconds * 1000, "ms",
        note: "n = 1000 (200 students × 5 classes, 50 teachers), build + fit, median of 51; "
          + "\(smallEvaluations) objective evaluations; \(threads)"),
      BenchmarkLine(
        "crossed-effects InstEval-shaped REML fit", bigSeconds, "s",
        note: "73 421 rows, 2 972 students × 1 128 teachers × 14 departments, 1 covariate; build + fit, "
          + "median of 3 (build \(String(format: "%.3f", buildSeconds)) s); \(threads)"),
      BenchmarkLine(
        "crossed-effects InstEval-shaped objective evaluations", Double(bigEvaluations), "evaluations",
        note: "REML deviance evaluations (dense block m = 1 145, one dpotrf each)"),
    ]
  }
}
