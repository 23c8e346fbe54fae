import Foundation
internal import CLAPACKE

private let colMajor = Int32(LAPACK_COL_MAJOR)
@inline(__always) private func ch(_ c: Unicode.Scalar) -> CChar { CChar(UInt8(ascii: c)) }

/// LAPACKE returns −i for an illegal argument i (LAPACKE's NaN check reports the matrix argument):
/// with validated dimensions the only reachable case is non-finite input.
private func argumentError(_ routine: String, _ info: Int32) -> LinearAlgebraError {
  .nonFinite(routine: routine)
}

/// The eigen-decomposition of a symmetric matrix: eigenvalues in **descending** order and, if
/// requested, the matching orthonormal eigenvectors as columns.
public struct SymmetricEigen: Sendable {
  public let values: [Double]
  public let vectors: Matrix?
}

extension Matrix {
  /// All eigenvalues (and optionally eigenvectors) of a symmetric matrix by LAPACK `dsyevd`
  /// (divide and conquer). Reads the lower triangle. O(n³).
  public func symmetricEigen(vectors: Bool = true) throws(LinearAlgebraError) -> SymmetricEigen {
    precondition(rows == cols, "eigen-decomposition needs a square matrix")
    let n = rows
    if n == 0 { return SymmetricEigen(values: [], vectors: vectors ? Matrix(rows: 0, cols: 0) : nil) }
    var a = elements
    var w = [Double](repeating: 0, count: n)
    let info = a.withUnsafeMutableBufferPointer { ap in
      w.withUnsafeMutableBufferPointer { wp in
        LAPACKE_dsyevd(colMajor, vectors ? ch("V") : ch("N"), ch("L"), Int32(n), ap.baseAddress, Int32(n), wp.baseAddress)
      }
    }
    if info < 0 { throw argumentError("dsyevd", info) }
    if info > 0 { throw .noConvergence(routine: "dsyevd", info: Int(info)) }
    let values = Array(w.reversed())
    guard vectors else { return SymmetricEigen(values: values, vectors: nil) }
    var v = Matrix(rows: n, cols: n)
    for j in 0..<n {
      let src = (n - 1 - j) * n
      for i in 0..<n { v.elements[i + j * n] = a[src + i] }
    }
    return SymmetricEigen(values: values, vectors: v)
  }

  /// The `k` largest eigenvalues (descending) and, if requested, their eigenvectors, by LAPACK
  /// `dsyevr` (MRRR) with RANGE = 'I': one tridiagonal reduction, then only the wanted pairs.
  /// Reads the lower triangle. Much cheaper than a full decomposition when k ≪ n.
  public func symmetricEigen(top k: Int, vectors: Bool = true) throws(LinearAlgebraError) -> SymmetricEigen {
    precondition(rows == cols, "eigen-decomposition needs a square matrix")
    let n = rows
    precondition(k >= 0 && k <= n, "cannot ask for more eigenpairs than the order of the matrix")
    if k == 0 { return SymmetricEigen(values: [], vectors: vectors ? Matrix(rows: n, cols: 0) : nil) }
    var a = elements
    var w = [Double](repeating: 0, count: n)
    var z = [Double](repeating: 0, count: vectors ? n * k : 1)
    var isuppz = [Int32](repeating: 0, count: 2 * Swift.max(1, k))
    var m: Int32 = 0
    let info = a.withUnsafeMutableBufferPointer { ap in
      w.withUnsafeMutableBufferPointer { wp in
        z.withUnsafeMutableBufferPointer { zp in
          isuppz.withUnsafeMutableBufferPointer { sp in
            LAPACKE_dsyevr(
              colMajor, vectors ? ch("V") : ch("N"), ch("I"), ch("L"), Int32(n), ap.baseAddress, Int32(n), 0, 0,
              Int32(n - k + 1), Int32(n), 0, &m, wp.baseAddress, zp.baseAddress, Int32(vectors ? n : 1),
              sp.baseAddress)
          }
        }
      }
    }
    if info < 0 { throw argumentError("dsyevr", info) }
    if info > 0 { throw .noConvergence(routine: "dsyevr", info: Int(info)) }
    let found = Int(m)
    let values = (0..<found).map { w[found - 1 - $0] }
    guard vectors else { return SymmetricEigen(values: values, vectors: nil) }
    var v = Matrix(rows: n, cols: found)
    for j in 0..<found {
      let src = (found - 1 - j) * n
      for i in 0..<n { v.elements[i + j * n] = z[src + i] }
    }
    return SymmetricEigen(values: values, vectors: v)
  }

  /// Least squares min‖A x − b‖ for each column of `b` by Householder QR (`dgels`); A must have
  /// full column rank and at least as many rows as columns. Returns the cols×(b.cols) solution.
  /// Numerical rank deficiency is detected on R's diagonal, as in MATLAB's `rank`: a column is
  /// dependent when |R_jj| ≤ max(m, n)·ε·max|R_ii|; that throws `.singular` naming the column.
  public func leastSquares(_ b: Matrix) throws(LinearAlgebraError) -> Matrix {
    precondition(b.rows == rows, "right-hand side must have as many rows as the matrix")
    precondition(rows >= cols, "least squares needs at least as many rows as unknowns")
    if cols == 0 { return Matrix(rows: 0, cols: b.cols) }
    var a = elements
    var bb = b.elements
    let info = a.withUnsafeMutableBufferPointer { ap in
      bb.withUnsafeMutableBufferPointer { bp in
        LAPACKE_dgels(
          colMajor, ch("N"), Int32(rows), Int32(cols), Int32(b.cols), ap.baseAddress, Int32(rows), bp.baseAddress,
          Int32(Swift.max(1, rows)))
      }
    }
    if info < 0 { throw argumentError("dgels", info) }
    if info > 0 { throw .singular(routine: "dgels", index: Int(info)) }
    let rDiagonal = (0..<cols).map { abs(a[$0 + $0 * rows]) }
    let tolerance = Double(Swift.max(rows, cols)) * Double.ulpOfOne * (rDiagonal.max() ?? 0)
    if let j = rDiagonal.firstIndex(where: { $0 <= tolerance }) { throw .singular(routine: "dgels", index: j + 1) }
    var x = Matrix(rows: cols, cols: b.cols)
    for j in 0..<b.cols { for i in 0..<cols { x.elements[i + j * cols] = bb[i + j * rows] } }
    return x
  }

