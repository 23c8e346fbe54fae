import DataGeneration
import Estimators
import LinearAlgebra
import RandomStreams

/// A simulation study: a design grid of factors, a data-generating step, the estimands it knows
/// the truth of, the methods it compares and the table it shows. Type-erased over the sample type
/// so the engine, the store and the command line handle every study alike.
///
/// Building a study never fails, but a definition that cannot work (a table column naming a
/// measure the estimand does not have, two methods of one name, a reference that is no method …)
/// is recorded and reported by `checkDefinition()`, which the engine and the command line call
/// before anything runs; the first replicate is checked too (`preflight`).
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
  /// Approximate bytes one replicate of a condition holds at its peak (its data and the methods'
  /// working copies), checked against the machine's memory before anything is drawn; 0 when unknown.
  public let memory: @Sendable (Condition) -> Double
  /// Throws `StudyError.impossibleCondition` for a condition that cannot be run.
  public let validate: @Sendable (Condition) throws -> Void
  /// What is wrong with the definition (empty when nothing is); see `checkDefinition()`.
  let definitionProblems: [String]
  var replicateBody: @Sendable (Condition, RandomStream) -> ReplicateOutcome

  public init<Sample>(
    name: String, aim: String, seed: UInt64, factors: [Factor], estimands: [EstimandSpec],
    columns: [TableColumn], cost: @escaping @Sendable (Condition) -> Double = { _ in 1 },
    memory: @escaping @Sendable (Condition) -> Double = { _ in 0 },
    validate: @escaping @Sendable (Condition) throws -> Void = { _ in },
    generate: @escaping @Sendable (Condition, RandomStream) throws -> Draw<Sample>,
    methods: [StudyMethod<Sample>], reference: String? = nil
  ) {
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
    self.memory = memory
    self.validate = validate
    self.definitionProblems = Self.problems(
      name: name, factors: factors, estimands: estimands, methods: methods.map(\.name), columns: columns,
      reference: reference)
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
          generateSeconds: (clock.now - start).seconds, generateError: error)
      }
      let generateSeconds = (clock.now - start).seconds
      var outcomes: [MethodOutcome] = []
      outcomes.reserveCapacity(methods.count)
      for method in methods {
        let t0 = clock.now
        do {
          let out = try method.run(draw.sample, condition, method.streamKey(replicate: rng.key))
          outcomes.append(
            MethodOutcome(
              status: out.fit.converged ? .ok : .notConverged, message: out.fit.converged ? nil : out.fit.message,
              estimates: out.estimates, seconds: (clock.now - t0).seconds))
        } catch {
          outcomes.append(
            MethodOutcome(status: .failed, message: "\(error)", estimates: [], seconds: (clock.now - t0).seconds, error: error))
        }
      }
      return ReplicateOutcome(truth: draw.truth, methods: outcomes, generateSeconds: generateSeconds)
    }
  }

  /// Runs replicate `replicate` of `condition` under `seed` on its own keyed stream, with OpenBLAS
  /// single-threaded (so a replay gives the bits the run stored).
  public func replicate(_ condition: Condition, index replicate: Int, seed: UInt64) throws -> ReplicateOutcome {
    let rng = try RandomStream(key: StreamKey(seed: seed, condition: condition.canonical, replicate: replicate))
    return BLAS.singleThreaded { replicateBody(condition, rng) }
  }

  /// The names of the method settings as the fingerprint and the manifest show them ("IFE [r=2]").
  public var methodDescriptions: [String] {
    zip(methodNames, methodSettings).map { $1.isEmpty ? $0 : "\($0) [\($1)]" }
  }
}

extension Duration {
  /// The duration in seconds as a Double.
  public var seconds: Double {
    let (s, atto) = components
    return Double(s) + Double(atto) * 1e-18
  }
}
