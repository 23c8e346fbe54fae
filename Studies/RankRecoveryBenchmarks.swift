import DataGeneration
import Estimators
import LinearAlgebra
import RandomStreams
import ReplicateEngine

/// The factor-panel kernel timings behind rank-recovery: one replicate as the issue counts it
/// (draw + one shared spectrum + nine selectors + one IFE fit), and its parts.
public enum RankRecoveryBenchmarks {
  public static func lines() -> [BenchmarkLine] {
    let previousThreads = BLAS.threads
    BLAS.setThreads(1)  // as inside a parallel run
    defer { BLAS.setThreads(previousThreads) }
    let design = FactorPanel.smoothExample(n: 100, t: 100, r: 3, noiseSD: 1)
    let repeats = 501
    var streams = (0..<(repeats + 1)).map { try? RandomStream(seed: 1, condition: "bench", replicate: $0) }
    var k = 0
    func next() -> RandomStream? {
      defer { k = (k + 1) % streams.count }
      if streams[k] == nil { streams[k] = try? RandomStream(seed: 1, condition: "bench", replicate: k) }
      return streams[k]
    }
    guard let sample = try? design.draw(using: next()!) else { return [] }
    var sink = 0.0
    let whole = Stopwatch.median(repeats: repeats) {
      guard let rng = next(), let s = try? design.draw(using: rng), let spectrum = try? PanelSpectrum(panel: s.y) else { return }
      var ranks: [Int] = []
      for selector in RankSelector.allCases { ranks.append((try? selector.select(spectrum)) ?? 0) }
      if let fit = try? InteractiveFixedEffects.fit(spectrum: spectrum, rank: ranks[1]) { sink += fit.ssr }
    }
    let draw = Stopwatch.median(repeats: repeats) { if let rng = next(), let s = try? design.draw(using: rng) { sink += s.y[0, 0] } }
    let spectrumTime = Stopwatch.median(repeats: repeats) { if let s = try? PanelSpectrum(panel: sample.y) { sink += s.trace } }
    let spectrum = try? PanelSpectrum(panel: sample.y)
    let selectors = Stopwatch.median(repeats: repeats) {
      guard let spectrum else { return }
      for selector in RankSelector.allCases { sink += Double((try? selector.select(spectrum)) ?? 0) }
    }
    let fit = Stopwatch.median(repeats: repeats) {
      if let spectrum, let f = try? InteractiveFixedEffects.fit(spectrum: spectrum, rank: 3) { sink += f.ssr }
    }
    let note = "N = T = 100, r = 3, sd = 1, kmax = 8, one thread, median of \(repeats)"
    return [
      BenchmarkLine("rank-recovery kernel: draw + spectrum + 9 selectors + 1 IFE fit", whole * 1000, "ms", note: note + (sink.isNaN ? " " : "")),
      BenchmarkLine("  draw (FactorPanel)", draw * 1000, "ms"),
      BenchmarkLine("  shared spectrum (demeaning, Gram, all eigenvalues)", spectrumTime * 1000, "ms"),
      BenchmarkLine("  nine selectors on the spectrum", selectors * 1000, "ms"),
      BenchmarkLine("  one IFE fit at r = 3 from the spectrum", fit * 1000, "ms"),
    ]
  }
}
