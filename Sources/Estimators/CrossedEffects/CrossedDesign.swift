import LinearAlgebra

/// One random-effect term `(1 + slopes | factor)`, or `(0 + slopes | factor)` without the intercept:
/// the grouping factor's level of every observation and the covariates whose coefficients vary by
/// level. The term's random effects per level are a q-vector (the intercept if any, then one per
/// slope) with an unstructured q×q covariance, i.e. its effects are correlated. Uncorrelated
/// effects, lme4's `(1 + x || g)`, are separate terms on the same factor: `(1 | g) + (0 + x | g)`.
public struct RandomEffectTerm: Sendable {
  /// The grouping factor's name (its column in a `LongTable`).
  public let factor: String
  /// The label of each level; level code k is `levels[k]`.
  public let levels: [String]
  /// The level code (0..<levels.count) of every observation.
  public let codes: [Int]
  /// The names of the covariates with random slopes.
  public let slopeNames: [String]
  /// The slope covariates' values, one array per slope, each with one value per observation.
  public let slopes: [[Double]]
  /// Whether the term has a random intercept (the first effect).
  public let intercept: Bool
  let levelIndex: [String: Int]

  /// A term from integer level codes; `levels` defaults to the codes' canonical text ("0", "1", …).
  public init(
    factor: String, codes: [Int], levels: [String]? = nil, intercept: Bool = true, slopeNames: [String] = [],
    slopes: [[Double]] = []
  ) throws(EstimationError) {
    guard intercept || !slopes.isEmpty else {
      throw .invalidInput("factor '\(factor)': a random-effect term needs an intercept or a slope")
    }
    let labels = levels ?? (0..<((codes.max() ?? -1) + 1)).map(String.init)
    guard codes.allSatisfy({ $0 >= 0 && $0 < labels.count }) else {
      throw .invalidInput("factor '\(factor)': every level code must lie in 0..<\(labels.count)")
    }
    guard Set(labels).count == labels.count else { throw .invalidInput("factor '\(factor)': level labels must be distinct") }
    guard slopeNames.count == slopes.count, slopes.allSatisfy({ $0.count == codes.count }) else {
      throw .invalidInput("factor '\(factor)': need one slope name per slope and one value per observation")
    }
    guard slopes.allSatisfy({ $0.allSatisfy(\.isFinite) }) else {
      throw .invalidInput("factor '\(factor)': a slope covariate has a missing or non-finite value")
    }
    self.factor = factor
    self.levels = labels
    self.codes = codes
    self.slopeNames = slopeNames
    self.slopes = slopes
    self.intercept = intercept
    self.levelIndex = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, $0) })
  }

  /// A term from per-observation labels; levels are numbered in order of first appearance.
  public init(
    factor: String, labels: [String], intercept: Bool = true, slopeNames: [String] = [], slopes: [[Double]] = []
  ) throws(EstimationError) {
    var index: [String: Int] = [:]
    var levels: [String] = []
    var codes: [Int] = []
    codes.reserveCapacity(labels.count)
    for label in labels {
      if let k = index[label] {
        codes.append(k)
      } else {
        index[label] = levels.count
        codes.append(levels.count)
        levels.append(label)
      }
    }
    try self.init(
      factor: factor, codes: codes, levels: levels, intercept: intercept, slopeNames: slopeNames, slopes: slopes)
  }

  /// q: the size of the per-level random-effect vector (the intercept, if any, and the slopes).
  public var dimension: Int { (intercept ? 1 : 0) + slopes.count }
  /// "(Intercept)" (if the term has one) followed by the slope names.
  public var effectNames: [String] { (intercept ? [CrossedDesign.interceptName] : []) + slopeNames }

  /// The term's random-effect regressors for observation i: 1 for the intercept, then the slopes' values.
  @inline(__always) func regressor(_ i: Int, _ c: Int) -> Double {
    intercept ? (c == 0 ? 1 : slopes[c - 1][i]) : slopes[c][i]
  }

  /// The same term restricted to `rows` (in that order), with new level codes if given.
  func selecting(_ rows: [Int], codes newCodes: [Int]? = nil, levels newLevels: [String]? = nil) throws(EstimationError)
    -> RandomEffectTerm
  {
    try RandomEffectTerm(
      factor: factor, codes: newCodes ?? rows.map { codes[$0] }, levels: newLevels ?? levels, intercept: intercept,
      slopeNames: slopeNames,
      slopes: slopes.map { s in rows.map { s[$0] } })
  }
}

/// A random-effect term as named columns of a `LongTable`: `RandomTermSpec("plate")` is
/// `(1 | plate)`, `RandomTermSpec("teacher", slopes: ["hours"])` is `(1 + hours | teacher)`.
public struct RandomTermSpec: Sendable, Equatable {
  public let factor: String
  public let slopes: [String]
  public init(_ factor: String, slopes: [String] = []) {
    self.factor = factor
    self.slopes = slopes
  }
}

