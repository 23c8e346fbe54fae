import DataGeneration
import Estimators
import RandomStreams
import ReplicateEngine
import Sampling

/// Timings for `study bench`: each Bayesian confounded-logit model (Docs/BinaryChoice.md §11)
/// sampled by NUTS with the source analysis' settings (4 chains × (1000 warm-up + 1000 draws)) on one draw of
/// the default design (G = 30, n = 2000) — the draw of the stream key (20261122,
/// "confounded-logit-bayes", 0), which is the data set of the PyMC + nutpie reference fixture, so
/// `--peers` compares the two samplers on the same data. Per model: the median over 3 sampler keys
/// of the sampling time with the chains on 1 thread and spread over 2, the time of the
/// natural-scale summaries and PSIS-LOO that make a fit's output, the bulk ESS per second of
/// sampling (bxy, and the worst-mixing parameter), and the worst bulk ESS per 1000 gradients with
/// each metric adaptation (the measurement behind the default, on these models).
public enum BayesianLogitBenchmarks {
  public static func lines(repeats: Int = 3) -> [BenchmarkLine] {
    let data: GroupedBinaryData
    do {
      let s = try ConfoundedLogit().draw(using: try RandomStream(seed: 20_261_122, condition: "confounded-logit-bayes", replicate: 0))
      data = try GroupedBinaryData(y: s.y, x: s.x, group: s.group, z: s.z)
    } catch {
      return [BenchmarkLine("bayesian-logit data generation", .nan, "ms", note: "failed: \(error)")]
    }
    let settings = NUTSSettings(warmup: 1000, draws: 1000, chains: 4)
    let note = "G=\(data.groupCount), n=\(data.count); \(settings.description); median over \(repeats) sampler keys"
    var lines: [BenchmarkLine] = []
    for model in ConfoundingModel.allCases {
      var one: [Double] = [], two: [Double] = [], post: [Double] = [], essBxy: [Double] = [], essWorst: [Double] = []
      var gradients: [Double] = [], efficiency: [Double] = [], windowedEfficiency: [Double] = []
      var failure: String?
      do {
        let target = try ConfoundingPosterior(model, data: data)
        let sampler = try NUTS(settings: settings)
        var windowedSettings = settings
        windowedSettings.metricAdaptation = .windowed
        let windowed = try NUTS(settings: windowedSettings)
        // The smallest bulk ESS over parameters per 1000 gradient evaluations, warm-up included.
        func perGradient(_ posterior: Posterior) -> Double {
          1000 * (posterior.summaries.map(\.essBulk).min() ?? .nan) / Double(posterior.gradientEvaluations)
        }
        for r in 0..<repeats {
          let key = StreamKey(seed: 2026, condition: "bayesian-logit benchmark", replicate: r).appending(model.rawValue)
          var chains: [ChainOutput] = []
          one.append(try Stopwatch.seconds { chains = try sampler.sample(target, key: key) })
          two.append(try Stopwatch.seconds { _ = try sampler.sample(target, key: key, threads: 2) })
          var fit: BayesianConfoundingLogit.Fit?
          post.append(Stopwatch.seconds { fit = BayesianConfoundingLogit.Fit(target, chains: chains) })
          guard let fit else { continue }
          essBxy.append((fit.posterior.summary("bxy")?.essBulk ?? .nan) / one[r])
          essWorst.append((fit.posterior.summaries.map(\.essBulk).min() ?? .nan) / one[r])
          gradients.append(Double(fit.posterior.gradientEvaluations))
          efficiency.append(perGradient(fit.posterior))
          windowedEfficiency.append(perGradient(Posterior(target, chains: try windowed.sample(target, key: key))))
        }
      } catch {
        failure = "failed: \(error)"
      }
      let name = "bayesian-logit \(model.rawValue)"
      lines.append(BenchmarkLine("\(name) sampling, 1 thread", Stopwatch.median(one) * 1000, "ms", note: failure ?? note))
      lines.append(BenchmarkLine("\(name) sampling, 2 threads", Stopwatch.median(two) * 1000, "ms", note: "chains spread over 2 threads; same draws"))
      lines.append(BenchmarkLine("\(name) summaries + PSIS-LOO", Stopwatch.median(post) * 1000, "ms", note: "every parameter's summary and R̂/ESS, pointwise log-likelihood of 4000 draws, PSIS-LOO"))
      lines.append(
        BenchmarkLine(
          "\(name) bulk ESS/s of bxy", Stopwatch.median(essBxy), "1/s",
          note: "per second of 1-thread sampling; worst parameter \(String(format: "%.0f", Stopwatch.median(essWorst)))/s; \(String(format: "%.0f", Stopwatch.median(gradients))) gradients per fit"))
      lines.append(
        BenchmarkLine(
          "\(name) worst bulk ESS per 1000 gradients", Stopwatch.median(efficiency), "",
          note: "gradientBased (nutpie) metric, the default; windowed (Stan) \(String(format: "%.1f", Stopwatch.median(windowedEfficiency))) on the same keys"))
    }
    return lines
  }
}
