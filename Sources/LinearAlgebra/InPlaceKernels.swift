internal import COpenBLAS
internal import CLAPACKE

/// BLAS/LAPACK kernels on caller-owned column-major buffers, for inner loops that must not allocate
/// (e.g. a likelihood evaluated hundreds of times on the same workspace).
///
/// Every matrix argument is a base pointer plus a leading dimension `ld` (the distance between
/// columns, ≥ the row count), so sub-blocks of a larger buffer can be passed directly. Only the
/// triangle named in each routine is read or written. Dimensions are the caller's responsibility
/// (checked by `precondition`); numerical failures are thrown, as everywhere in this module.
public enum InPlace {
  /// Lower Cholesky factor in place: A = L·Lᵀ on the leading n×n block (LAPACK `dpotrf`, via the
  /// `_work` entry point that skips LAPACKE's O(n²) NaN scan). Reads and overwrites the lower
  /// triangle only. Cost n³/3 flops. Throws `.notPositiveDefinite(order:)` with the order of the
  /// first leading minor that is not positive.
  public static func choleskyLower(_ a: UnsafeMutablePointer<Double>, n: Int, ld: Int) throws(LinearAlgebraError) {
    precondition(n >= 0 && ld >= Swift.max(1, n), "leading dimension must be at least the order")
    if n == 0 { return }
    let info = LAPACKE_dpotrf_work(Int32(LAPACK_COL_MAJOR), CChar(UInt8(ascii: "L")), Int32(n), a, Int32(ld))
    if info > 0 { throw .notPositiveDefinite(order: Int(info)) }
    if info < 0 { throw .lapack(routine: "dpotrf", info: Int(info)) }
  }

  /// (L·Lᵀ)⁻¹ in place from a lower Cholesky factor L (LAPACK `dpotri`); on return the lower
  /// triangle holds the inverse (the upper triangle is untouched). Used for covariance matrices
  /// that are an output in their own right, never to solve a system.
  public static func inverseFromCholeskyLower(
    _ l: UnsafeMutablePointer<Double>, n: Int, ld: Int
  ) throws(LinearAlgebraError) {
    precondition(n >= 0 && ld >= Swift.max(1, n), "leading dimension must be at least the order")
    if n == 0 { return }
    let info = LAPACKE_dpotri_work(Int32(LAPACK_COL_MAJOR), CChar(UInt8(ascii: "L")), Int32(n), l, Int32(ld))
    if info > 0 { throw .singular(routine: "dpotri", index: Int(info)) }
    if info < 0 { throw .lapack(routine: "dpotri", info: Int(info)) }
  }

  /// Triangular solve with a lower-triangular n×n L, in place on the vector x (BLAS `dtrsv`):
  /// x ← L⁻¹x, or x ← L⁻ᵀx when `transpose`. Cost n² flops.
  public static func solveLower(
    _ l: UnsafePointer<Double>, n: Int, ld: Int, _ x: UnsafeMutablePointer<Double>, transpose: Bool
  ) {
    precondition(n >= 0 && ld >= Swift.max(1, n), "leading dimension must be at least the order")
    if n == 0 { return }
    cblas_dtrsv(
      CblasColMajor, CblasLower, transpose ? CblasTrans : CblasNoTrans, CblasNonUnit, Int32(n), l, Int32(ld), x, 1)
  }

  /// Triangular solve with several right-hand sides (BLAS `dtrsm`) for a lower-triangular L:
  /// on the left, B ← L⁻¹B (B is order×count); on the right, B ← B·L⁻ᵀ (B is count×order).
  public static func solveLower(
    _ l: UnsafePointer<Double>, order: Int, ldl: Int, _ b: UnsafeMutablePointer<Double>, count: Int, ldb: Int,
    fromLeft: Bool
  ) {
    if order == 0 || count == 0 { return }
    cblas_dtrsm(
      CblasColMajor, fromLeft ? CblasLeft : CblasRight, CblasLower, fromLeft ? CblasNoTrans : CblasTrans, CblasNonUnit,
      Int32(fromLeft ? order : count), Int32(fromLeft ? count : order), 1.0, l, Int32(ldl), b, Int32(ldb))
  }

  /// Triangular product with a lower-triangular T (BLAS `dtrmm`): on the left, B ← Tᵀ·B (B is
  /// order×count); on the right, B ← B·T (B is count×order). These are exactly the two ways a
  /// relative covariance factor Λ = I ⊗ T acts on a block of a cross-product matrix.
  public static func multiplyLower(
    _ t: UnsafePointer<Double>, order: Int, ldt: Int, _ b: UnsafeMutablePointer<Double>, count: Int, ldb: Int,
    fromLeft: Bool
  ) {
    if order == 0 || count == 0 { return }
    cblas_dtrmm(
      CblasColMajor, fromLeft ? CblasLeft : CblasRight, CblasLower, fromLeft ? CblasTrans : CblasNoTrans, CblasNonUnit,
      Int32(fromLeft ? order : count), Int32(fromLeft ? count : order), 1.0, t, Int32(ldt), b, Int32(ldb))
  }
}
