import LinearAlgebra
import Testing
import TestSupport

/// The fused Gram + reduction and the eigenvectors from known eigenvalues (the rank-recovery kernel).
@Suite struct GramReductionTests {
  /// `SymmetricTridiagonalForm(gramOf:)` is bit-identical to reducing `gram(outer:alpha:)`: same
  /// `dsyrk`, and `dsytrd` reads only the lower triangle that the symmetrising pass leaves alone.
  /// Run at one OpenBLAS thread: tests run concurrently, a study test may change the thread count
  /// between the two routes, and OpenBLAS splits a product differently for another count.
  @Test(arguments: [true, false])
  func gramOfIsBitIdenticalToTheFormedGram(outer: Bool) throws {
    try BLAS.singleThreaded { try compareRoutes(outer: outer) }
  }

  private func compareRoutes(outer: Bool) throws {
    for (rows, cols) in [(17, 29), (29, 17), (40, 40), (1, 3)] {
      let e = randomMatrix(rows, cols, testStream("gram-of-\(outer)", rows))
      let scale = 1 / Double(rows * cols)
      let fused = try SymmetricTridiagonalForm(gramOf: e, outer: outer, scale: scale)
      let formed = try SymmetricTridiagonalForm(e.gram(outer: outer, alpha: scale))
      #expect(fused.order == (outer ? rows : cols))
      #expect(try fused.eigenvalues() == formed.eigenvalues())
      let k = Swift.min(3, fused.order)
      let a = try fused.topEigenpairs(k)
      let b = try formed.topEigenpairs(k)
      #expect(a.values == b.values && a.vectors == b.vectors)
    }
  }

  /// Inverse iteration at the `dsterf` eigenvalues gives orthonormal eigenvectors, A v_j = λ_j v_j,
  /// equal up to sign to `topEigenpairs`' — also for a tight cluster (reorthogonalised by `dstein`).
  @Test(arguments: [false, true])
  func eigenvectorsFromKnownValuesMatchTopEigenpairs(clustered: Bool) throws {
    let n = 40
    var d = [Double](repeating: 0, count: n)
    for j in 0..<n {
      let spread: Double = 4 * Double(n - j) / Double(n) + 0.001 * Double(j % 3)
      let cluster: Double = 5 + 1e-9 * Double(4 - j)
      d[j] = clustered && j < 4 ? cluster : spread
    }
    let q = try randomMatrix(n, n, testStream("dstein-\(clustered)")).singularValueDecomposition().u
    let a = Matrix(rows: n, cols: n) { i, j in q[i, j] * d[j] }.multiplied(by: q, transposeOther: true)
    let form = try SymmetricTridiagonalForm(a)
    let values = try form.eigenvalues()
    for k in [0, 1, 3, 6, n] {
      let v = try form.eigenvectors(forTopValues: Array(values.prefix(k)))
      #expect(v.rows == n && v.cols == k)
      #expect(v.multiplied(by: v, transposeSelf: true).maxAbsDifference(Matrix.identity(k)) < 1e-12)
      for j in 0..<k {
        let av = a.multiplied(byVector: v.column(j))
        #expect(zip(av, v.column(j)).allSatisfy { abs($0 - values[j] * $1) < 1e-11 })
      }
      if !clustered, k > 0 {
        let top = try #require(try form.topEigenpairs(k).vectors)
        for j in 0..<k { #expect(abs(abs(dot(v.column(j), top.column(j))) - 1) < 1e-10) }
      }
    }
    #expect(try SymmetricTridiagonalForm(Matrix([[4]])).eigenvectors(forTopValues: [4]) == Matrix([[1]]))
    let nan = Matrix([[1, 2], [.nan, 1]])
    #expect(throws: LinearAlgebraError.self) { try SymmetricTridiagonalForm(gramOf: nan, outer: true, scale: 1) }
  }
}
