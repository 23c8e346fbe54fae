import LinearAlgebra
import Testing
import TestSupport

@Suite struct SymmetricTridiagonalTests {
  /// A = Q diag(d) Qᵀ with Q orthogonal (left singular vectors of a random matrix): a known spectrum.
  private func matrix(_ d: [Double], _ name: String) throws -> (a: Matrix, q: Matrix) {
    let n = d.count
    let q = try randomMatrix(n, n, testStream(name)).singularValueDecomposition().u
    let qd = Matrix(rows: n, cols: n) { i, j in q[i, j] * d[j] }
    return (qd.multiplied(by: q, transposeOther: true), q)
  }

  @Test func eigenvaluesAndTopEigenvectorsMatchTheKnownSpectrum() throws {
    let d: [Double] = (0..<30).map { (j: Int) -> Double in 10 * Double(30 - j) / 30 + Double(j % 3) * 0.01 }  // distinct, descending
    let (a, q) = try matrix(d, "tridiagonal")
    let form = try SymmetricTridiagonalForm(a)
    #expect(form.order == 30)
    let all = try form.eigenvalues()
    #expect(zip(all, d).allSatisfy { abs($0 - $1) < 1e-12 })
    for k in [0, 1, 5, 30] {
      let top = try form.topEigenpairs(k)
      #expect(top.values.count == k)
      #expect(zip(top.values, d).allSatisfy { abs($0 - $1) < 1e-12 })
      let v = try #require(top.vectors)
      #expect(v.rows == 30 && v.cols == k)
      // Orthonormal, each column ±q_j, and A v_j = λ_j v_j.
      #expect(v.multiplied(by: v, transposeSelf: true).maxAbsDifference(Matrix.identity(k)) < 1e-12)
      for j in 0..<k {
        #expect(abs(abs(dot(v.column(j), q.column(j))) - 1) < 1e-10)
        let av = a.multiplied(byVector: v.column(j))
        #expect(zip(av, v.column(j)).allSatisfy { abs($0 - top.values[j] * $1) < 1e-11 })
      }
      #expect(try form.topEigenpairs(k, vectors: false).vectors == nil)
    }
  }

  @Test func tinyAndNonFiniteMatrices() throws {
    let one = try SymmetricTridiagonalForm(Matrix([[4]]))
    #expect(try one.eigenvalues() == [4])
    #expect(try one.topEigenpairs(1).vectors == Matrix([[1]]))
    #expect(try SymmetricTridiagonalForm(Matrix(rows: 0, cols: 0)).eigenvalues().isEmpty)
    #expect(throws: LinearAlgebraError.self) { try SymmetricTridiagonalForm(Matrix([[1, .nan], [.nan, 1]])) }
  }
}
