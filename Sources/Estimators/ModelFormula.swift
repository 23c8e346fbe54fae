/// A model formula in lme4's syntax, parsed: `y ~ 1 + x + f + (1 + x | g) + (1 | a/b)`.
///
/// Supported:
/// - the response: a column, or `cbind(successes, failures)` for binomial rows, where failures is a
///   column or `trials - successes` written as `cbind(s, n - s)`;
/// - fixed terms joined by `+`: a column (numeric, or text, which is dummy-coded), `factor(col)` to
///   treat a numeric column as categorical, `a:b` (the product of numeric columns), `a*b`
///   (`a + b + a:b`), and `1`, `0` or `- 1` for the intercept (present unless removed);
/// - random terms `(effects | grouping)`: effects `1`, `0` and numeric columns joined by `+`
///   (intercept present unless `0` is written); `||` for uncorrelated effects (lme4 expands
///   `(1 + x || g)` into `(1 | g) + (0 + x | g)`); grouping a column, `a:b` (the interaction: one
///   level per observed pair), or `a/b` (nested: `(… | a) + (… | a:b)`);
/// - column names with other characters in backquotes: `` `log wage` ``.
///
/// Anything else (functions of columns, `.`, offsets) is refused with a sentence that names it.
public struct ModelFormula: Sendable, Equatable, CustomStringConvertible {
  /// What is modelled.
  public enum Response: Sendable, Equatable {
    /// One column.
    case column(String)
    /// Binomial rows `cbind(successes, failures)`.
    case counts(successes: String, failures: Failures)
  }

  /// The second argument of `cbind`.
  public enum Failures: Sendable, Equatable {
    /// A column of failure counts.
    case column(String)
    /// `trials - successes`: the column of trials.
    case trialsMinusSuccesses(trials: String)
  }

  /// A column used in a fixed term; `categorical` is true for `factor(col)`.
  public struct Variable: Sendable, Equatable, Hashable {
    public let column: String
    public let categorical: Bool
    public init(_ column: String, categorical: Bool = false) {
      self.column = column
      self.categorical = categorical
    }
  }

  /// One fixed term: a column, or the interaction (product) of several.
  public struct FixedTerm: Sendable, Equatable, Hashable {
    public let variables: [Variable]
    public init(variables: [Variable]) { self.variables = variables }
    public var name: String { variables.map { $0.categorical ? "factor(\($0.column))" : $0.column }.joined(separator: ":") }
  }

  /// One random term after expanding `/` and `||`: its effects and grouping factor.
  public struct RandomTerm: Sendable, Equatable {
    public let intercept: Bool
    public let slopes: [String]
    /// The grouping columns; more than one means their interaction (`a:b`).
    public let grouping: [String]
    public init(intercept: Bool, slopes: [String], grouping: [String]) {
      self.intercept = intercept
      self.slopes = slopes
      self.grouping = grouping
    }
    /// The grouping factor's name: the columns joined by ":".
    public var factor: String { grouping.joined(separator: ":") }
  }

  public let response: Response
  public let intercept: Bool
  public let fixed: [FixedTerm]
  public let random: [RandomTerm]
  /// The text as written.
  public let text: String

  public var description: String { text }

  /// Every column the formula reads (response, fixed, slopes, grouping), without repeats.
  public var columns: [String] {
    var out: [String] = []
    func add(_ c: String) { if !out.contains(c) { out.append(c) } }
    switch response {
    case .column(let c): add(c)
    case .counts(let s, let f):
      add(s)
      switch f {
      case .column(let c): add(c)
      case .trialsMinusSuccesses(let n): add(n)
      }
    }
    for t in fixed { for v in t.variables { add(v.column) } }
    for r in random {
      for s in r.slopes { add(s) }
      for g in r.grouping { add(g) }
    }
    return out
  }

  /// Parses `text`; throws one sentence saying what is wrong and where.
  public init(_ text: String) throws(EstimationError) {
    var p = FormulaParser(text)
    let parsed = try p.formula()
    self.text = text
    response = parsed.response
    intercept = parsed.intercept
    fixed = parsed.fixed
    random = parsed.random
  }
}

// MARK: - Parser

private enum Token: Equatable {
  case name(String)
  case number(String)
  case symbol(String)  // ~ + - * : / | || ( ) ,
  case end
}

