internal import COpenBLAS
import Synchronization

/// Matrix products through OpenBLAS's CBLAS (never a hand-written triple loop).
extension Matrix {
  /// op(A)·op(B), with op(X) = X or Xᵀ, by `dgemm`. Cost 2·m·n·k flops.
  public func multiplied(by b: Matrix, transposeSelf: Bool = false, transposeOther: Bool = false) -> Matrix {
    let m = transposeSelf ? cols : rows
    let k = transposeSelf ? rows : cols
    let kb = transposeOther ? b.cols : b.rows
    let n = transposeOther ? b.rows : b.cols
    precondition(k == kb, "inner dimensions must agree (\(k) vs \(kb))")
    var c = Matrix(rows: m, cols: n)
    if m == 0 || n == 0 || k == 0 { return c }
    elements.withUnsafeBufferPointer { a in
      b.elements.withUnsafeBufferPointer { bp in
        c.elements.withUnsafeMutableBufferPointer { cp in
          cblas_dgemm(
            CblasColMajor, transposeSelf ? CblasTrans : CblasNoTrans, transposeOther ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), 1.0, a.baseAddress, Int32(Swift.max(1, rows)),
            bp.baseAddress, Int32(Swift.max(1, b.rows)), 0.0, cp.baseAddress, Int32(Swift.max(1, m)))
        }
      }
    }
    return c
  }

  public static func * (a: Matrix, b: Matrix) -> Matrix { a.multiplied(by: b) }

  /// The Gram matrix AᵀA (`transpose: false`, cols×cols) or AAᵀ (`transpose: true`, rows×rows),
  /// scaled by `alpha`, by `dsyrk` with both triangles filled. Cost about n²k flops, half of gemm.
  public func gram(outer: Bool = false, alpha: Double = 1) -> Matrix {
    let n = outer ? rows : cols
    let k = outer ? cols : rows
    var c = Matrix(rows: n, cols: n)
    if n == 0 { return c }
    if k > 0 {
      elements.withUnsafeBufferPointer { a in
        c.elements.withUnsafeMutableBufferPointer { cp in
          cblas_dsyrk(
            CblasColMajor, CblasLower, outer ? CblasNoTrans : CblasTrans, Int32(n), Int32(k), alpha,
            a.baseAddress, Int32(Swift.max(1, rows)), 0.0, cp.baseAddress, Int32(n))
        }
      }
    }
    c.symmetrizeFromLower()
    return c
  }

  /// op(A)·x by `dgemv`.
  public func multiplied(byVector x: [Double], transposeSelf: Bool = false) -> [Double] {
    let outCount = transposeSelf ? cols : rows
    precondition(x.count == (transposeSelf ? rows : cols), "vector length must match the matrix")
    var y = [Double](repeating: 0, count: outCount)
    if rows == 0 || cols == 0 { return y }
    elements.withUnsafeBufferPointer { a in
      x.withUnsafeBufferPointer { xp in
        y.withUnsafeMutableBufferPointer { yp in
          cblas_dgemv(
            CblasColMajor, transposeSelf ? CblasTrans : CblasNoTrans, Int32(rows), Int32(cols), 1.0, a.baseAddress,
            Int32(Swift.max(1, rows)), xp.baseAddress, 1, 0.0, yp.baseAddress, 1)
        }
      }
    }
    return y
  }

  /// Copies the lower triangle onto the upper one.
  public mutating func symmetrizeFromLower() {
    precondition(rows == cols, "only a square matrix can be symmetrised")
    let n = rows
    for j in 0..<n { for i in (j + 1)..<Swift.max(j + 1, n) { elements[j + i * n] = elements[i + j * n] } }
  }
}

/// The dot product x·y by `ddot`.
public func dot(_ x: [Double], _ y: [Double]) -> Double {
  precondition(x.count == y.count, "vector lengths must agree")
  return x.withUnsafeBufferPointer { xp in
    y.withUnsafeBufferPointer { yp in cblas_ddot(Int32(x.count), xp.baseAddress, 1, yp.baseAddress, 1) }
  }
}

/// The BLAS library actually serving the products, and its threading.
public enum BLAS {
  /// OpenBLAS's build configuration string (e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Haswell MAX_THREADS=64").
  public static var configuration: String { String(cString: openblas_get_config()) }
  /// The CPU kernel OpenBLAS selected.
  public static var coreName: String { String(cString: openblas_get_corename()) }
  /// Threads OpenBLAS may use inside one call.
  public static var threads: Int { Int(openblas_get_num_threads()) }
  /// Sets OpenBLAS's thread count. A parallel Monte Carlo run sets 1 so cores are not oversubscribed.
  public static func setThreads(_ n: Int) { openblas_set_num_threads(Int32(Swift.max(1, n))) }

  /// Runs `body` with OpenBLAS single-threaded. OpenBLAS splits a product differently for another
  /// thread count, so a replicate is bit-reproducible only at one count: every replicate runs at 1
  /// (inside a parallel run, in a replay, in a test). Scopes nest and may overlap across threads:
  /// the first to begin sets 1 and the last to end restores the previous count.
  public static func singleThreaded<T>(_ body: () throws -> T) rethrows -> T {
    singleThreadScopes.withLock { s in
      if s.depth == 0 {
        s.previous = threads
        setThreads(1)
      }
      s.depth += 1
    }
    defer {
      singleThreadScopes.withLock { s in
        s.depth -= 1
        if s.depth == 0 { setThreads(s.previous) }
      }
    }
    return try body()
  }
}

/// Open `BLAS.singleThreaded` scopes and the thread count to restore after the last.
private let singleThreadScopes = Mutex((depth: 0, previous: 1))
