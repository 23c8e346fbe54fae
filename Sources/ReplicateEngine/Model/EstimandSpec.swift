/// What a study knows the truth of and how its estimates are judged.
public struct EstimandSpec: Sendable {
  public enum Kind: String, Sendable, CaseIterable {
    /// A real parameter: bias, empirical SE, MSE/RMSE, model SE, coverage, rejection rate …
    case continuous
    /// A discrete quantity such as a selected rank or a number of groups: share correct, mean, distribution.
    case discrete
    /// A per-replicate quality score with no truth to compare (e.g. a fit's RMSE against the
    /// noiseless signal): its mean and its spread.
    case score
  }
  public let name: String
  public let kind: Kind
  public let help: String
  /// Measures computed for this estimand on top of its kind's standard ones (`Measure.standard`):
  /// the robust set (`.robust`) or the study's own (`.custom`).
  public let measures: [ExtraMeasure]

  public init(_ name: String, _ kind: Kind, help: String = "", measures: [ExtraMeasure] = []) {
    self.name = name
    self.kind = kind
    self.help = help
    self.measures = measures
  }

  /// Whether the data-generating step must give this estimand's true value.
  public var needsTruth: Bool { kind != .score }
}
