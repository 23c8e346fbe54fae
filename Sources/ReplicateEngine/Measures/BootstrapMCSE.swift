import RandomStreams

extension PerformanceMeasures {
  /// The bootstrap MCSE of any statistic of the replicate estimates (Efron & Tibshirani 1993, An
  /// Introduction to the Bootstrap, §6.2): the sample SD √(Σ(tᵦ − t̄)²/(B′ − 1)) of the finite values
  /// tᵦ = statistic(resampleᵦ) over `resamples` resamples, each n rows drawn with replacement from
  /// `rows`, for a measure with no closed-form MCSE.
  ///
  /// - Draws: resample b takes rows[stream.uniformInt(n)] n times, resamples one after another, so
  ///   exactly resamples·n indices are drawn from `stream` (none when n < 2), and the same stream
  ///   key, rows and statistic give a bit-identical result. The caller passes a stream keyed by its
  ///   cell (and, for several statistics of one cell, one stream each or one in a fixed order).
  /// - Sums run sequentially in resample order (two passes: the mean, then the sum of squared
  ///   deviations), as everywhere in ``PerformanceMeasures``.
  /// - Non-finite tᵦ are skipped (B′ ≤ B counts the rest); nil when n < 2 or B′ < 2.
  /// - Precision: the SD of B draws has relative Monte Carlo SD √((κ − 1)/(4B)), κ the kurtosis of
  ///   the tᵦ; ≈ 1/√(2B) for a near-normal bootstrap distribution: 5% at B = 200, 2.2% at
  ///   B = 1000. As B → ∞ it tends to the ideal bootstrap SE, which for the mean is
  ///   √(Σ(θ̂ᵢ − θ̄)²/n)/√n = s·√((n − 1)/n)/√n, slightly below Table 6's s/√n.
  /// - Cost: B evaluations of the statistic on n rows, plus B·n draws.
  ///
  /// Precondition: resamples ≥ 0.
  public static func bootstrapMCSE(
    _ rows: [ReplicateEstimate], resamples: Int, stream: RandomStream,
    statistic: ([ReplicateEstimate]) -> Double
  ) -> Double? {
    precondition(resamples >= 0, "bootstrapMCSE: resamples \(resamples) is negative")
    let n = rows.count
    guard n > 1 else { return nil }
    var values: [Double] = []
    values.reserveCapacity(resamples)
    var resample = rows
    for _ in 0..<resamples {
      for i in 0..<n { resample[i] = rows[stream.uniformInt(n)] }
      let t = statistic(resample)
      if t.isFinite { values.append(t) }
    }
    guard values.count > 1 else { return nil }
    var sum = 0.0
    for t in values { sum += t }
    let mean = sum / Double(values.count)
    var sumOfSquares = 0.0
    for t in values { sumOfSquares += (t - mean) * (t - mean) }
    return (sumOfSquares / Double(values.count - 1)).squareRoot()
  }
}
