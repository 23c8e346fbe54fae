/// A dense real matrix stored column-major in one `[Double]`, the layout BLAS and LAPACK use.
///
/// Element (i, j) lives at `elements[i + j * rows]`; column j is the contiguous slice
/// `elements[j*rows ..< (j+1)*rows]`. Panels are stored T×N (rows = periods, columns = units), so one
/// unit's series is one contiguous column.
public struct Matrix: Sendable, Equatable, CustomStringConvertible {
  public let rows: Int
  public let cols: Int
  public var elements: [Double]

  /// A `rows`×`cols` matrix with every element `value`.
  public init(rows: Int, cols: Int, repeating value: Double = 0) {
    precondition(rows >= 0 && cols >= 0, "matrix dimensions must be non-negative")
    self.rows = rows
    self.cols = cols
    self.elements = [Double](repeating: value, count: rows * cols)
  }

  /// A matrix over column-major `elements` (count must be rows·cols).
  public init(rows: Int, cols: Int, elements: [Double]) {
    precondition(rows >= 0 && cols >= 0 && elements.count == rows * cols, "element count must be rows·cols")
    self.rows = rows
    self.cols = cols
    self.elements = elements
  }

  /// A matrix from row arrays, convenient in tests: `Matrix([[1, 2], [3, 4]])`.
  public init(_ rowArrays: [[Double]]) {
    let r = rowArrays.count
    let c = rowArrays.first?.count ?? 0
    precondition(rowArrays.allSatisfy { $0.count == c }, "all rows must have the same length")
    var m = Matrix(rows: r, cols: c)
    for i in 0..<r { for j in 0..<c { m[i, j] = rowArrays[i][j] } }
    self = m
  }

  /// A matrix whose element (i, j) is `f(i, j)`.
  public init(rows: Int, cols: Int, _ f: (Int, Int) -> Double) {
    var m = Matrix(rows: rows, cols: cols)
    for j in 0..<cols { for i in 0..<rows { m.elements[i + j * rows] = f(i, j) } }
    self = m
  }

  /// The n×n identity.
  public static func identity(_ n: Int) -> Matrix {
    var m = Matrix(rows: n, cols: n)
    for i in 0..<n { m.elements[i + i * n] = 1 }
    return m
  }

  /// An n×1 column from a vector.
  public init(column: [Double]) { self.init(rows: column.count, cols: 1, elements: column) }

  @inlinable public subscript(i: Int, j: Int) -> Double {
    get { elements[i + j * rows] }
    set { elements[i + j * rows] = newValue }
  }

  /// Column j as a new array.
  public func column(_ j: Int) -> [Double] { Array(elements[(j * rows)..<((j + 1) * rows)]) }

  /// Replaces column j.
  public mutating func setColumn(_ j: Int, _ values: [Double]) {
    precondition(values.count == rows, "column length must equal the row count")
    elements.replaceSubrange((j * rows)..<((j + 1) * rows), with: values)
  }

  /// Row i as a new array.
  public func row(_ i: Int) -> [Double] { (0..<cols).map { elements[i + $0 * rows] } }

  /// The transpose.
  public var transposed: Matrix {
    var t = Matrix(rows: cols, cols: rows)
    for j in 0..<cols { for i in 0..<rows { t.elements[j + i * cols] = elements[i + j * rows] } }
    return t
  }

  /// The main diagonal.
  public var diagonal: [Double] { (0..<Swift.min(rows, cols)).map { elements[$0 + $0 * rows] } }

  /// Σ element², the squared Frobenius norm.
  public var squaredNorm: Double { elements.reduce(0) { $0 + $1 * $1 } }

  /// True when every element is finite.
  public var isFinite: Bool { elements.allSatisfy { $0.isFinite } }

  public static func + (a: Matrix, b: Matrix) -> Matrix {
    precondition(a.rows == b.rows && a.cols == b.cols, "matrix sizes must agree")
    var c = a
    for k in c.elements.indices { c.elements[k] += b.elements[k] }
    return c
  }

  public static func - (a: Matrix, b: Matrix) -> Matrix {
    precondition(a.rows == b.rows && a.cols == b.cols, "matrix sizes must agree")
    var c = a
    for k in c.elements.indices { c.elements[k] -= b.elements[k] }
    return c
  }

  public static func * (s: Double, a: Matrix) -> Matrix {
    Matrix(rows: a.rows, cols: a.cols, elements: a.elements.map { s * $0 })
  }

  /// The largest absolute elementwise difference, for tests and convergence checks.
  public func maxAbsDifference(_ other: Matrix) -> Double {
    precondition(rows == other.rows && cols == other.cols, "matrix sizes must agree")
    var d = 0.0
    for k in elements.indices { d = Swift.max(d, abs(elements[k] - other.elements[k])) }
    return d
  }

  public var description: String {
    (0..<rows).map { i in (0..<cols).map { String(self[i, $0]) }.joined(separator: " ") }.joined(separator: "\n")
  }
}
