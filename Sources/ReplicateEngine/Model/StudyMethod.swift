import RandomStreams
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
///
/// A method that needs random numbers of its own (an MCMC sampler, a bootstrap) is built with
/// `init(_:settings:randomised:)`: it receives the key of a stream that belongs to it on that
/// replicate — the replicate's key with "method" and the method's name appended — so its draws are
/// independent of the data's and of every other method's, and a replicate gives the same bits at
/// any thread count, on replay and after a resume.
public struct StudyMethod<Sample>: Sendable {
  public let name: String
  public let settings: String
  /// Estimates from a sample of a condition; the key is this method's own stream key on the replicate.
  public let run: @Sendable (Sample, Condition, StreamKey) throws -> MethodOutput
  public init(_ name: String, settings: String = "", run: @escaping @Sendable (Sample, Condition) throws -> MethodOutput) {
    self.name = name
    self.settings = settings
    self.run = { sample, condition, _ in try run(sample, condition) }
  }
  /// A method that draws random numbers: `run` gets the key of its own stream on the replicate
  /// (make a `RandomStream(key:)` of it, or derive further keys with `appending`).
  public init(
    _ name: String, settings: String = "", randomised run: @escaping @Sendable (Sample, Condition, StreamKey) throws -> MethodOutput
  ) {
    self.name = name
    self.settings = settings
    self.run = run
  }
  /// The key of this method's stream on the replicate whose data came from `replicateKey`.
  public func streamKey(replicate replicateKey: StreamKey) -> StreamKey {
    replicateKey.appending("method").appending(name)
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
