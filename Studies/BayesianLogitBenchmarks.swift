import DataGeneration
import Estimators
import RandomStreams
import ReplicateEngine
import Sampling

/// Timings for `study bench`: each Bayesian confounded-logit model fitted by NUTS with the study's
/// settings (4 chains × (1000 warm-up + 1000 draws)) on the default design (G = 30, n = 2000):
/// the median fit time (sampling, the natural-scale summaries and PSIS-LOO) over a few data sets,
/// and the bulk ESS per second of bxy and of the worst-mixing parameter.
public enum BayesianLogitBenchmarks {
  public static func lines(fits: Int = 3) -> [BenchmarkLine] {
    let design = ConfoundedLogit()
    let note = "G=\(design.groups), n=\(design.individuals); \(bayesianLogitSettings.description); median over \(fits) data sets; 1 thread"
    var samples: [GroupedBinaryData] = []
    do {
      for i in 0..<fits {
        let s = try design.draw(using: try RandomStream(seed: 2026, condition: "bayesian-logit benchmark", replicate: i))
        samples.append(try GroupedBinaryData(y: s.y, x: s.x, group: s.group, z: s.z))
      }
    } catch {
      return [BenchmarkLine("bayesian-logit data generation", .nan, "ms", note: "failed: \(error)")]
    }
    var lines: [BenchmarkLine] = []
    for model in ConfoundingModel.allCases {
      var times: [Double] = [], essBxy: [Double] = [], essWorst: [Double] = [], gradients: [Double] = []
      var failure: String?
      for (i, data) in samples.enumerated() {
        do {
          let method = try BayesianConfoundingLogit(model, settings: bayesianLogitSettings)
          var fit: BayesianConfoundingLogit.Fit?
          let seconds = try Stopwatch.seconds {
            fit = try method.fit(data, key: StreamKey(seed: 2026, condition: "bayesian-logit benchmark", replicate: i).appending(model.rawValue))
          }
          guard let fit else { continue }
          times.append(seconds)
          essBxy.append((fit.posterior.summary("bxy")?.essBulk ?? .nan) / seconds)
          essWorst.append((fit.posterior.summaries.map(\.essBulk).min() ?? .nan) / seconds)
          gradients.append(Double(fit.posterior.gradientEvaluations))
        } catch {
          failure = "\(error)"
        }
      }
      let tail = failure.map { "; failed: \($0)" } ?? ""
      lines.append(BenchmarkLine("bayesian-logit \(model.rawValue) fit", median(times) * 1000, "ms", note: note + tail))
      lines.append(
        BenchmarkLine(
          "bayesian-logit \(model.rawValue) bulk ESS/s of bxy", median(essBxy), "1/s",
          note: "worst parameter \(String(format: "%.0f", median(essWorst)))/s; \(String(format: "%.0f", median(gradients))) gradients per fit"))
    }
    return lines
  }

  private static func median(_ values: [Double]) -> Double {
    guard !values.isEmpty else { return .nan }
    let s = values.sorted()
    let n = s.count
    return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
  }
}
