import ReplicateEngine

/// The identity of a study definition that a store's rows belong to: study name, factor names and
/// kinds, seed, methods with their settings, estimands, and the package version. Rows from a
/// different definition must never be mixed in. Factor *values* are not part of it: streams are
/// keyed by each condition's content, so a store can hold any set of conditions of one design
/// (adding `--set N=400` later reuses nothing wrongly and recomputes nothing needlessly).
public struct StudyFingerprint: Codable, Equatable, Sendable {
  public var study: String
  public var factors: [String]
  public var seed: UInt64
  public var methods: [String]
  public var estimands: [String]
  public var version: String

  public init(study: Study, seed: UInt64) {
    self.study = study.name
    factors = study.factors.map { "\($0.name):\($0.kind.rawValue)" }
    self.seed = seed
    methods = study.methodDescriptions
    estimands = study.estimands.map { "\($0.name):\($0.kind.rawValue)" }
    version = SimStudyVersion.current
  }

  /// Human-readable differences ("seed 1 ≠ 2", …), empty when equal; only the study's name when
  /// that differs (nothing else is comparable then).
  public func differences(from other: StudyFingerprint) -> [String] {
    if study != other.study { return ["it is a store of study \(other.study), not \(study)"] }
    var d: [String] = []
    if factors != other.factors { d.append("factors [\(other.factors.joined(separator: ", "))] ≠ [\(factors.joined(separator: ", "))]") }
    if seed != other.seed { d.append("seed \(other.seed) ≠ \(seed)") }
    if methods != other.methods { d.append("methods [\(other.methods.joined(separator: "; "))] ≠ [\(methods.joined(separator: "; "))]") }
    if estimands != other.estimands { d.append("estimands [\(other.estimands.joined(separator: ", "))] ≠ [\(estimands.joined(separator: ", "))]") }
    if version != other.version { d.append("package version \(other.version) ≠ \(version)") }
    return d
  }
}
