import Foundation

extension Study {
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

extension Study {
  /// The grid after `--set factor=v1,v2` settings: values are checked against the factor's kind
  /// and canonicalised ("0.50" → "0.5"); a factor set twice is refused (the values go in one
  /// setting, `--set N=50,100`).
  public func grid(settings: [String]) throws(StudyError) -> [Condition] {
    var overrides: [String: [String]] = [:]
    for setting in settings {
      let parts = setting.split(separator: "=", maxSplits: 1).map(String.init)
      guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { throw .badSetting(setting) }
      let name = parts[0].trimmingCharacters(in: .whitespaces)
      guard let factor = factors.first(where: { $0.name == name }) else {
        throw .unknownFactor(name, known: factors.map(\.name))
      }
      guard overrides[name] == nil else {
        throw .invalidArgument("--set names factor \(name) twice: give all its values in one setting, e.g. --set \(name)=50,100")
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
