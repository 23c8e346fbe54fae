internal import CLAPACKE

private let layout = Int32(LAPACK_COL_MAJOR)
@inline(__always) private func flag(_ c: Unicode.Scalar) -> CChar { CChar(UInt8(ascii: c)) }

/// A symmetric matrix reduced once to tridiagonal form, A = Q·T·Qᵀ (LAPACK `dsytrd`, about
/// (4/3)n³ flops), with Q kept as its Householder reflectors, so that several consumers share the
/// one O(n³) step: all eigenvalues by `dsterf` (implicit QL/QR without vectors, O(n²)), and the
/// eigenvectors of any top-k set by `dstemr` (MRRR on T, O(nk)) followed by `dormtr` (applying Q,
/// about 2n²k flops). E.g. rank selection needs eigenvalues only and the fit at the selected rank
/// r needs r eigenvectors.
///
/// Measured at n = 100 (release, one thread): `dsytrd` ≈ 0.15 ms, all eigenvalues by `dsterf`
/// ≈ 0.12 ms, three eigenvectors ≈ 0.09 ms; whereas `symmetricEigen(top: 13)` (`dsyevr`, which
/// falls back to bisection and inverse iteration for a partial index range) ≈ 0.6 ms, and even
/// 13 eigenvalues alone by bisection (`dstebz`) or `dstemr` cost more than all of them by `dsterf`.
public struct SymmetricTridiagonalForm: Sendable {
  /// n.
  public let order: Int
  /// `dsytrd`'s output: the reflectors below the subdiagonal (column-major n×n).
  private let reflectors: [Double]
  private let tau: [Double]
  private let diagonal: [Double]
  /// The subdiagonal of T (n − 1 entries, padded to n for `dstemr`'s workspace).
  private let offDiagonal: [Double]

  /// Reduces the symmetric matrix `a` (reads its lower triangle).
  public init(_ a: Matrix) throws(LinearAlgebraError) {
    precondition(a.rows == a.cols, "a tridiagonal reduction needs a square matrix")
    let n = a.rows
    var r = a.elements
    var d = [Double](repeating: 0, count: n)
    var e = [Double](repeating: 0, count: Swift.max(n, 1))
    var t = [Double](repeating: 0, count: Swift.max(n - 1, 1))
    if n > 0 {
      let info = r.withUnsafeMutableBufferPointer { rp in
        d.withUnsafeMutableBufferPointer { dp in
          e.withUnsafeMutableBufferPointer { ep in
            t.withUnsafeMutableBufferPointer { tp in
              LAPACKE_dsytrd(layout, flag("L"), Int32(n), rp.baseAddress, Int32(n), dp.baseAddress, ep.baseAddress, tp.baseAddress)
            }
          }
        }
      }
      if info < 0 { throw .nonFinite(routine: "dsytrd") }
      if info > 0 { throw .lapack(routine: "dsytrd", info: Int(info)) }
    }
    order = n
    reflectors = r
    tau = t
    diagonal = d
    offDiagonal = e
  }

  /// All n eigenvalues of A, descending (`dsterf`).
  public func eigenvalues() throws(LinearAlgebraError) -> [Double] {
    if order == 0 { return [] }
    var d = diagonal
    var e = offDiagonal
    let info = d.withUnsafeMutableBufferPointer { dp in
      e.withUnsafeMutableBufferPointer { ep in LAPACKE_dsterf(Int32(order), dp.baseAddress, ep.baseAddress) }
    }
    if info < 0 { throw .nonFinite(routine: "dsterf") }
    if info > 0 { throw .noConvergence(routine: "dsterf", info: Int(info)) }
    return d.reversed()
  }

  /// The `k` largest eigenvalues of A, descending, and, if `vectors`, their orthonormal
  /// eigenvectors (n×k) by `dstemr` (RANGE = 'I') and `dormtr`.
  public func topEigenpairs(_ k: Int, vectors: Bool = true) throws(LinearAlgebraError) -> SymmetricEigen {
    let n = order
    precondition(k >= 0 && k <= n, "cannot ask for more eigenpairs than the order of the matrix")
    if k == 0 { return SymmetricEigen(values: [], vectors: vectors ? Matrix(rows: n, cols: 0) : nil) }
    var d = diagonal
    var e = offDiagonal
    var w = [Double](repeating: 0, count: n)
    var z = [Double](repeating: 0, count: vectors ? n * k : 1)
    var support = [Int32](repeating: 0, count: 2 * k)
    var found: Int32 = 0
    var tryRelativeAccuracy: Int32 = 1
    let info = d.withUnsafeMutableBufferPointer { dp in
      e.withUnsafeMutableBufferPointer { ep in
        w.withUnsafeMutableBufferPointer { wp in
          z.withUnsafeMutableBufferPointer { zp in
            support.withUnsafeMutableBufferPointer { sp in
              LAPACKE_dstemr(
                layout, vectors ? flag("V") : flag("N"), flag("I"), Int32(n), dp.baseAddress, ep.baseAddress, 0, 0,
                Int32(n - k + 1), Int32(n), &found, wp.baseAddress, zp.baseAddress, Int32(vectors ? n : 1), Int32(k),
                sp.baseAddress, &tryRelativeAccuracy)
            }
          }
        }
      }
    }
    if info < 0 { throw .nonFinite(routine: "dstemr") }
    if info > 0 { throw .noConvergence(routine: "dstemr", info: Int(info)) }
    let m = Int(found)
    let values = (0..<m).map { w[m - 1 - $0] }
    guard vectors else { return SymmetricEigen(values: values, vectors: nil) }
    if n > 1 {
      let back = reflectors.withUnsafeBufferPointer { rp in
        tau.withUnsafeBufferPointer { tp in
          z.withUnsafeMutableBufferPointer { zp in
            LAPACKE_dormtr(
              layout, flag("L"), flag("L"), flag("N"), Int32(n), Int32(m), rp.baseAddress, Int32(n), tp.baseAddress,
              zp.baseAddress, Int32(n))
          }
        }
      }
      if back != 0 { throw .lapack(routine: "dormtr", info: Int(back)) }
    }
    var v = Matrix(rows: n, cols: m)
    for j in 0..<m {
      let source = (m - 1 - j) * n
      for i in 0..<n { v.elements[i + j * n] = z[source + i] }
    }
    return SymmetricEigen(values: values, vectors: v)
  }
}
