import Foundation

/// A factor of a study's design grid: a name, its kind, and the values the study sweeps by default.
public struct Factor: Sendable, Equatable {
  public enum Kind: String, Sendable { case integer, real, text }
  public let name: String
  public let kind: Kind
  public let values: [String]
  public let help: String

  public init(_ name: String, integers: [Int], help: String = "") {
    self.name = name
    kind = .integer
    values = integers.map(String.init)
    self.help = help
  }

  public init(_ name: String, reals: [Double], help: String = "") {
    self.name = name
    kind = .real
    values = reals.map(Condition.format)
    self.help = help
  }

  public init(_ name: String, texts: [String], help: String = "") {
    self.name = name
    kind = .text
    values = texts
    self.help = help
  }

  init(name: String, kind: Kind, values: [String], help: String) {
    self.name = name
    self.kind = kind
    self.values = values
    self.help = help
  }

  /// Parses and canonicalises one user-given value ("0.50" → "0.5"); nil when it is not of this kind.
  public func canonical(_ raw: String) -> String? {
    let s = raw.trimmingCharacters(in: .whitespaces)
    switch kind {
    case .integer: return Int(s).map(String.init)
    case .real: return Double(s).flatMap { $0.isFinite ? Condition.format($0) : nil }
    case .text: return s.isEmpty || s.contains(",") || s.contains("=") ? nil : s
    }
  }
}

/// One cell of the design grid: a value for every factor, in the study's factor order.
///
/// Its canonical text ("N=100,T=50,r=2") is what random streams are keyed on, so a condition's
/// replicates do not depend on its position in the grid, on which other conditions are run, or on
/// the order in which threads pick up work.
public struct Condition: Sendable, Hashable, CustomStringConvertible {
  public let names: [String]
  public let values: [String]

  public init(names: [String], values: [String]) {
    precondition(names.count == values.count, "a condition needs one value per factor")
    self.names = names
    self.values = values
  }

  /// "N=100,T=50,r=2".
  public var canonical: String { zip(names, values).map { "\($0)=\($1)" }.joined(separator: ",") }
  public var description: String { canonical }

  /// The raw value of a factor.
  public func value(_ name: String) throws(StudyError) -> String {
    guard let i = names.firstIndex(of: name) else { throw .unknownFactor(name, known: names) }
    return values[i]
  }

  public func int(_ name: String) throws(StudyError) -> Int {
    let v = try value(name)
    guard let x = Int(v) else { throw .badValue(factor: name, value: v, expected: "an integer") }
    return x
  }

  public func double(_ name: String) throws(StudyError) -> Double {
    let v = try value(name)
    guard let x = Double(v) else { throw .badValue(factor: name, value: v, expected: "a number") }
    return x
  }

  public func string(_ name: String) throws(StudyError) -> String { try value(name) }

  /// Shortest round-trip text of a real value ("0.5", "2", "1e-05").
  static func format(_ x: Double) -> String {
    if x == x.rounded(), abs(x) < 1e15 { return String(Int(x)) }
    return "\(x)"
  }
}