/// The design of a linear mixed model y = Xβ + Σ_k Z_k b_k + ε: the response, the fixed-effects
/// matrix X (n×p, column names kept; the intercept column is "(Intercept)") and the random-effect
/// terms (crossed or nested, any number).
public struct CrossedDesign: Sendable {
  public static let interceptName = "(Intercept)"
  public let responseName: String
  public let response: [Double]
  public let fixedNames: [String]
  /// X, n×p.
  public let fixed: Matrix
  public let terms: [RandomEffectTerm]

  /// A design from arrays. Throws for mismatched lengths, non-finite values, no random term, or
  /// p ≥ n.
  public init(
    response: [Double], responseName: String = "y", fixed: Matrix, fixedNames: [String], terms: [RandomEffectTerm]
  ) throws(EstimationError) {
    let n = response.count
    guard fixed.rows == n, fixedNames.count == fixed.cols else {
      throw .invalidInput("X must have one row per observation and one name per column")
    }
    guard Set(fixedNames).count == fixedNames.count else { throw .invalidInput("fixed-effect names must be distinct") }
    guard !terms.isEmpty else { throw .invalidInput("a mixed model needs at least one random-effect term") }
    guard terms.allSatisfy({ $0.codes.count == n }) else {
      throw .invalidInput("every random-effect term needs one level per observation")
    }
    guard n > fixed.cols else { throw .invalidInput("need more observations (\(n)) than fixed effects (\(fixed.cols))") }
    guard response.allSatisfy(\.isFinite) else { throw .invalidInput("the response has a missing or non-finite value") }
    guard fixed.isFinite else { throw .invalidInput("X has a missing or non-finite value") }
    self.responseName = responseName
    self.response = response
    self.fixed = fixed
    self.fixedNames = fixedNames
    self.terms = terms
  }

  /// A design from a long table: `response ~ [1 +] fixed + Σ (1 + slopes | factor)`.
  public init(
    table: LongTable, response: String, fixed: [String] = [], intercept: Bool = true, random: [RandomTermSpec]
  ) throws(EstimationError) {
    let y = try table.numeric(response)
    let names = (intercept ? [CrossedDesign.interceptName] : []) + fixed
    let x = try CrossedDesign.fixedMatrix(table, names: names)
    var terms: [RandomEffectTerm] = []
    for spec in random {
      var slopes: [[Double]] = []
      for s in spec.slopes { slopes.append(try table.numeric(s)) }
      terms.append(
        try RandomEffectTerm(factor: spec.factor, labels: try table.labels(spec.factor), slopeNames: spec.slopes, slopes: slopes))
    }
    try self.init(response: y, responseName: response, fixed: x, fixedNames: names, terms: terms)
  }

  /// X built from a table's columns by name ("(Intercept)" is a column of ones).
  static func fixedMatrix(_ table: LongTable, names: [String]) throws(EstimationError) -> Matrix {
    var x = Matrix(rows: table.rowCount, cols: names.count)
    for (j, name) in names.enumerated() {
      if name == interceptName {
        x.setColumn(j, [Double](repeating: 1, count: table.rowCount))
      } else {
        x.setColumn(j, try table.numeric(name))
      }
    }
    return x
  }

  /// Each term's name as lme4 prints its group: the factor, and "factor.1", "factor.2", … for a
  /// factor's second, third, … term (as `||` makes).
  public var termNames: [String] {
    var seen: [String: Int] = [:]
    return terms.map { t in
      let k = seen[t.factor, default: 0]
      seen[t.factor] = k + 1
      return k == 0 ? t.factor : "\(t.factor).\(k)"
    }
  }

  public var observationCount: Int { response.count }

  /// The same design with another response (same length, finite).
  public func withResponse(_ y: [Double]) throws(EstimationError) -> CrossedDesign {
    guard y.count == response.count else {
      throw .invalidInput("the new response has \(y.count) values but the design has \(response.count) observations")
    }
    return try CrossedDesign(response: y, responseName: responseName, fixed: fixed, fixedNames: fixedNames, terms: terms)
  }

  /// A cluster-bootstrap resample: for each entry of `draws` (level codes of term `term`, with
  /// repeats), all rows of that level, in order; the k-th drawn cluster becomes level k of the
  /// resampled term, so a level drawn twice counts as two independent clusters.
  public func resampled(term: Int, draws: [Int]) throws(EstimationError) -> CrossedDesign {
    let t = terms[term]
    var rowsOfLevel = [[Int]](repeating: [], count: t.levels.count)
    for (i, c) in t.codes.enumerated() { rowsOfLevel[c].append(i) }
    var rows: [Int] = []
    var newCodes: [Int] = []
    for (k, level) in draws.enumerated() {
      rows += rowsOfLevel[level]
      newCodes += [Int](repeating: k, count: rowsOfLevel[level].count)
    }
    var newTerms: [RandomEffectTerm] = []
    for (k, old) in terms.enumerated() {
      newTerms.append(
        k == term
          ? try old.selecting(rows, codes: newCodes, levels: draws.indices.map { "\(t.levels[draws[$0]])#\($0)" })
          : try old.selecting(rows))
    }
    let x = Matrix(rows: rows.count, cols: fixed.cols) { i, j in fixed[rows[i], j] }
    return try CrossedDesign(
      response: rows.map { response[$0] }, responseName: responseName, fixed: x, fixedNames: fixedNames, terms: newTerms)
  }
}
