import Estimators

/// One data set with the true values of the estimands it was drawn under.
public struct Draw<Sample> {
  public var sample: Sample
  /// True value per estimand name (estimands of kind `.score` need none).
  public var truth: [String: Double]
  public init(_ sample: Sample, truth: [String: Double]) {
    self.sample = sample
    self.truth = truth
  }
}

/// A method compared in a study: a name, a description of its settings (part of the study's
/// fingerprint), and the function that estimates from one sample of one condition.
public struct StudyMethod<Sample>: Sendable {
  public let name: String
  public let settings: String
  public let run: @Sendable (Sample, Condition) throws -> MethodOutput
  public init(_ name: String, settings: String = "", run: @escaping @Sendable (Sample, Condition) throws -> MethodOutput) {
    self.name = name
    self.settings = settings
    self.run = run
  }
}

/// A cell the terminal table shows: a measure of an estimand, with a column heading. The measure
/// is one of `Measure`'s raw values, `freq_<k>` for a discrete estimand, or the name of one of the
/// estimand's `ExtraMeasure`s; the study checks this when it is built.
public struct TableColumn: Sendable, Equatable {
  public let estimand: String
  public let measure: String
  public let heading: String
  public init(_ estimand: String, _ measure: String, heading: String? = nil) {
    self.estimand = estimand
    self.measure = measure
    self.heading = heading ?? "\(estimand) \(measure)"
  }

  public init(_ estimand: String, _ measure: Measure, heading: String? = nil) {
    self.init(estimand, measure.rawValue, heading: heading)
  }
}
