import LinearAlgebra

/// The principal-components steps of interactive fixed effects (Bai 2009) that the C-Lasso-IFE
/// needs, on top of the foundation's `InteractiveFixedEffects` kernels.
///
/// Normalisation: F̂'F̂/T = I_R and Λ̂ = E'F̂/T, so F̂Λ̂' is the best rank-R approximation of E.
enum FactorSteps {
  /// F̂ = √T × the top-R eigenvectors of EE'/(NT) for residuals E (T×N), normalised F̂'F̂/T = I_R:
  /// the minimiser of Σ_i ‖M_F e_i‖². The foundation's principal-components step (one Gram, its
  /// tridiagonal form, R eigenvectors); R = 0 gives a T×0 matrix (M_F = I).
  static func factors(_ e: Matrix, count r: Int) throws -> Matrix {
    try InteractiveFixedEffects.principalComponents(e, rank: r).f
  }

  /// M_F A = A − F(F'A)/T for any T-row matrix A (two `dgemm`s, O(T·cols·R)).
  static func annihilate(_ a: Matrix, _ f: Matrix) -> Matrix {
    if f.cols == 0 { return a }
    let fa = f.multiplied(by: a, transposeSelf: true)
    return a - (1 / Double(f.rows)) * f.multiplied(by: fa)
  }

  /// The panel with y and x replaced by M_F y and M_F x.
  static func project(_ data: SlopePanel, _ f: Matrix) -> SlopePanel {
    SlopePanel(unchecked: annihilate(data.y, f), x: annihilate(data.x, f), regressors: data.regressors, names: data.regressorNames)
  }

  /// Heterogeneous slopes with common factors, the start of the interactive-effects fits: β_i from
  /// unit-by-unit OLS, then alternate F̂ ← `factors` of the residuals ỹ_i − X̃_iβ_i and
  /// β_i ← OLS of M_F̂ỹ_i on M_F̂X̃_i, until the relative change of β is below `tolerance` (at most
  /// `maxIterations` rounds). Returns β (N·p), the factors at the final β, and the rounds taken.
  /// Needs T − 1 − R ≥ p on demeaned data.
  static func heterogeneousStart(_ data: SlopePanel, factors r: Int, tolerance: Double, maxIterations: Int) throws
    -> (beta: [Double], factors: Matrix, rounds: Int)
  {
    var beta = try GroupedSlopes.unitLeastSquares(data)
    var rounds = 0
    while rounds < maxIterations {
      rounds += 1
      let f = try factors(GroupedSlopes.residuals(data, slopes: beta), count: r)
      let next = try GroupedSlopes.unitLeastSquares(project(data, f))
      let change = relativeChange(next, beta)
      beta = next
      if change < tolerance { break }
    }
    return (beta, try factors(GroupedSlopes.residuals(data, slopes: beta), count: r), rounds)
  }
}
