import Foundation
import LinearAlgebra
import Testing
import TestSupport

@Suite struct ProductTests {
  @Test func gemmMatchesHandComputedProduct() {
    let a = Matrix([[1, 2, 3], [4, 5, 6]])
    let b = Matrix([[7, 8], [9, 10], [11, 12]])
    #expect(a * b == Matrix([[58, 64], [139, 154]]))
    #expect(a.multiplied(by: a, transposeOther: true) == Matrix([[14, 32], [32, 77]]))
    #expect(a.multiplied(by: a, transposeSelf: true) == Matrix([[17, 22, 27], [22, 29, 36], [27, 36, 45]]))
  }

  @Test func gramEqualsTransposedProduct() {
    let a = randomMatrix(7, 4, testStream("gram"))
    #expect(a.gram().maxAbsDifference(a.transposed * a) < 1e-12)
    #expect(a.gram(outer: true, alpha: 0.5).maxAbsDifference(0.5 * (a * a.transposed)) < 1e-12)
  }

  @Test func gemvAndDot() {
    let a = Matrix([[1, 2], [3, 4], [5, 6]])
    #expect(a.multiplied(byVector: [1, -1]) == [-1, -1, -1])
    #expect(a.multiplied(byVector: [1, 0, 1], transposeSelf: true) == [6, 8])
    #expect(dot([1, 2, 3], [4, 5, 6]) == 32)
  }

  /// GSL and LAPACKE must both resolve CBLAS to OpenBLAS, never to GSL's slow reference `gslcblas`
  /// (which `pkg-config gsl` would link first). Debian's `libgsl.so.27` itself lists `libgslcblas.so.0`
  /// as NEEDED, so that library is loaded; what matters is that the global lookup scope, which binds
  /// GSL's and LAPACKE's calls, finds OpenBLAS first because our binary links it directly.
  @Test func openBLASServesBLAS() throws {
    #expect(BLAS.configuration.contains("OpenBLAS"))
    // The process-wide cblas_dgemm (what GSL and LinearAlgebra call) is OpenBLAS's own ...
    let global = try #require(dlsym(UnsafeMutableRawPointer(bitPattern: 0), "cblas_dgemm"))  // RTLD_DEFAULT
    let openblas = try #require(dlopen("libopenblas.so.0", RTLD_LAZY | RTLD_NOLOAD))
    #expect(global == dlsym(openblas, "cblas_dgemm"))
    // ... and the file mapped at its address is OpenBLAS.
    let file = try mappedFile(at: global)
    #expect(file?.contains("openblas") == true, "cblas_dgemm is mapped from \(file ?? "nothing")")
    if let gslcblas = dlopen("libgslcblas.so.0", RTLD_LAZY | RTLD_NOLOAD),
      let reference = dlsym(gslcblas, "cblas_dgemm")
    {
      #expect(global != reference)
      #expect(try mappedFile(at: reference)?.contains("libgslcblas") == true)  // the lookup tells them apart
    }
  }

  /// The file `/proc/self/maps` shows mapped at `address`. Read to the end through FileHandle:
  /// `String(contentsOfFile:)` stops at procfs's first short read (about 4 KB), which with many test
  /// threads' stacks mapped ends before the shared libraries.
  private func mappedFile(at address: UnsafeMutableRawPointer) throws -> String? {
    let maps = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/proc/self/maps")).readToEnd() ?? Data()
    let target = UInt(bitPattern: address)
    let line = String(decoding: maps, as: UTF8.self).split(separator: "\n").first { line in
      let range = line.prefix { $0 != " " }.split(separator: "-").compactMap { UInt($0, radix: 16) }
      return range.count == 2 && range[0] <= target && target < range[1]
    }
    return line.map { String($0.split(separator: " ").last ?? "") }
  }
}

@Suite struct DecompositionTests {
  /// A known spectrum: Q diag(d) Qᵀ with Q orthogonal from a QR of a random matrix.
  private func matrixWithSpectrum(_ d: [Double], _ name: String) throws -> (Matrix, Matrix) {
    let n = d.count
    let q = try randomMatrix(n, n, testStream(name)).singularValueDecomposition().u
    var qd = q
    for j in 0..<n { for i in 0..<n { qd[i, j] *= d[j] } }
    return (qd.multiplied(by: q, transposeOther: true), q)
  }