private struct FormulaParser {
  let text: String
  var tokens: [Token] = []
  var position = 0

  init(_ text: String) { self.text = text }

  func fail(_ why: String) -> EstimationError { .invalidInput("formula '\(text)': \(why)") }

  mutating func tokenize() throws(EstimationError) {
    let scalars = Array(text.unicodeScalars)
    var i = 0
    func isNameScalar(_ c: Unicode.Scalar) -> Bool {
      (c.properties.isAlphabetic || c == "_" || c == "." || ("0"..."9").contains(c))
    }
    while i < scalars.count {
      let c = scalars[i]
      if c == " " || c == "\t" || c == "\n" {
        i += 1
      } else if c == "`" {
        var j = i + 1
        while j < scalars.count, scalars[j] != "`" { j += 1 }
        guard j < scalars.count else { throw fail("a backquoted name is not closed") }
        tokens.append(.name(String(String.UnicodeScalarView(scalars[(i + 1)..<j]))))
        i = j + 1
      } else if ("0"..."9").contains(c) {
        var j = i
        while j < scalars.count, isNameScalar(scalars[j]) { j += 1 }
        tokens.append(.number(String(String.UnicodeScalarView(scalars[i..<j]))))
        i = j
      } else if c.properties.isAlphabetic || c == "." || c == "_" {
        var j = i
        while j < scalars.count, isNameScalar(scalars[j]) { j += 1 }
        tokens.append(.name(String(String.UnicodeScalarView(scalars[i..<j]))))
        i = j
      } else if c == "|" {
        if i + 1 < scalars.count, scalars[i + 1] == "|" {
          tokens.append(.symbol("||"))
          i += 2
        } else {
          tokens.append(.symbol("|"))
          i += 1
        }
      } else if "~+-*:/(),".unicodeScalars.contains(c) {
        tokens.append(.symbol(String(c)))
        i += 1
      } else {
        throw fail("'\(c)' is not part of the formula syntax (write column names with other characters in backquotes)")
      }
    }
    tokens.append(.end)
  }

  var peek: Token { tokens[position] }
  mutating func next() -> Token {
    defer { position += 1 }
    return tokens[position]
  }
  mutating func accept(_ symbol: String) -> Bool {
    if peek == .symbol(symbol) {
      position += 1
      return true
    }
    return false
  }
  mutating func expect(_ symbol: String, _ context: String) throws(EstimationError) {
    guard accept(symbol) else { throw fail("expected '\(symbol)' \(context), found \(describe(peek))") }
  }
  func describe(_ t: Token) -> String {
    switch t {
    case .name(let s): "'\(s)'"
    case .number(let s): "'\(s)'"
    case .symbol(let s): "'\(s)'"
    case .end: "the end"
    }
  }
  mutating func name(_ context: String) throws(EstimationError) -> String {
    guard case .name(let s) = peek else { throw fail("expected a column name \(context), found \(describe(peek))") }
    position += 1
    return s
  }

  mutating func formula() throws(EstimationError)
    -> (response: ModelFormula.Response, intercept: Bool, fixed: [ModelFormula.FixedTerm], random: [ModelFormula.RandomTerm])
  {
    try tokenize()
    let response = try self.response()
    try expect("~", "after the response")
    var intercept = true
    var fixed: [ModelFormula.FixedTerm] = []
    var random: [ModelFormula.RandomTerm] = []
    var sign = "+"
    if accept("-") { sign = "-" }
    while true {
      if sign == "-" {
        guard case .number(let n) = next(), n == "1" || n == "0" else {
          throw fail("only the intercept can be removed with '-' (write '- 1' or '0 +')")
        }
        intercept = false
      } else if case .number(let n) = peek {
        position += 1
        guard n == "1" || n == "0" else { throw fail("'\(n)' is not a term (only 1 and 0, for the intercept, are)") }
        if n == "0" { intercept = false }
      } else if accept("(") {
        random += try randomTerm()
      } else {
        for t in try product() where !fixed.contains(t) { fixed.append(t) }
      }
      if accept("+") {
        sign = "+"
      } else if accept("-") {
        sign = "-"
      } else {
        break
      }
    }
    guard peek == .end else { throw fail("unexpected \(describe(peek)); terms are joined by '+'") }
    return (response, intercept, fixed, random)
  }

