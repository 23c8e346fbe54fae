import LinearAlgebra

/// A balanced panel read from a long table: one row per (unit, period) with an outcome column and
/// covariate columns, pivoted into T×N matrices (column i is unit i's series), the layout the
/// panel estimators take.
///
/// Units keep their order of first appearance in the table; periods are sorted (numerically when
/// the time column is numeric, otherwise as text). Every (unit, period) pair must appear exactly
/// once and every value used must be present: a missing pair, a repeated pair or a missing value is
/// refused with one sentence naming it (a panel estimator cannot drop one cell without dropping
/// its whole unit or period, which is the user's decision).
public struct LongPanel: Sendable {
  public let unitName: String
  public let timeName: String
  public let outcomeName: String
  public let covariateNames: [String]
  /// The unit labels, column order of the matrices (N).
  public let units: [String]
  /// The period labels, row order of the matrices (T).
  public let periods: [String]
  /// T×N.
  public let outcome: Matrix
  /// One T×N matrix per covariate, in `covariateNames` order.
  public let covariates: [Matrix]

  public init(table: LongTable, unit: String, time: String, outcome: String, covariates: [String]) throws(EstimationError) {
    let used = [unit, time, outcome] + covariates
    guard Set(used).count == used.count else {
      throw .invalidInput("the unit, time, outcome and covariate columns must be distinct (got \(used.joined(separator: ", ")))")
    }
    let unitLabels = try table.labels(unit)
    var unitIndex: [String: Int] = [:]
    var units: [String] = []
    for u in unitLabels where unitIndex[u] == nil {
      unitIndex[u] = units.count
      units.append(u)
    }
    let (periods, periodCodes) = try table.sortedLevels(time)
    let n = units.count
    let t = periods.count
    guard n >= 2, t >= 2 else {
      throw .invalidInput("a panel needs at least 2 units and 2 periods; '\(unit)' has \(n) and '\(time)' has \(t)")
    }
    var cell = [Int](repeating: -1, count: t * n)
    for r in 0..<table.rowCount {
      let i = unitIndex[unitLabels[r]]!
      let s = periodCodes[r]
      guard cell[s + i * t] < 0 else {
        throw .invalidInput(
          "\(unit) '\(unitLabels[r])' has two rows for \(time) '\(periods[s])' (data rows \(cell[s + i * t] + 1) and \(r + 1))")
      }
      cell[s + i * t] = r
    }
    if let missing = cell.firstIndex(of: -1) {
      let count = cell.count { $0 < 0 }
      throw .invalidInput(
        "the panel is unbalanced: \(unit) '\(units[missing / t])' has no row for \(time) '\(periods[missing % t])' "
          + "(\(count) of the \(n)×\(t) unit-period cells are missing); balanced panels only")
    }
    func pivot(_ name: String) throws(EstimationError) -> Matrix {
      guard case .numeric(let v) = try table.column(name) else {
        throw .invalidInput("column '\(name)' is text, but a number is needed")
      }
      var m = Matrix(rows: t, cols: n)
      for k in 0..<(t * n) {
        let value = v[cell[k]]
        guard value.isFinite else {
          throw .invalidInput(
            "column '\(name)' has a missing value for \(unit) '\(units[k / t])', \(time) '\(periods[k % t])' (data row \(cell[k] + 1))")
        }
        m.elements[k] = value
      }
      return m
    }
    self.outcome = try pivot(outcome)
    var xs: [Matrix] = []
    for c in covariates { xs.append(try pivot(c)) }
    self.covariates = xs
    self.unitName = unit
    self.timeName = time
    self.outcomeName = outcome
    self.covariateNames = covariates
    self.units = units
    self.periods = periods
  }
}
