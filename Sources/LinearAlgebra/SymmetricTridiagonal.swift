internal import CLAPACKE
internal import COpenBLAS

private let layout = Int32(LAPACK_COL_MAJOR)
@inline(__always) private func flag(_ c: Unicode.Scalar) -> CChar { CChar(UInt8(ascii: c)) }

/// A symmetric matrix reduced once to tridiagonal form, A = Q·T·Qᵀ (LAPACK `dsytrd`, about
/// (4/3)n³ flops), with Q kept as its Householder reflectors, so that several consumers share the
/// one O(n³) step: all eigenvalues by `dsterf` (implicit QL/QR without vectors, O(n²)), and the
/// eigenvectors of any top-k set by `dstemr` (MRRR on T, O(nk)) followed by `dormtr` (applying Q,
/// about 2n²k flops). E.g. rank selection needs eigenvalues only and the fit at the selected rank
/// r needs r eigenvectors.
///
/// When the eigenvalues are already known (`eigenvalues()`), `eigenvectors(forTopValues:)` gets
/// the vectors by inverse iteration (`dstein`) instead, skipping `dstemr`'s bisection.
///
/// Measured at n = 100 (release, one thread): `dsyrk` + `dsytrd` ≈ 0.16 ms, all eigenvalues by
/// `dsterf` ≈ 0.11 ms, three eigenvectors by `dstemr` ≈ 0.05 ms (mostly its bisection), by
/// `dstein` a fraction of that; whereas `symmetricEigen(top: 13)` (`dsyevr`, which falls back to
/// bisection and inverse iteration for a partial index range) ≈ 0.5 ms, and even 13 eigenvalues
/// alone by `dstemr` (0.39 ms) cost more than all of them by `dsterf`.
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
    // The NaN scan of the lower triangle that `LAPACKE_dsytrd` made (the `_work` call below skips it).
    for j in 0..<n { for i in j..<n where a.elements[i + j * n].isNaN { throw .nonFinite(routine: "dsytrd") } }
    var r = a.elements
    try self.init(reducing: &r, order: n)
  }

  /// Reduces the Gram matrix `scale`·EEᵀ (`outer`, rows×rows) or `scale`·EᵀE (cols×cols) of `e`
  /// without forming it as a `Matrix`: `dsyrk` writes its lower triangle straight into the buffer
  /// that `dsytrd` then reduces in place (no symmetrising pass, no copy). Bit-identical to
  /// `SymmetricTridiagonalForm(e.gram(outer:alpha:))`. Cost about n²k flops (n the order, k the
  /// other dimension) plus (4/3)n³.
  public init(gramOf e: Matrix, outer: Bool, scale: Double) throws(LinearAlgebraError) {
    let n = outer ? e.rows : e.cols
    let k = outer ? e.cols : e.rows
    var r = [Double](repeating: 0, count: n * n)
    if n > 0 && k > 0 {
      e.elements.withUnsafeBufferPointer { ap in
        r.withUnsafeMutableBufferPointer { cp in
          cblas_dsyrk(
            CblasColMajor, CblasLower, outer ? CblasNoTrans : CblasTrans, Int32(n), Int32(k), scale,
            ap.baseAddress, Int32(Swift.max(1, e.rows)), 0.0, cp.baseAddress, Int32(n))
        }
      }
    }
    // A NaN or infinity in E (or an overflow) shows on the Gram's diagonal, a sum of squares: the
    // finiteness check costs n reads instead of LAPACKE's scan of the triangle.
    for i in 0..<n where !r[i + i * n].isFinite { throw .nonFinite(routine: "dsyrk") }
    try self.init(reducing: &r, order: n)
  }

  /// `dsytrd` in place on the lower triangle of `r` (n×n), through the `_work` entry point with the
  /// optimal workspace from a query (what `LAPACKE_dsytrd` does, without its NaN scan: each caller
  /// checks its input first).
  private init(reducing r: inout [Double], order n: Int) throws(LinearAlgebraError) {
    var d = [Double](repeating: 0, count: n)
    var e = [Double](repeating: 0, count: Swift.max(n, 1))
    var t = [Double](repeating: 0, count: Swift.max(n - 1, 1))
    if n > 0 {
      let info = r.withUnsafeMutableBufferPointer { rp in
        d.withUnsafeMutableBufferPointer { dp in
          e.withUnsafeMutableBufferPointer { ep in
            t.withUnsafeMutableBufferPointer { tp -> Int32 in
              var query = 0.0
              let q = LAPACKE_dsytrd_work(
                layout, flag("L"), Int32(n), rp.baseAddress, Int32(n), dp.baseAddress, ep.baseAddress, tp.baseAddress,
                &query, -1)
              if q != 0 { return q }
              let lwork = Swift.max(1, Int(query))
              var work = [Double](repeating: 0, count: lwork)
              return work.withUnsafeMutableBufferPointer { wp in
                LAPACKE_dsytrd_work(
                  layout, flag("L"), Int32(n), rp.baseAddress, Int32(n), dp.baseAddress, ep.baseAddress,
                  tp.baseAddress, wp.baseAddress, Int32(lwork))
              }
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
      e.withUnsafeMutableBufferPointer { ep in LAPACKE_dsterf_work(Int32(order), dp.baseAddress, ep.baseAddress) }
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
      try applyQ(to: &z, columns: m)
    }
    var v = Matrix(rows: n, cols: m)
    for j in 0..<m {
      let source = (m - 1 - j) * n
      for i in 0..<n { v.elements[i + j * n] = z[source + i] }
    }
    return SymmetricEigen(values: values, vectors: v)
  }

  /// The eigenvectors (n×k, orthonormal) of the top k eigenvalues of A when those are already
  /// known, e.g. from `eigenvalues()`: inverse iteration on T (`dstein`, O(nk) per sweep, with
  /// reorthogonalisation inside clusters) and the back-transformation by Q (`dormtr`, about 2n²k
  /// flops). `values` are the top k eigenvalues, descending; the columns are in the same order.
  /// Much cheaper than `topEigenpairs`, whose `dstemr` must first locate the k eigenvalues by
  /// bisection. Agrees with `topEigenpairs` up to rounding and the signs of the columns.
  public func eigenvectors(forTopValues values: [Double]) throws(LinearAlgebraError) -> Matrix {
    let n = order
    let k = values.count
    precondition(k <= n, "cannot ask for more eigenvectors than the order of the matrix")
    if k == 0 { return Matrix(rows: n, cols: 0) }
    let ascending = Array(values.reversed())
    var z = [Double](repeating: 0, count: n * k)
    var block = [Int32](repeating: 1, count: k)
    var split: [Int32] = [Int32(n)]
    var failed = [Int32](repeating: 0, count: k)
    var work = [Double](repeating: 0, count: 5 * n)
    var iwork = [Int32](repeating: 0, count: n)
    let info = diagonal.withUnsafeBufferPointer { dp in
      offDiagonal.withUnsafeBufferPointer { ep in
        ascending.withUnsafeBufferPointer { wp in
          z.withUnsafeMutableBufferPointer { zp in
            block.withUnsafeMutableBufferPointer { bp in
              split.withUnsafeMutableBufferPointer { sp in
                failed.withUnsafeMutableBufferPointer { fp in
                  work.withUnsafeMutableBufferPointer { wk in
                    iwork.withUnsafeMutableBufferPointer { iw in
                      LAPACKE_dstein_work(
                        layout, Int32(n), dp.baseAddress, ep.baseAddress, Int32(k), wp.baseAddress, bp.baseAddress,
                        sp.baseAddress, zp.baseAddress, Int32(n), wk.baseAddress, iw.baseAddress, fp.baseAddress)
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
    if info < 0 { throw .nonFinite(routine: "dstein") }
    if info > 0 { throw .noConvergence(routine: "dstein", info: Int(info)) }
    if n > 1 {
      try applyQ(to: &z, columns: k)
    }
    // Descending order: column j of the result is dstein's column k − 1 − j.
    let v = [Double](unsafeUninitializedCapacity: n * k) { out, initialized in
      for j in 0..<k {
        let source = (k - 1 - j) * n
        for i in 0..<n { out[i + j * n] = z[source + i] }
      }
      initialized = n * k
    }
    return Matrix(rows: n, cols: k, elements: v)
  }

  /// Z ← Q·Z for the n×`columns` matrix `z` (`dormtr` through its `_work` entry point, with the
  /// workspace from a query as `LAPACKE_dormtr` sizes it, but without LAPACKE's NaN scan of the
  /// n×n reflector block: the reflectors come from `dsytrd` on a checked input).
  private func applyQ(to z: inout [Double], columns: Int) throws(LinearAlgebraError) {
    let n = order
    let info = reflectors.withUnsafeBufferPointer { rp in
      tau.withUnsafeBufferPointer { tp in
        z.withUnsafeMutableBufferPointer { zp -> Int32 in
          var query = 0.0
          let q = LAPACKE_dormtr_work(
            layout, flag("L"), flag("L"), flag("N"), Int32(n), Int32(columns), rp.baseAddress, Int32(n), tp.baseAddress,
            zp.baseAddress, Int32(n), &query, -1)
          if q != 0 { return q }
          let lwork = Swift.max(1, Int(query))
          var work = [Double](repeating: 0, count: lwork)
          return work.withUnsafeMutableBufferPointer { wp in
            LAPACKE_dormtr_work(
              layout, flag("L"), flag("L"), flag("N"), Int32(n), Int32(columns), rp.baseAddress, Int32(n),
              tp.baseAddress, zp.baseAddress, Int32(n), wp.baseAddress, Int32(lwork))
          }
        }
      }
    }
    if info != 0 { throw .lapack(routine: "dormtr", info: Int(info)) }
  }
}
