import LinearAlgebra

/// The few principal-components steps of interactive fixed effects (Bai 2009) that the
/// C-Lasso-IFE needs, kept small and local to this folder (the foundation's general
/// `InteractiveFixedEffects` is written separately; the two may later be unified).
///
/// Normalisation: F̂'F̂/T = I_R and Λ̂ = E'F̂/T, so F̂Λ̂' is the best rank-R approximation of E.
enum FactorSteps {
  /// F̂ = √T × the top-R eigenvectors of EE'/(NT) for residuals E (T×N): the minimiser of
  /// Σ_i ‖M_F e_i‖² over F with F'F/T = I. `dsyrk` for EE' and `dsyevr` for the top R pairs only;
  /// O(T²N + T²R). R = 0 gives a T×0 matrix (M_F = I).
  static func factors(_ e: Matrix, count r: Int) throws -> Matrix {
    let t = e.rows
    if r == 0 { return Matrix(rows: t, cols: 0) }
    let eig = try e.gram(outer: true, alpha: 1 / Double(e.rows * e.cols)).symmetricEigen(top: r)
    guard let v = eig.vectors, v.cols == r else {
      throw EstimationError.numerical("the residual covariance has fewer than \(r) eigenvectors")
    }
    return Double(t).squareRoot() * v
  }

  /// M_F A = A − F(F'A)/T for any T-row matrix A (two `dgemm`s, O(T·cols·R)).
  static func annihilate(_ a: Matrix, _ f: Matrix) -> Matrix {
    if f.cols == 0 { return a }
    let fa = f.multiplied(by: a, transposeSelf: true)
    return a - (1 / Double(f.rows)) * f.multiplied(by: fa)
  }

  /// Λ̂ = E'F̂/T (N×R).
  static func loadings(_ e: Matrix, _ f: Matrix) -> Matrix {
    (1 / Double(f.rows)) * e.multiplied(by: f, transposeSelf: true)
  }

  /// The panel with y and x replaced by M_F y and M_F x.
  static func project(_ data: SlopePanel, _ f: Matrix) -> SlopePanel {
    SlopePanel(unchecked: annihilate(data.y, f), x: annihilate(data.x, f), regressors: data.regressors)
  }
}
