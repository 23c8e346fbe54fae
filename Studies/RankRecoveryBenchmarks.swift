import Foundation
import DataGeneration
import Estimators
import LinearAlgebra
import RandomStreams
import ReplicateEngine

/// The factor-panel kernel timings behind rank-recovery: one replicate as the issue counts it
/// (draw + one shared spectrum + nine selectors + one IFE fit), and its parts; the spectrum split
/// into Gram + reduction and eigenvalues, with its flop count and the rate achieved against a
/// single-thread dgemm measured in the same run.
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
    // The spectrum's parts (Gram + reduction, eigenvalues) on the same demeaned panel, and its flop
    // count against a dgemm measured in this run. Flops: dsyrk m(m+1)k, dsytrd (4/3)m³ (the O(m²)
    // eigenvalue iteration and the O(mk) demeaning are not counted).
    let m = 100
    let otherSide = 100
    let spectrumFlops = Double(m * (m + 1) * otherSide) + 4.0 / 3.0 * Double(m * m * m)
    let demeaned = spectrum?.demeaned ?? sample.y
    let reduction = Stopwatch.median(repeats: repeats) {
      if let f = try? SymmetricTridiagonalForm(gramOf: demeaned, outer: true, scale: 1e-4) { sink += Double(f.order) }
    }
    let form = try? SymmetricTridiagonalForm(gramOf: demeaned, outer: true, scale: 1e-4)
    let eigenvalues = Stopwatch.median(repeats: repeats) {
      if let form, let v = try? form.eigenvalues() { sink += v[0] }
    }
    let peakSize = 400
    let a = Matrix(rows: peakSize, cols: peakSize) { i, j in Double((i * 7 + j * 3) % 11) - 5 }
    let gemm = Stopwatch.median(repeats: 21) { sink += a.multiplied(by: a)[0, 0] }
    let peak = 2 * pow(Double(peakSize), 3) / gemm / 1e9
    let achieved = spectrumFlops / spectrumTime / 1e9
    let note = "N = T = 100, r = 3, sd = 1, kmax = 8, one thread, median of \(repeats)"
    return [
      BenchmarkLine("rank-recovery kernel: draw + spectrum + 9 selectors + 1 IFE fit", whole * 1000, "ms", note: note + (sink.isNaN ? " " : "")),
      BenchmarkLine("  draw (FactorPanel)", draw * 1000, "ms"),
      BenchmarkLine("  shared spectrum (demeaning, Gram, all eigenvalues)", spectrumTime * 1000, "ms"),
      BenchmarkLine("    Gram + tridiagonal reduction (dsyrk + dsytrd)", reduction * 1000, "ms"),
      BenchmarkLine("    all 100 eigenvalues (dsterf)", eigenvalues * 1000, "ms"),
      BenchmarkLine("    demeaning, trace, rest", Swift.max(0, spectrumTime - reduction - eigenvalues) * 1000, "ms"),
      BenchmarkLine(
        "  spectrum flops (dsyrk m(m+1)k + dsytrd 4m³/3)", spectrumFlops / 1e6, "Mflop", note: "m = k = 100; O(m²) eigenvalues not counted"),
      BenchmarkLine("  spectrum achieved", achieved, "GFlop/s", note: String(format: "%.1f%% of the dgemm peak below", 100 * achieved / peak)),
      BenchmarkLine(
        "  Gram + reduction achieved", spectrumFlops / reduction / 1e9, "GFlop/s",
        note: String(format: "%.1f%% of the dgemm peak (dsytrd is half BLAS-2 dsymv)", 100 * spectrumFlops / reduction / 1e9 / peak)),
      BenchmarkLine("  dgemm peak, one thread", peak, "GFlop/s", note: "\(peakSize)×\(peakSize)×\(peakSize), median of 21, this run"),
      BenchmarkLine("  nine selectors on the spectrum", selectors * 1000, "ms"),
      BenchmarkLine("  one IFE fit at r = 3 from the spectrum", fit * 1000, "ms"),
    ]
  }
}
