import DataGeneration
import Estimators
import RandomStreams

/// What a study knows the truth of and how its estimates are judged.
public struct EstimandSpec: Sendable, Equatable {
  public enum Kind: String, Sendable {
    /// A real parameter: bias, empirical SE, MSE/RMSE, model SE, coverage, rejection rate …
    case continuous
    /// A discrete quantity such as a selected rank or a number of groups: share correct, mean, distribution.
    case discrete
    /// A per-replicate quality score with no truth to compare (e.g. a fit's RMSE against the
    /// noiseless signal): its mean and its median.
    case score
  }
  public let name: String
  public let kind: Kind
  public let help: String
  public init(_ name: String, _ kind: Kind, help: String = "") {
    self.name = name
    self.kind = kind
    self.help = help
  }
}

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

/// A cell the terminal table shows: a measure of an estimand, with a column heading.
public struct TableColumn: Sendable, Equatable {
  public let estimand: String
  public let measure: String
  public let heading: String
  public init(_ estimand: String, _ measure: String, heading: String? = nil) {
    self.estimand = estimand
    self.measure = measure
    self.heading = heading ?? "\(estimand) \(measure)"
  }
}

/// The outcome of one method on one replicate, before it becomes store rows.
public struct MethodOutcome: Sendable {
  public enum Status: String, Sendable { case ok, failed, notConverged = "not_converged" }
  public var status: Status
  public var message: String?
  public var estimates: [Estimate]
  public var seconds: Double
}

/// Everything one replicate produced: the truths, each method's outcome, and where the time went.
public struct ReplicateOutcome: Sendable {
  public var truth: [String: Double]
  public var methods: [MethodOutcome]
  /// Seconds spent drawing the data.
  public var generateSeconds: Double
  /// Set when drawing the data failed: every method is then recorded as failed with this message.
  public var generateError: String?
}

/// A simulation study: a design grid of factors, a data-generating step, the estimands it knows
/// the truth of, the methods it compares and the table it shows. Type-erased over the sample type
/// so the engine, the store and the command line handle every study alike.
public struct Study: Sendable {
  public let name: String
  public let aim: String
  /// The default study seed; `--seed` overrides it.
  public let seed: UInt64
  public let factors: [Factor]
  public let estimands: [EstimandSpec]
  public let methodNames: [String]
  public let methodSettings: [String]
  public let columns: [TableColumn]
  /// The method the others are compared with on the same replicates (`bias_diff`,
  /// `rel_precision`), if any; `study show --reference` picks another.
  public let reference: String?
  /// Relative cost of a condition, so the scheduler starts the expensive ones first.
  public let cost: @Sendable (Condition) -> Double
  /// Throws `StudyError.impossibleCondition` for a condition that cannot be run.
  public let validate: @Sendable (Condition) throws -> Void
  var replicateBody: @Sendable (Condition, RandomStream) -> ReplicateOutcome

  public init<Sample>(
    name: String, aim: String, seed: UInt64, factors: [Factor], estimands: [EstimandSpec],
    columns: [TableColumn], cost: @escaping @Sendable (Condition) -> Double = { _ in 1 },
    validate: @escaping @Sendable (Condition) throws -> Void = { _ in },
    generate: @escaping @Sendable (Condition, RandomStream) throws -> Draw<Sample>,
    methods: [StudyMethod<Sample>], reference: String? = nil
  ) {
    precondition(reference.map { r in methods.contains { $0.name == r } } ?? true, "reference \(reference!) is not a method")
    self.reference = reference
    self.name = name
    self.aim = aim
    self.seed = seed
    self.factors = factors
    self.estimands = estimands
    self.columns = columns
    self.methodNames = methods.map(\.name)
    self.methodSettings = methods.map(\.settings)
    self.cost = cost
    self.validate = validate
    self.replicateBody = { condition, rng in
      let clock = ContinuousClock()
      let start = clock.now
      let draw: Draw<Sample>
      do {
        draw = try generate(condition, rng)
      } catch {
        let message = "data generation failed: \(error)"
        return ReplicateOutcome(
          truth: [:],
          methods: methods.map { _ in MethodOutcome(status: .failed, message: message, estimates: [], seconds: 0) },
          generateSeconds: (clock.now - start).seconds, generateError: message)
      }
      let generateSeconds = (clock.now - start).seconds
      var outcomes: [MethodOutcome] = []
      outcomes.reserveCapacity(methods.count)
      for method in methods {
        let t0 = clock.now
        do {
          let out = try method.run(draw.sample, condition)
          outcomes.append(
            MethodOutcome(
              status: out.fit.converged ? .ok : .notConverged, message: out.fit.converged ? nil : out.fit.message,
              estimates: out.estimates, seconds: (clock.now - t0).seconds))
        } catch {
          outcomes.append(
            MethodOutcome(status: .failed, message: "\(error)", estimates: [], seconds: (clock.now - t0).seconds))
        }
      }
      return ReplicateOutcome(truth: draw.truth, methods: outcomes, generateSeconds: generateSeconds, generateError: nil)
    }
  }