  /// Least squares for one right-hand side vector.
  public func leastSquares(_ b: [Double]) throws(LinearAlgebraError) -> [Double] {
    try leastSquares(Matrix(column: b)).elements
  }

  /// The thin singular-value decomposition A = U·diag(s)·Vᵀ by `dgesdd`; s descending,
  /// U is rows×m, Vᵀ is m×cols with m = min(rows, cols).
  public func singularValueDecomposition() throws(LinearAlgebraError) -> (u: Matrix, s: [Double], vt: Matrix) {
    let m = Swift.min(rows, cols)
    var a = elements
    var s = [Double](repeating: 0, count: m)
    var u = Matrix(rows: rows, cols: m)
    var vt = Matrix(rows: m, cols: cols)
    if m == 0 { return (u, s, vt) }
    let info = a.withUnsafeMutableBufferPointer { ap in
      s.withUnsafeMutableBufferPointer { sp in
        u.elements.withUnsafeMutableBufferPointer { up in
          vt.elements.withUnsafeMutableBufferPointer { vp in
            LAPACKE_dgesdd(
              colMajor, ch("S"), Int32(rows), Int32(cols), ap.baseAddress, Int32(rows), sp.baseAddress, up.baseAddress,
              Int32(rows), vp.baseAddress, Int32(m))
          }
        }
      }
    }
    if info < 0 { throw argumentError("dgesdd", info) }
    if info > 0 { throw .noConvergence(routine: "dgesdd", info: Int(info)) }
    return (u, s, vt)
  }
}

/// The Cholesky factorisation A = L·Lᵀ of a symmetric positive-definite matrix (`dpotrf`), with
/// solves (`dpotrs`), the inverse (`dpotri`) and the log-determinant.
public struct Cholesky: Sendable {
  /// The lower-triangular factor (upper triangle zeroed).
  public let lower: Matrix

  /// Factorises `a` (reads its lower triangle). Throws `.notPositiveDefinite` with the order of the
  /// failing leading minor.
  public init(_ a: Matrix) throws(LinearAlgebraError) {
    precondition(a.rows == a.cols, "Cholesky needs a square matrix")
    let n = a.rows
    var l = a.elements
    if n > 0 {
      let info = l.withUnsafeMutableBufferPointer { lp in
        LAPACKE_dpotrf(colMajor, ch("L"), Int32(n), lp.baseAddress, Int32(n))
      }
      if info < 0 { throw argumentError("dpotrf", info) }
      if info > 0 { throw .notPositiveDefinite(order: Int(info)) }
    }
    for j in 0..<n { for i in 0..<j { l[i + j * n] = 0 } }
    lower = Matrix(rows: n, cols: n, elements: l)
  }

  /// log det A = 2 Σ log L_ii.
  public var logDeterminant: Double { 2 * lower.diagonal.reduce(0) { $0 + log($1) } }

  /// Solves A X = B.
  public func solve(_ b: Matrix) throws(LinearAlgebraError) -> Matrix {
    precondition(b.rows == lower.rows, "right-hand side must have as many rows as the matrix")
    var x = b.elements
    let n = lower.rows
    if n == 0 || b.cols == 0 { return b }
    let info = lower.elements.withUnsafeBufferPointer { lp in
      x.withUnsafeMutableBufferPointer { xp in
        LAPACKE_dpotrs(colMajor, ch("L"), Int32(n), Int32(b.cols), lp.baseAddress, Int32(n), xp.baseAddress, Int32(n))
      }
    }
    if info != 0 { throw argumentError("dpotrs", info) }
    return Matrix(rows: b.rows, cols: b.cols, elements: x)
  }

  /// Solves A x = b.
  public func solve(_ b: [Double]) throws(LinearAlgebraError) -> [Double] { try solve(Matrix(column: b)).elements }

  /// A⁻¹ (symmetric, both triangles filled), e.g. a covariance matrix from an information matrix.
  public func inverse() throws(LinearAlgebraError) -> Matrix {
    let n = lower.rows
    var a = lower.elements
    if n > 0 {
      let info = a.withUnsafeMutableBufferPointer { ap in
        LAPACKE_dpotri(colMajor, ch("L"), Int32(n), ap.baseAddress, Int32(n))
      }
      if info < 0 { throw argumentError("dpotri", info) }
      if info > 0 { throw .singular(routine: "dpotri", index: Int(info)) }
    }
    var m = Matrix(rows: n, cols: n, elements: a)
    m.symmetrizeFromLower()
    return m
  }
}


/// The LAPACK library serving the decompositions.
public enum LAPACK {
  /// LAPACK's version ("3.11.0"), from `ilaver`.
  public static var version: String {
    var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
    simstudy_lapack_version(&major, &minor, &patch)
    return "\(major).\(minor).\(patch)"
  }
}
