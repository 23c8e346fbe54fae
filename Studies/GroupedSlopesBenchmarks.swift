import DataGeneration
import Estimators
import RandomStreams
import ReplicateEngine

/// Timings of the grouped-slopes estimators on one fixed replicate (`study bench`): the figures the
/// issue sets targets for (C-Lasso with K known ≤ 20 ms and with K̂ over 1..5 ≤ 100 ms at
/// N = 100, T = 20, `ssp-static`, release build) and the Su–Ju variant. Each line is the median of
/// repeated runs after a warm-up; data generation is not counted.
public enum GroupedSlopesBenchmarks {
  public static func lines() -> [BenchmarkLine] {
    var out: [BenchmarkLine] = []
    func time(_ name: String, _ note: String, repeats: Int, _ body: () throws -> Void) {
      do {
        let seconds = try Stopwatch.median(repeats: repeats, body)
        out.append(BenchmarkLine(name, seconds * 1000, "ms", note: note))
      } catch {
        out.append(BenchmarkLine(name, .nan, "ms", note: "failed: \(error)"))
      }
    }
    let ssp: SlopePanel, suJu: SlopePanel
    do {
      ssp = try panel(.sspStatic)
      suJu = try panel(.suJu)
    } catch {
      return [BenchmarkLine("grouped-slopes data", .nan, "ms", note: "could not draw the benchmark panels: \(error)")]
    }
    let sizes = "N = 100, T = 20, p = 2, median of 15"
    time("C-Lasso K=3 (ssp-static)", "\(sizes); target ≤ 20 ms", repeats: 15) { _ = try CLasso().fit(ssp, groups: 3) }
    time("C-Lasso K̂ over 1..5 (ssp-static)", "\(sizes); target ≤ 100 ms", repeats: 15) {
      _ = try CLasso().selectGroups(ssp, maxGroups: 5)
    }
    time("C-Lasso-IFE K=3 R=2 (su-ju)", "\(sizes); includes the post-Lasso IFE", repeats: 15) {
      _ = try CLassoIFE(factors: 2).fit(suJu, groups: 3)
    }
    let condition = Condition(names: ["N", "T", "p", "preset", "C"], values: ["100", "20", "2", "ssp-static", "0.6"])
    time("grouped-slopes replicate, all 5 methods (ssp-static)", "\(sizes); includes drawing the data", repeats: 15) {
      _ = try groupedSlopesStudy.replicate(condition, index: 0, seed: groupedSlopesStudy.seed)
    }
    return out
  }

  private static func panel(_ preset: GroupedSlopesPanel.Preset) throws -> SlopePanel {
    let dgp = try GroupedSlopesPanel(preset: preset, units: 100, periods: 20)
    let sample = try dgp.draw(using: RandomStream(seed: 20_160_623, condition: "benchmark/\(preset.rawValue)", replicate: 0))
    return try SlopePanel(y: sample.y, x: sample.x, regressors: sample.regressors)
  }
}
