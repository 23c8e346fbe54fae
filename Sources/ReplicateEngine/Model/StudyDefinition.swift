/// A mistake in a study's definition, found when the study is checked (before anything runs) or
/// on its first replicate: one sentence naming the study and what to fix.
public struct DefinitionError: Error, Equatable, CustomStringConvertible {
  public let study: String
  public let problem: String
  public init(study: String, problem: String) {
    self.study = study
    self.problem = problem
  }
  public var description: String { "study '\(study)': \(problem)" }
}

extension Study {
  /// Throws the first problem of the definition: empty or duplicated names, a factor without
  /// values or with a value its kind rejects, a table column naming an estimand or measure that
  /// does not exist (with the closest name), an extra measure shadowing a standard one, a reference
  /// that is not a method.
  public func checkDefinition() throws(DefinitionError) {
    if let problem = definitionProblems.first { throw DefinitionError(study: name, problem: problem) }
  }

  /// Every measure name an estimand of this study can have in a table (besides `freq_<k>` of a
  /// discrete estimand).
  public func measureNames(of estimand: EstimandSpec) -> [String] {
    Self.measureNames(of: estimand, hasReference: reference != nil)
  }

  static func measureNames(of estimand: EstimandSpec, hasReference: Bool) -> [String] {
    var names = (Measure.standard(for: estimand.kind) + Measure.rates).map(\.rawValue)
    if hasReference && estimand.kind == .continuous { names += Measure.relative.map(\.rawValue) }
    for extra in estimand.measures where extra.kinds.contains(estimand.kind) { names += extra.names }
    return names
  }

  static func problems(
    name: String, factors: [Factor], estimands: [EstimandSpec], methods: [String], columns: [TableColumn],
    reference: String?
  ) -> [String] {
    var out: [String] = []
    func duplicates(_ names: [String]) -> [String] {
      var seen: Set<String> = []
      return names.filter { !seen.insert($0).inserted }
    }
    if name.isEmpty || name.contains(where: { $0.isWhitespace || $0 == "/" }) {
      out.append("the name '\(name)' must be non-empty, without spaces or '/' (it names the results folder)")
    }
    if factors.isEmpty { out.append("it has no factors; give at least one (a single-valued one is fine)") }
    for f in factors {
      if f.name.isEmpty || f.name.contains(",") || f.name.contains("=") {
        out.append("the factor name '\(f.name)' must be non-empty and contain neither ',' nor '='")
      }
      if f.values.isEmpty { out.append("factor \(f.name) has no values") }
      for v in f.values where f.canonical(v) != v {
        out.append("factor \(f.name) has the value '\(v)', which is not a canonical \(f.kind.rawValue) value")
      }
    }
    for d in Set(duplicates(factors.map(\.name))) { out.append("two factors are named '\(d)'") }
    if estimands.isEmpty { out.append("it declares no estimands") }
    for d in Set(duplicates(estimands.map(\.name))) { out.append("two estimands are named '\(d)'") }
    if methods.isEmpty { out.append("it has no methods") }
    for m in methods where m.isEmpty { out.append("a method has an empty name") }
    for d in Set(duplicates(methods)) { out.append("two methods are named '\(d)'") }
    if let reference, !methods.contains(reference) {
      out.append("the reference '\(reference)' is not one of its methods\(suggestion(reference, among: methods))")
    }
    for e in estimands {
      let standard = Set(measureNames(of: EstimandSpec(e.name, e.kind), hasReference: true))
      for extra in e.measures {
        if !extra.kinds.contains(e.kind) {
          out.append(
            "estimand \(e.name) is \(e.kind.rawValue), but its measures \(extra.names.joined(separator: ", ")) are for "
              + extra.kinds.map(\.rawValue).sorted().joined(separator: "/") + " estimands")
        }
        for n in extra.names where standard.contains(n) || n.hasPrefix(Measure.frequencyPrefix) {
          out.append("estimand \(e.name)'s own measure '\(n)' has the name of a standard measure; rename it")
        }
      }
      for d in Set(duplicates(e.measures.flatMap(\.names))) { out.append("estimand \(e.name) has two measures named '\(d)'") }
    }
    for c in columns {
      guard let e = estimands.first(where: { $0.name == c.estimand }) else {
        out.append(
          "the table column '\(c.heading)' names the estimand '\(c.estimand)', which is not declared"
            + suggestion(c.estimand, among: estimands.map(\.name)))
        continue
      }
      let names = measureNames(of: e, hasReference: reference != nil)
      if names.contains(c.measure) { continue }
      if e.kind == .discrete, c.measure.hasPrefix(Measure.frequencyPrefix),
        Double(c.measure.dropFirst(Measure.frequencyPrefix.count)) != nil
      {
        continue
      }
      if reference == nil && Measure.relative.map(\.rawValue).contains(c.measure) && e.kind == .continuous {
        out.append("the table column '\(c.heading)' shows \(c.measure), which needs a reference method (Study(reference:))")
        continue
      }
      out.append(
        "the table column '\(c.heading)' names the measure '\(c.measure)', which \(e.kind.rawValue) estimand \(e.name) does not have"
          + suggestion(c.measure, among: names))
    }
    return out
  }

