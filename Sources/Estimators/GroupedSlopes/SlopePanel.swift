import LinearAlgebra

/// A balanced panel for heterogeneous-slope regressions, y_it = β_i'x_it + (effects) + ε_it, with
/// N units, T periods and p regressors.
///
/// Layout: `y` is T×N (column i is unit i's series); `x` is T×(N·p) and unit i's T×p regressor
/// block X_i is columns i·p ..< (i+1)·p, one contiguous slice of the column-major storage.
public struct SlopePanel: Sendable {
  public let y: Matrix
  public let x: Matrix
  /// p.
  public let regressors: Int
  /// The regressors' names, reported with the slopes (beta1, beta2, … unless given).
  public var regressorNames: [String]

  /// N.
  public var units: Int { y.cols }
  /// T.
  public var periods: Int { y.rows }

  /// Checks the shapes (x must be T×(N·p)) and that every value is finite.
  public init(y: Matrix, x: Matrix, regressors: Int, names: [String]? = nil) throws(EstimationError) {
    guard regressors >= 1 else { throw .invalidInput("a slope panel needs at least one regressor") }
    guard x.rows == y.rows, x.cols == y.cols * regressors else {
      throw .invalidInput(
        "the regressors must be T×(N·p) = \(y.rows)×\(y.cols * regressors) to match y (\(y.rows)×\(y.cols)) and p = \(regressors), not \(x.rows)×\(x.cols)"
      )
    }
    guard y.cols >= 1, y.rows >= 2 else { throw .invalidInput("a slope panel needs N ≥ 1 units and T ≥ 2 periods") }
    guard y.isFinite, x.isFinite else { throw .invalidInput("the panel holds non-finite values") }
    if let names, names.count != regressors {
      throw .invalidInput("\(names.count) regressor names were given for p = \(regressors) regressors")
    }
    self.y = y
    self.x = x
    self.regressors = regressors
    self.regressorNames = names ?? (0..<regressors).map(slopeName)
  }

  /// A panel from a long table pivoted by `LongPanel`: y is its outcome, the regressors its
  /// covariates in order, named after their columns.
  public init(_ long: LongPanel) throws(EstimationError) {
    let t = long.periods.count, n = long.units.count, p = long.covariates.count
    guard p >= 1 else { throw .invalidInput("a slope panel needs at least one regressor") }
    var x = Matrix(rows: t, cols: n * p)
    for i in 0..<n {
      for j in 0..<p {
        for s in 0..<t { x.elements[(i * p + j) * t + s] = long.covariates[j].elements[i * t + s] }
      }
    }
    try self.init(y: long.outcome, x: x, regressors: p, names: long.covariateNames)
  }

  init(unchecked y: Matrix, x: Matrix, regressors: Int, names: [String]) {
    self.y = y
    self.x = x
    self.regressors = regressors
    self.regressorNames = names
  }

  /// The periods `range` of every unit (rows of y and x), not re-demeaned.
  func periods(_ range: Range<Int>) -> SlopePanel {
    let t = periods, h = range.count
    func rows(_ m: Matrix) -> Matrix {
      var out = Matrix(rows: h, cols: m.cols)
      for c in 0..<m.cols { for (r, s) in range.enumerated() { out.elements[c * h + r] = m.elements[c * t + s] } }
      return out
    }
    return SlopePanel(unchecked: rows(y), x: rows(x), regressors: regressors, names: regressorNames)
  }

  /// Unit i's series y_i (length T).
  public func unitResponse(_ i: Int) -> [Double] { y.column(i) }

  /// Unit i's regressors X_i (T×p).
  public func unitRegressors(_ i: Int) -> Matrix {
    let t = periods, p = regressors
    return Matrix(rows: t, cols: p, elements: Array(x.elements[(i * p * t)..<((i + 1) * p * t)]))
  }

  /// The within transformation: every unit's y and x minus their time means (removes μ_i).
  /// O(NTp).
  public func demeanedByUnit() -> SlopePanel {
    SlopePanel(unchecked: Self.demeanColumns(y), x: Self.demeanColumns(x), regressors: regressors, names: regressorNames)
  }

  static func demeanColumns(_ m: Matrix) -> Matrix {
    var out = m
    let t = m.rows
    for j in 0..<m.cols {
      var s = 0.0
      for r in 0..<t { s += m.elements[r + j * t] }
      let mean = s / Double(t)
      for r in 0..<t { out.elements[r + j * t] -= mean }
    }
    return out
  }

  /// The sample variance of all NT values of y (divisor NT − 1), the scale of the C-Lasso penalty.
  var responseVariance: Double {
    let n = Double(y.elements.count)
    let mean = y.elements.reduce(0, +) / n
    return y.elements.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)
  }
}
