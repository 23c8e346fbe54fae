import DataGeneration
import Estimators
import RandomStreams
import ReplicateEngine

/// Timings for `study bench`: the median time of each confounded-logit method's fit on the default
/// preset (G = 30, n = 2000), over fits on 21 independent draws, plus the time to draw one data set.
public enum ConfoundedLogitBenchmarks {
  public static func lines() -> [BenchmarkLine] {
    let draws = 21
    let design = ConfoundedLogit()
    let note = "G=\(design.groups), n=\(design.individuals); median over \(draws) draws"
    var samples: [GroupedBinaryData] = []
    var generateTimes: [Double] = []
    do {
      for i in 0..<draws {
        let rng = try RandomStream(seed: 2026, condition: "confounded-logit benchmark", replicate: i)
        var sample: ConfoundedLogitSample?
        generateTimes.append(try Stopwatch.seconds { sample = try design.draw(using: rng) })
        if let s = sample { samples.append(try GroupedBinaryData(y: s.y, x: s.x, group: s.group, z: s.z)) }
      }
    } catch {
      return [BenchmarkLine("confounded-logit data generation", .nan, "ms", note: "failed: \(error)")]
    }
    var lines = [BenchmarkLine("confounded-logit draw", Stopwatch.median(generateTimes) * 1000, "ms", note: note)]
    let laplace = RandomInterceptLogit(integration: .laplace)
    let methods: [(String, (GroupedBinaryData) throws -> Void)] =
      confoundedLogitMethods.map { method in
        (method.name, { data in _ = try method.run(data, Condition(names: [], values: []), StreamKey()) })
      } + [("random-intercept (Laplace)", { data in _ = try laplace.fit(data) })]
    for (name, fit) in methods {
      var times: [Double] = []
      var failures = 0
      for data in samples {
        do {
          times.append(try Stopwatch.seconds { try fit(data) })
        } catch {
          failures += 1
        }
      }
      lines.append(
        BenchmarkLine(
          "confounded-logit \(name) fit", times.isEmpty ? .nan : Stopwatch.median(times) * 1000, "ms",
          note: note + (failures > 0 ? "; \(failures) fits failed" : "")))
    }
    // The whole replicate as the study runs it: draw + every method.
    let condition = Condition(names: ["groups", "individuals"], values: ["\(design.groups)", "\(design.individuals)"])
    var replicateTimes: [Double] = []
    var replicateFailure: String?
    for i in 0..<draws {
      do {
        replicateTimes.append(
          try Stopwatch.seconds { _ = try confoundedLogitStudy.replicate(condition, index: i, seed: confoundedLogitStudy.seed) })
      } catch {
        replicateFailure = "\(error)"
      }
    }
    lines.append(
      BenchmarkLine(
        "confounded-logit replicate, all \(confoundedLogitMethods.count) methods",
        replicateTimes.isEmpty ? .nan : Stopwatch.median(replicateTimes) * 1000, "ms",
        note: note + "; draw + every method" + (replicateFailure.map { "; failed: \($0)" } ?? "")))
    return lines
  }
}
