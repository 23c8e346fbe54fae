import Foundation
import Estimators

/// A committed summary that later runs are checked against (`study baseline` writes it,
/// `study check` compares with it): every cell with its MCSE, and how to reproduce the run.
public struct Baseline: Codable, Sendable, Equatable {
  public struct Cell: Codable, Sendable, Equatable, Hashable {
    public var condition: String
    public var method: String
    public var estimand: String
    public var measure: String
    /// nil for a non-finite estimate.
    public var estimate: Double?
    public var mcse: Double?

    public var name: String { "\(condition) \(method) \(estimand) \(measure)" }
  }

  public var study: String
  public var seed: UInt64
  public var reps: Int
  /// The `--set` settings of the run (its conditions).
  public var settings: [String]
  public var codeVersion: String
  public var gitCommit: String
  public var created: String
  public var cells: [Cell]

  public init(report: Report, settings: [String], codeVersion: String, gitCommit: String) {
    study = report.study.name
    seed = report.seed
    reps = report.reps
    self.settings = settings
    self.codeVersion = codeVersion
    self.gitCommit = gitCommit
    created = ISO8601DateFormatter().string(from: Date())
    cells = Baseline.cells(of: report)
  }

  public static func cells(of report: Report) -> [Cell] {
    report.summary.map {
      Cell(
        condition: report.conditions[$0.condition].canonical, method: $0.method, estimand: $0.estimand, measure: $0.measure,
        estimate: $0.estimate.isFinite ? $0.estimate : nil, mcse: $0.mcse.flatMap { $0.isFinite ? $0 : nil })
    }
  }

  public var json: String {
    let enc = JSONEncoder()
    enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return String(decoding: (try? enc.encode(self)) ?? Data(), as: UTF8.self) + "\n"
  }

  /// Reads the baseline of `study` at `url`.
  public static func read(_ url: URL, study: String) throws(BaselineError) -> Baseline {
    guard let data = try? Data(contentsOf: url) else { throw .missing(path: url.path, study: study) }
    guard let baseline = try? JSONDecoder().decode(Baseline.self, from: data) else {
      throw .unreadable(path: url.path, study: study)
    }
    guard baseline.study == study else { throw .otherStudy(path: url.path, found: baseline.study, expected: study) }
    return baseline
  }
}

/// Why a baseline cannot be used.
public enum BaselineError: Error, Equatable, CustomStringConvertible {
  case missing(path: String, study: String)
  case unreadable(path: String, study: String)
  case otherStudy(path: String, found: String, expected: String)

  public var description: String {
    switch self {
    case .missing(let path, let study): "no baseline at \(path): write one with 'study baseline \(study)'"
    case .unreadable(let path, let study): "\(path) is not a SimStudy baseline: rewrite it with 'study baseline \(study)'"
    case .otherStudy(let path, let found, let expected):
      "\(path) is a baseline of \(found), not \(expected): move it to Results/\(found)/ or rewrite it with 'study baseline \(expected)'"
    }
  }
}

/// The outcome of comparing a fresh run with a baseline, cell by cell.
public struct BaselineCheck: Sendable {
  public struct Moved: Sendable, Equatable {
    public let cell: String
    public let old: Double?
    public let new: Double?
    /// |new − old| / √(MCSE_new² + MCSE_old²); infinite when there is no Monte Carlo error to allow.
    public let z: Double
  }

  /// Cells compared.
  public let compared: Int
  /// Cells equal to the last bit.
  public let identical: Int
  /// Cells that differ but within z combined MCSEs.
  public let withinError: [Moved]
  /// Cells that moved more than z combined MCSEs, or that changed without an MCSE to allow for it.
  public let failures: [Moved]
  /// Cells present on only one side.
  public let missing: [String]
  public let z: Double
  /// Whether any difference at all fails the check.
  public let exact: Bool

  public var passed: Bool { failures.isEmpty && missing.isEmpty }

  /// Compares `current` with `baseline`: a cell passes when identical; otherwise it fails when
  /// |new − old| > z·√(MCSE_new² + MCSE_old²), or when it has no MCSE on either side (a count such
  /// as n, which must match exactly).
  ///
  /// With `exact`, every cell must be identical to the last bit (same code, machine and design).
  public init(baseline: [Baseline.Cell], current: [Baseline.Cell], z: Double = 3, exact: Bool = false) {
    self.z = z
    self.exact = exact
    func key(_ c: Baseline.Cell) -> String { c.name }
    let old = Dictionary(baseline.map { (key($0), $0) }, uniquingKeysWith: { a, _ in a })
    let new = Dictionary(current.map { (key($0), $0) }, uniquingKeysWith: { a, _ in a })
    var identical = 0
    var within: [Moved] = []
    var failures: [Moved] = []
    var compared = 0
    for c in baseline {
      guard let n = new[key(c)] else { continue }
      compared += 1
      if c.estimate?.bitPattern == n.estimate?.bitPattern {
        identical += 1
        continue
      }
      guard let a = c.estimate, let b = n.estimate else {
        failures.append(Moved(cell: c.name, old: c.estimate, new: n.estimate, z: .infinity))
        continue
      }
      let scale = ((c.mcse ?? 0) * (c.mcse ?? 0) + (n.mcse ?? 0) * (n.mcse ?? 0)).squareRoot()
      let zz = scale > 0 ? abs(b - a) / scale : .infinity
      let moved = Moved(cell: c.name, old: a, new: b, z: zz)
      if exact || zz > z { failures.append(moved) } else { within.append(moved) }
    }
    self.compared = compared
    self.identical = identical
    self.withinError = within
    self.failures = failures.sorted { $0.z > $1.z }
    self.missing = baseline.filter { new[key($0)] == nil }.map { "only in the baseline: \($0.name)" }
      + current.filter { old[key($0)] == nil }.map { "only in this run: \($0.name)" }
  }

  /// The report `study check` prints.
  public var text: String {
    func f(_ x: Double?) -> String { x.map { String(format: "%.6g", $0) } ?? "NaN" }
    var out =
      exact
      ? "\(compared) cells compared exactly: \(identical) identical, \(failures.count) differ, \(missing.count) missing.\n"
      : "\(compared) cells compared: \(identical) identical, \(withinError.count) within \(NumberFormat.plain(z)) MCSE, \(failures.count) moved, \(missing.count) missing.\n"
    for m in failures.prefix(40) {
      out += "  MOVED  \(m.cell): \(f(m.old)) → \(f(m.new)) (\(m.z.isFinite ? String(format: "%.1f", m.z) : "∞") MCSE)\n"
    }
    if failures.count > 40 { out += "  … and \(failures.count - 40) more\n" }
    for m in missing.prefix(20) { out += "  MISSING  \(m)\n" }
    out += passed ? "check passed\n" : "check FAILED\n"
    return out
  }
}

extension Study {
  /// A copy of this study in which `method`'s estimates pass through `transform` — a deliberately
  /// perturbed estimator, for testing that `study check` catches a change without editing the code.
  public func perturbed(method: String, _ transform: @escaping @Sendable (Estimate) -> Estimate) -> Study {
    let index = methodNames.firstIndex(of: method)
    let body = replicateBody
    var copy = self
    copy.replicateBody = { condition, rng in
      var outcome = body(condition, rng)
      if let m = index { outcome.methods[m].estimates = outcome.methods[m].estimates.map(transform) }
      return outcome
    }
    return copy
  }
}