  mutating func response() throws(EstimationError) -> ModelFormula.Response {
    guard case .name(let first) = peek else { throw fail("it must start with the response column, found \(describe(peek))") }
    position += 1
    guard first == "cbind", accept("(") else { return .column(first) }
    let successes = try name("as cbind's first argument")
    try expect(",", "between cbind's arguments")
    let second = try name("as cbind's second argument")
    var failures = ModelFormula.Failures.column(second)
    if accept("-") {
      let again = try name("after '-' in cbind")
      guard again == successes else {
        throw fail("cbind's second argument must be a failures column or 'trials - \(successes)'")
      }
      failures = .trialsMinusSuccesses(trials: second)
    }
    try expect(")", "to close cbind")
    return .counts(successes: successes, failures: failures)
  }

  /// `a`, `factor(a)`, `a:b`, `a*b` (→ a, b, a:b).
  mutating func product() throws(EstimationError) -> [ModelFormula.FixedTerm] {
    var factors: [[ModelFormula.Variable]] = [[try variable()]]
    var crossed = false
    while true {
      if accept(":") {
        factors[factors.count - 1].append(try variable())
      } else if accept("*") {
        crossed = true
        factors.append([try variable()])
      } else {
        break
      }
    }
    guard crossed else { return [ModelFormula.FixedTerm(variables: factors[0])] }
    // a*b*c: every non-empty subset of the starred factors, in R's order (by size, then position).
    var terms: [ModelFormula.FixedTerm] = []
    let k = factors.count
    for size in 1...k {
      for mask in 1..<(1 << k) where mask.nonzeroBitCount == size {
        let vars = (0..<k).filter { mask & (1 << $0) != 0 }.flatMap { factors[$0] }
        terms.append(ModelFormula.FixedTerm(variables: vars))
      }
    }
    return terms
  }

  mutating func variable() throws(EstimationError) -> ModelFormula.Variable {
    let n = try name("in a fixed term")
    if accept("(") {
      guard n == "factor" else {
        throw fail("functions of columns such as '\(n)(…)' are not supported (only factor(column)); add a column to the file")
      }
      let column = try name("inside factor()")
      try expect(")", "to close factor(")
      return ModelFormula.Variable(column, categorical: true)
    }
    return ModelFormula.Variable(n)
  }

  /// After '(' : `effects | grouping)` or `effects || grouping)`.
  mutating func randomTerm() throws(EstimationError) -> [ModelFormula.RandomTerm] {
    var intercept = true
    var slopes: [String] = []
    repeat {
      switch next() {
      case .number("1"): break
      case .number("0"): intercept = false
      case .name(let s):
        guard peek != .symbol("(") else {
          throw fail("functions of columns such as '\(s)(…)' are not supported in a random term; add a column to the file")
        }
        if !slopes.contains(s) { slopes.append(s) }
      case let t: throw fail("expected 1, 0 or a column in a random term, found \(describe(t))")
      }
    } while accept("+")
    let correlated: Bool
    if accept("|") {
      correlated = true
    } else if accept("||") {
      correlated = false
    } else {
      throw fail("expected '|' or '||' in a random term, found \(describe(peek))")
    }
    guard intercept || !slopes.isEmpty else { throw fail("a random term needs an intercept or a slope") }
    // grouping: a, a:b, a/b/c (→ a, a:b, a:b:c)
    var levels: [[String]] = [[try name("as the grouping factor")]]
    while true {
      if accept(":") {
        levels[levels.count - 1].append(try name("after ':' in the grouping factor"))
      } else if accept("/") {
        levels.append(levels[levels.count - 1] + [try name("after '/' in the grouping factor")])
      } else {
        break
      }
    }
    try expect(")", "to close the random term")
    var terms: [ModelFormula.RandomTerm] = []
    for grouping in levels {
      if correlated {
        terms.append(ModelFormula.RandomTerm(intercept: intercept, slopes: slopes, grouping: grouping))
      } else {
        if intercept { terms.append(ModelFormula.RandomTerm(intercept: true, slopes: [], grouping: grouping)) }
        for s in slopes { terms.append(ModelFormula.RandomTerm(intercept: false, slopes: [s], grouping: grouping)) }
      }
    }
    return terms
  }
}