  /// Runs replicate `replicate` of `condition` under `seed` on its own keyed stream.
  public func replicate(_ condition: Condition, index replicate: Int, seed: UInt64) throws -> ReplicateOutcome {
    let rng = try RandomStream(key: StreamKey(seed: seed, condition: condition.canonical, replicate: replicate))
    return replicateBody(condition, rng)
  }

  /// The default grid: the Cartesian product of the factor values, first factor varying slowest.
  public var defaultConditions: [Condition] { grid(overrides: [:]) }

  /// The grid with some factors' values replaced (`--set N=50,100`).
  public func grid(overrides: [String: [String]]) -> [Condition] {
    var conditions: [[String]] = [[]]
    for f in factors {
      let values = overrides[f.name] ?? f.values
      conditions = conditions.flatMap { prefix in values.map { prefix + [$0] } }
    }
    return conditions.map { Condition(names: factors.map(\.name), values: $0) }
  }
}

extension Duration {
  /// The duration in seconds as a Double.
  public var seconds: Double {
    let (s, atto) = components
    return Double(s) + Double(atto) * 1e-18
  }
}

extension Study {
  /// The grid after `--set factor=v1,v2` settings: values are checked against the factor's kind
  /// and canonicalised ("0.50" → "0.5"); a factor set twice keeps the last setting.
  public func grid(settings: [String]) throws(StudyError) -> [Condition] {
    var overrides: [String: [String]] = [:]
    for setting in settings {
      let parts = setting.split(separator: "=", maxSplits: 1).map(String.init)
      guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { throw .badSetting(setting) }
      let name = parts[0].trimmingCharacters(in: .whitespaces)
      guard let factor = factors.first(where: { $0.name == name }) else {
        throw .unknownFactor(name, known: factors.map(\.name))
      }
      var values: [String] = []
      for raw in parts[1].split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
        guard let v = factor.canonical(raw) else {
          let expected = switch factor.kind {
          case .integer: "integers"
          case .real: "finite numbers"
          case .text: "names without ',' or '='"
          }
          throw .badValue(factor: name, value: raw, expected: expected)
        }
        if !values.contains(v) { values.append(v) }
      }
      overrides[name] = values
    }
    return grid(overrides: overrides)
  }
}

extension Study {
  /// The condition named by "N=100,T=50,r=2" (for replaying one replicate). Every factor must be
  /// given, except factors whose default grid has a single value.
  public func condition(parsing spec: String) throws(StudyError) -> Condition {
    var given: [String: String] = [:]
    for part in spec.split(separator: ",") {
      let kv = part.split(separator: "=", maxSplits: 1).map { String($0).trimmingCharacters(in: .whitespaces) }
      guard kv.count == 2, !kv[0].isEmpty else {
        throw .invalidArgument("bad --condition '\(spec)': write it as factor=value,factor=value (e.g. N=100,T=50)")
      }
      guard let factor = factors.first(where: { $0.name == kv[0] }) else { throw .unknownFactor(kv[0], known: factors.map(\.name)) }
      guard let v = factor.canonical(kv[1]) else { throw .badValue(factor: kv[0], value: kv[1], expected: "a \(factor.kind.rawValue) value") }
      given[kv[0]] = v
    }
    var values: [String] = []
    for f in factors {
      if let v = given[f.name] {
        values.append(v)
      } else if f.values.count == 1 {
        values.append(f.values[0])
      } else {
        throw .invalidArgument("--condition must give factor \(f.name) (one of \(f.values.joined(separator: ", ")), or any \(f.kind.rawValue) value)")
      }
    }
    return Condition(names: factors.map(\.name), values: values)
  }
}
