import RandomStreams

/// Measures an estimand adds to its kind's standard ones (`EstimandSpec(measures:)`): the robust
/// set, or a study's own statistic of the replicate estimates.
///
/// A measure sees the replicates where the method succeeded (status ok), in replicate order, as
/// `ReplicateEstimate`s (value, truth, and SE / interval / p-value where the method gave them).
/// Any randomness (a bootstrap) comes from the stream the summariser passes in, keyed by the study
/// seed, the condition, the method, the estimand and the measure: summaries stay bit-identical.
public struct ExtraMeasure: Sendable {
  /// The names of the measures it adds, in table order.
  public let names: [String]
  /// The estimand kinds it applies to.
  public let kinds: Set<EstimandSpec.Kind>
  let compute: @Sendable (_ rows: [ReplicateEstimate], _ stream: RandomStream) -> [MeasureValue]

  public init(
    names: [String], kinds: Set<EstimandSpec.Kind> = Set(EstimandSpec.Kind.allCases),
    compute: @escaping @Sendable (_ rows: [ReplicateEstimate], _ stream: RandomStream) -> [MeasureValue]
  ) {
    self.names = names
    self.kinds = kinds
    self.compute = compute
  }

  /// Median bias, median absolute error, MAD and IQR of the estimates, each with a closed-form,
  /// distribution-free MCSE (`PerformanceMeasures.robust`): for estimators without finite moments,
  /// whose mean-based measures do not settle however many replicates are run.
  public static let robust = ExtraMeasure(
    names: ["median_bias", "median_abs_error", "mad", "iqr"], kinds: [.continuous],
    compute: { rows, _ in PerformanceMeasures.robust(rows) })

  /// A study's own measure: `statistic` of the replicate estimates, with the bootstrap MCSE (the
  /// SD of the statistic over `resamples` resamples of the replicates, `PerformanceMeasures.bootstrapMCSE`).
  /// Nothing is reported for a cell without successful replicates.
  public static func custom(
    _ name: String, resamples: Int = 500, _ statistic: @escaping @Sendable ([ReplicateEstimate]) -> Double
  ) -> ExtraMeasure {
    ExtraMeasure(names: [name]) { rows, stream in
      guard !rows.isEmpty else { return [] }
      return [
        MeasureValue(
          name, statistic(rows),
          mcse: PerformanceMeasures.bootstrapMCSE(rows, resamples: resamples, stream: stream, statistic: statistic))
      ]
    }
  }

  /// A study's own measure that computes its MCSE itself (nil where it has none).
  public static func custom(
    _ name: String, _ measure: @escaping @Sendable ([ReplicateEstimate]) -> (estimate: Double, mcse: Double?)
  ) -> ExtraMeasure {
    ExtraMeasure(names: [name]) { rows, _ in
      guard !rows.isEmpty else { return [] }
      let m = measure(rows)
      return [MeasureValue(name, m.estimate, mcse: m.mcse)]
    }
  }
}
