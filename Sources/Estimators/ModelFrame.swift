import LinearAlgebra

/// A `ModelFormula` evaluated on a `LongTable`: the complete rows, the response, the fixed-effects
/// matrix with named columns and the random-effect terms, as lme4's `model.frame` +
/// `model.matrix` + `mkReTrms` would build them.
///
/// - **Missing values.** A row with a missing value (empty, NA or non-finite) in any column the
///   formula reads is dropped (R's `na.omit`); `droppedRows` counts them.
/// - **Categorical columns** (text columns, and numeric ones written `factor(col)`) are
///   dummy-coded against their first level, levels sorted (numerically for numbers); the
///   coefficient of level `b` of column `f` is named `fb` (`factor(f)b` for `factor(f)`), as R
///   names it. Without an intercept the first categorical term gets a column for every level.
///   Interactions (`a:b`) are products of numeric columns; with a categorical column they are refused.
/// - **Random terms**: the grouping factor's levels are its labels (for `a:b`, "label_a:label_b",
///   one level per observed pair); slope columns must be numeric.
public struct ModelFrame: Sendable {
  public let formula: ModelFormula
  /// The table rows used (those with no missing value in the formula's columns), ascending.
  public let rows: [Int]
  /// How many rows were dropped for a missing value.
  public let droppedRows: Int
  /// The response, or the successes for `cbind(successes, failures)`.
  public let response: [Double]
  /// successes + failures per row for `cbind`, nil for a one-column response.
  public let trials: [Double]?
  public let fixedNames: [String]
  /// The fixed-effects matrix X (rows × fixedNames.count).
  public let fixed: Matrix
  /// The random-effect terms, in the formula's order (after expanding `/` and `||`).
  public let randomTerms: [RandomEffectTerm]

  public init(_ formula: ModelFormula, table: LongTable) throws(EstimationError) {
    self.formula = formula
    for c in formula.columns where !table.names.contains(c) {
      throw .invalidInput("the formula uses a column '\(c)' that the data does not have; its columns are: \(table.names.joined(separator: ", "))")
    }
    var complete = [Bool](repeating: true, count: table.rowCount)
    for c in formula.columns {
      switch try table.column(c) {
      case .numeric(let v): for i in v.indices where !v[i].isFinite { complete[i] = false }
      case .text(let v): for i in v.indices where v[i].isEmpty { complete[i] = false }
      }
    }
    let rows = complete.indices.filter { complete[$0] }
    guard !rows.isEmpty else { throw .invalidInput("every row has a missing value in a column the formula uses") }
    let data = rows.count == table.rowCount ? table : table.rows(rows)
    self.rows = rows
    droppedRows = table.rowCount - rows.count

    func numbers(_ column: String, _ role: String) throws(EstimationError) -> [Double] {
      guard case .numeric(let v) = try data.column(column) else {
        throw .invalidInput("column '\(column)' is text, but \(role) must be numeric")
      }
      return v
    }
    switch formula.response {
    case .column(let c):
      response = try numbers(c, "the response")
      trials = nil
    case .counts(let s, let f):
      let successes = try numbers(s, "cbind's successes")
      let failures: [Double]
      switch f {
      case .column(let c): failures = try numbers(c, "cbind's failures")
      case .trialsMinusSuccesses(let n): failures = zip(try numbers(n, "cbind's trials"), successes).map { $0 - $1 }
      }
      for i in successes.indices where successes[i] < 0 || failures[i] < 0 {
        throw .invalidInput("row \(rows[i] + 1): cbind needs non-negative successes and failures (got \(successes[i]) and \(failures[i]))")
      }
      response = successes
      trials = zip(successes, failures).map { $0 + $1 }
    }

    // Fixed effects.
    var names: [String] = []
    var columns: [[Double]] = []
    let n = rows.count
    if formula.intercept {
      names.append(CrossedDesign.interceptName)
      columns.append([Double](repeating: 1, count: n))
    }
    var fullCodingUsed = formula.intercept
    for term in formula.fixed {
      let categorical = try term.variables.map { v throws(EstimationError) -> Bool in
        if v.categorical { return true }
        if case .text = try data.column(v.column) { return true }
        return false
      }
      if term.variables.count == 1, categorical[0] {
        let v = term.variables[0]
        let (levels, codes) = try data.sortedLevels(v.column)
        let prefix = v.categorical ? "factor(\(v.column))" : v.column
        let first = fullCodingUsed ? 1 : 0
        fullCodingUsed = true
        guard levels.count > first else {
          throw .invalidInput("column '\(v.column)' has a single level ('\(levels[0])'), so it cannot be a fixed effect next to the intercept")
        }
        for l in first..<levels.count {
          names.append(prefix + levels[l])
          columns.append(codes.map { $0 == l ? 1 : 0 })
        }
        continue
      }
      if let k = categorical.firstIndex(of: true) {
        throw .invalidInput(
          "the interaction '\(term.name)' involves the categorical column '\(term.variables[k].column)'; only numeric columns can be interacted (add dummy or product columns to the file)")
      }
      var product = [Double](repeating: 1, count: n)
      for v in term.variables {
        let x = try numbers(v.column, "an interacted column")
        for i in 0..<n { product[i] *= x[i] }
      }
      names.append(term.name)
      columns.append(product)
    }
    fixedNames = names
    fixed = Matrix(rows: n, cols: names.count) { i, j in columns[j][i] }

    // Random effects.
    var terms: [RandomEffectTerm] = []
    for r in formula.random {
      var slopes: [[Double]] = []
      for s in r.slopes { slopes.append(try numbers(s, "a random slope")) }
      if r.grouping.count == 1, case .numeric(let v) = try data.column(r.grouping[0]) {
        // Numbers as levels: coded by value (labels made once per level, not once per row).
        var index: [Double: Int] = [:]
        var levels: [String] = []
        let codes = v.map { x in
          if let k = index[x] { return k }
          index[x] = levels.count
          levels.append(LongTable.label(x))
          return levels.count - 1
        }
        terms.append(
          try RandomEffectTerm(
            factor: r.factor, codes: codes, levels: levels, intercept: r.intercept, slopeNames: r.slopes, slopes: slopes))
        continue
      }
      var labels = try data.labels(r.grouping[0])
      for g in r.grouping.dropFirst() {
        let more = try data.labels(g)
        for i in 0..<n { labels[i] += ":" + more[i] }
      }
      terms.append(
        try RandomEffectTerm(factor: r.factor, labels: labels, intercept: r.intercept, slopeNames: r.slopes, slopes: slopes))
    }
    randomTerms = terms
  }
}

extension CrossedDesign {
  /// A design from a formula, `y ~ 1 + x + (1 + x | g) + (1 | a/b)` (see `ModelFormula`), on the
  /// complete rows of `table` (see `ModelFrame`).
  public init(formula: ModelFormula, table: LongTable) throws(EstimationError) {
    try self.init(frame: ModelFrame(formula, table: table))
  }

  /// A design from an evaluated formula: one response column and at least one random term.
  public init(frame: ModelFrame) throws(EstimationError) {
    guard case .column(let y) = frame.formula.response else {
      throw .invalidInput("a linear mixed model needs a single response column, not cbind(…)")
    }
    guard !frame.randomTerms.isEmpty else {
      throw .invalidInput("the formula '\(frame.formula)' has no random term such as (1 | group)")
    }
    try self.init(response: frame.response, responseName: y, fixed: frame.fixed, fixedNames: frame.fixedNames, terms: frame.randomTerms)
  }
}
