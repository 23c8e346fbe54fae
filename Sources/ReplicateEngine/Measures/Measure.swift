/// The closed set of measures the engine computes, by estimand kind. Table columns, baselines and
/// plots name measures by these raw values; a study's definition is checked against them when it
/// is built (`Study.checkDefinition()`), so a misspelled measure is an error, not a column of "—".
///
/// Besides these, a discrete estimand has one `freq_<k>` measure per observed value k, and an
/// estimand's `ExtraMeasure`s add their own names.
public enum Measure: String, Sendable, CaseIterable {
  case n
  case bias
  case empSE = "emp_se"
  case mse
  case rmse
  case modelSE = "model_se"
  case relErrorModelSE = "rel_error_model_se"
  case coverage
  case beCoverage = "be_coverage"
  case rejection
  case mean
  case shareCorrect = "share_correct"
  case failureRate = "failure_rate"
  case nonconvergenceRate = "nonconvergence_rate"
  case notIdentifiedRate = "not_identified_rate"
  case nPaired = "n_paired"
  case biasDiff = "bias_diff"
  case relPrecision = "rel_precision"

  /// What `PerformanceMeasures` computes for an estimand of `kind` (a measure whose inputs are
  /// missing, e.g. `model_se` without SEs, is left out of a cell, never renamed).
  public static func standard(for kind: EstimandSpec.Kind) -> [Measure] {
    switch kind {
    case .continuous: [.n, .bias, .empSE, .mse, .rmse, .modelSE, .relErrorModelSE, .coverage, .beCoverage, .rejection, .mean]
    case .discrete: [.n, .shareCorrect, .mean, .empSE]
    case .score: [.n, .mean, .empSE]
    }
  }

  /// Failure, non-convergence and not-identified rates: every estimand has them (the last two only
  /// in cells where such a replicate occurred).
  public static let rates: [Measure] = [.failureRate, .nonconvergenceRate, .notIdentifiedRate]

  /// Measures against a reference method (`Study.reference`), for continuous estimands.
  public static let relative: [Measure] = [.nPaired, .biasDiff, .relPrecision]

  /// The prefix of a discrete estimand's distribution measures (`freq_3` = share of replicates with value 3).
  public static let frequencyPrefix = "freq_"
}