  @Test func fullEigenRecoversKnownSpectrum() throws {
    let d = [9.0, 5, 3, 2, 1, 0.5]
    let (a, _) = try matrixWithSpectrum(d, "eigen-full")
    let e = try a.symmetricEigen()
    for (x, y) in zip(e.values, d) { #expect(abs(x - y) < 1e-12) }
    let v = e.vectors!
    #expect(v.gram().maxAbsDifference(.identity(6)) < 1e-12)
    // A v_j = d_j v_j
    let av = a * v
    for j in 0..<6 { for i in 0..<6 { #expect(abs(av[i, j] - d[j] * v[i, j]) < 1e-11) } }
  }

  @Test func topEigenMatchesFullDecomposition() throws {
    let a = randomMatrix(40, 25, testStream("eigen-top")).gram(outer: true)
    let full = try a.symmetricEigen()
    let top = try a.symmetricEigen(top: 5)
    for j in 0..<5 {
      #expect(close(top.values[j], full.values[j], 1e-11))
      // Eigenvectors agree up to sign.
      let c = dot(top.vectors!.column(j), full.vectors!.column(j))
      #expect(abs(abs(c) - 1) < 1e-9)
    }
    let valuesOnly = try a.symmetricEigen(top: 3, vectors: false)
    #expect(valuesOnly.vectors == nil && valuesOnly.values.count == 3)
  }

  @Test func choleskySolvesAndDeterminant() throws {
    // A = [[4, 2], [2, 3]]: det 8, A⁻¹ = [[3, −2], [−2, 4]]/8.
    let a = Matrix([[4, 2], [2, 3]])
    let c = try Cholesky(a)
    #expect(c.lower.maxAbsDifference(Matrix([[2, 0], [1, 2.0.squareRoot()]])) < 1e-15)
    #expect(abs(c.logDeterminant - log(8)) < 1e-14)
    #expect(try c.inverse().maxAbsDifference(0.125 * Matrix([[3, -2], [-2, 4]])) < 1e-15)
    let x = try c.solve([2, 1])  // [[4,2],[2,3]] x = [2,1] → x = [0.5, 0]
    #expect(abs(x[0] - 0.5) < 1e-15 && abs(x[1]) < 1e-15)
  }

  @Test func choleskyOfIndefiniteMatrixThrowsInsteadOfTrapping() {
    #expect(throws: LinearAlgebraError.notPositiveDefinite(order: 2)) { try Cholesky(Matrix([[1, 2], [2, 1]])) }
    #expect(throws: LinearAlgebraError.nonFinite(routine: "dpotrf")) { try Cholesky(Matrix([[.nan, 0], [0, 1]])) }
  }

  @Test func leastSquaresRecoversExactFit() throws {
    // y = 1 + 2x exactly.
    let x = Matrix([[1, 0], [1, 1], [1, 2], [1, 3]])
    let b = try x.leastSquares([1, 3, 5, 7])
    #expect(abs(b[0] - 1) < 1e-13 && abs(b[1] - 2) < 1e-13)
    // Normal equations hold for a noisy fit: Xᵀ(y − Xb) = 0.
    let rng = testStream("lstsq")
    let z = randomMatrix(30, 4, rng)
    let y = rng.normals(30)
    let bz = try z.leastSquares(y)
    let fitted = z.multiplied(byVector: bz)
    let r = zip(y, fitted).map { $0 - $1 }
    for g in z.multiplied(byVector: r, transposeSelf: true) { #expect(abs(g) < 1e-12) }
    #expect(throws: LinearAlgebraError.singular(routine: "dgels", index: 2)) {
      try Matrix([[1, 2], [1, 2], [1, 2]]).leastSquares([1, 2, 3])
    }
  }

  @Test func svdReconstructsAndMatchesEigenvalues() throws {
    let a = randomMatrix(9, 5, testStream("svd"))
    let (u, s, vt) = try a.singularValueDecomposition()
    var us = u
    for j in 0..<5 { for i in 0..<9 { us[i, j] *= s[j] } }
    #expect((us * vt).maxAbsDifference(a) < 1e-12)
    let eig = try a.gram().symmetricEigen(vectors: false).values
    for j in 0..<5 { #expect(close(s[j] * s[j], eig[j], 1e-12)) }
  }
}