  /// Runs replicate 0 of `condition` and checks what the study's own code did with it: a factor
  /// read by `generate` or a method that the study does not have (or reads as the wrong kind), a
  /// method reporting an estimand the study does not declare, a missing or undeclared truth. Any
  /// of these would otherwise fail or drop every replicate silently; here they stop the run with
  /// one sentence before it starts. Ordinary estimation failures are left to the run.
  public func preflight(_ condition: Condition, seed: UInt64) throws {
    let outcome = try replicate(condition, index: 0, seed: seed)
    func misread(_ error: (any Error)?, by who: String) -> DefinitionError? {
      switch error as? StudyError {
      case .unknownFactor(let f, let known)?:
        return DefinitionError(
          study: name, problem: "\(who) reads the factor '\(f)', which the study does not have\(Self.suggestion(f, among: known))")
      case .badValue(let f, let v, let expected)?:
        return DefinitionError(study: name, problem: "\(who) reads factor \(f) as \(expected), but its value is '\(v)'")
      default:
        return nil
      }
    }
    if let e = misread(outcome.generateError, by: "generate") { throw e }
    let declared = estimands.map(\.name)
    if outcome.generateError == nil {
      for spec in estimands where spec.needsTruth && outcome.truth[spec.name] == nil {
        throw DefinitionError(
          study: name, problem: "generate gives no truth for the \(spec.kind.rawValue) estimand \(spec.name) (Draw(_:truth:))")
      }
      for key in outcome.truth.keys.sorted() where !declared.contains(key) {
        throw DefinitionError(
          study: name,
          problem: "generate gives a truth for '\(key)', which is not a declared estimand\(Self.suggestion(key, among: declared))")
      }
    }
    for (m, o) in outcome.methods.enumerated() {
      if let e = misread(o.error, by: "method '\(methodNames[m])'") { throw e }
      for e in o.estimates where !declared.contains(e.estimand) {
        throw DefinitionError(
          study: name,
          problem: "method '\(methodNames[m])' reports the estimand '\(e.estimand)', which the study does not declare"
            + Self.suggestion(e.estimand, among: declared))
      }
    }
  }

  /// "; did you mean 'x'?" for the closest of `names` within a small edit distance, or a list of
  /// the names when none is close.
  static func suggestion(_ name: String, among names: [String]) -> String {
    let scored = names.map { ($0, editDistance(name.lowercased(), $0.lowercased())) }
    if let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(2, name.count / 3) {
      return " (did you mean '\(best.0)'?)"
    }
    return names.isEmpty ? "" : " (it has: \(names.joined(separator: ", ")))"
  }

  /// Levenshtein distance between two strings (by characters).
  static func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a)
    let b = Array(b)
    var previous = Array(0...b.count)
    for i in 1...max(1, a.count) where !a.isEmpty {
      var current = [i] + Array(repeating: 0, count: b.count)
      for j in 1...max(1, b.count) where !b.isEmpty {
        current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
      }
      previous = current
    }
    return a.isEmpty ? b.count : previous[b.count]
  }
}
