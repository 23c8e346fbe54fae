import LinearAlgebra

/// Which Gram matrix of the demeaned T×N panel E a `PanelSpectrum` decomposed: the smaller one.
public enum GramSide: String, Sendable {
  /// EE'/(NT), T×T (chosen when T ≤ N).
  case periods
  /// E'E/(NT), N×N (chosen when T > N).
  case units
}

/// The one eigen-decomposition of a demeaned panel that every rank selector and the
/// interactive-fixed-effects fit share (ALGORITHMS §1).
///
/// Construction demeans Y (T×N) as `AdditiveEffects` documents (grand mean, then unit means,
/// then period means computed after the unit step), forms the smaller of EE'/(NT) (T×T) and
/// E'E/(NT) (N×N) with `dsyrk` and computes with `dsyevr` only the top `min(kmax + 5, min(N, T))`
/// eigenvalues μ_1 ≥ μ_2 ≥ … and their eigenvectors. The two Gram matrices share their non-zero
/// eigenvalues, so `eigenvalues` does not depend on the side. The trace tr(EE')/(NT) = ‖E‖²/(NT)
/// is kept, so the mean squared residual of the rank-k principal-components fit,
/// V(k) = Σ_{j>k} μ_j = trace − Σ_{j≤k} μ_j, is exact without a full decomposition.
///
/// `kmax` is capped at `rankBound − 1`, where `rankBound` = min(T − u, N − p) bounds the rank of E
/// (u = 1 when unit means were removed, which makes every column of E sum to zero; p = 1 when
/// period means were removed). For `force = .none` this is the cap min(N, T) − 1 of ALGORITHMS §1;
/// with two-way demeaning and N = T it is min(N, T) − 2. The extra unit keeps V(kmax) > 0 (it is
/// σ̂² of the Bai–Ng criteria and sits under a logarithm) and μ_{kmax+1} a genuine eigenvalue.
///
/// Cost: O(NT) demeaning, about m²·max(N, T) flops for the Gram (m = min(N, T)), about (4/3)m³
/// for the tridiagonal reduction inside `dsyevr`, O(m·(kmax + 5)) more for the wanted pairs.
public struct PanelSpectrum: Sendable {
  /// The additive effects removed.
  public let force: AdditiveEffects
  /// T, the number of periods (rows).
  public let periods: Int
  /// N, the number of units (columns).
  public let units: Int
  /// The largest rank the selectors consider (after the cap described above).
  public let kmax: Int
  /// The grand mean μ.
  public let mu: Double
  /// Unit effects α_i (N; zeros unless `force` removes them).
  public let alpha: [Double]
  /// Period effects ξ_t (T; zeros unless `force` removes them).
  public let xi: [Double]
  /// The demeaned panel E (T×N).
  public let demeaned: Matrix
  /// tr(EE')/(NT) = Σ_all μ_j = V(0).
  public let trace: Double
  /// The decomposition of the smaller Gram matrix.
  let eigen: GramEigen

  /// The top eigenvalues of EE'/(NT), descending: min(kmax + 5, min(N, T)) of them.
  public var eigenvalues: [Double] { eigen.values }
  /// Which Gram matrix was decomposed.
  public var side: GramSide { eigen.side }

  /// Demeans `panel` (T×N, rows = periods) and decomposes it for rank selection up to `kmax`.
  ///
  /// Throws `EstimationError.invalidInput` for non-finite values, kmax < 0, or a panel whose
  /// demeaned rank bound is below 2 (nothing to select); LAPACK failures as `LinearAlgebraError`.
  public init(panel: Matrix, force: AdditiveEffects = .twoWay, kmax: Int = 8) throws {
    guard kmax >= 0 else { throw EstimationError.invalidInput("kmax must be non-negative (got \(kmax))") }
    let bound = force.rankBound(units: panel.cols, periods: panel.rows)
    guard panel.rows >= 2, panel.cols >= 2, bound >= 2 else {
      throw EstimationError.invalidInput(
        "a \(panel.rows)×\(panel.cols) panel is too small for rank selection with force = \(force.rawValue)")
    }
    let cappedKmax = Swift.min(kmax, bound - 1)
    try self.init(
      validating: panel, force: force, kmax: cappedKmax,
      eigenpairs: Swift.min(cappedKmax + 5, Swift.min(panel.rows, panel.cols)))
  }

  /// The shared core: demean, check, decompose the top `eigenpairs`.
  init(validating panel: Matrix, force: AdditiveEffects, kmax: Int, eigenpairs: Int) throws {
    let t = panel.rows
    let n = panel.cols
    guard t >= 2, n >= 2 else {
      throw EstimationError.invalidInput("a panel needs at least 2 periods and 2 units (got T = \(t), N = \(n))")
    }
    let d = DemeanedPanel(panel, force: force)
    guard d.mean.isFinite else { throw EstimationError.invalidInput("the panel holds NaN or infinite values") }
    let nt = Double(n * t)
    let eigen = try GramEigen(of: d.residual, count: eigenpairs)
    self.force = force
    self.periods = t
    self.units = n
    self.kmax = kmax
    self.mu = d.mean
    self.alpha = d.unitEffects
    self.xi = d.periodEffects
    self.demeaned = d.residual
    self.eigen = eigen
    self.trace = dot(d.residual.elements, d.residual.elements) / nt
  }

  /// m = min(N, T).
  public var minDimension: Int { Swift.min(periods, units) }

  /// The upper bound on the rank of the demeaned panel, min(T − u, N − p) (see the type's notes).
  public var rankBound: Int { force.rankBound(units: units, periods: periods) }

  /// V(k) = Σ_{j>k} μ_j = trace − Σ_{j≤k} μ_j, the mean squared residual of the rank-k
  /// principal-components fit; clamped at 0 against rounding. k ≤ `eigenvalues.count`.
  public func meanSquaredResidual(rank k: Int) -> Double {
    precondition(k >= 0 && k <= eigenvalues.count, "V(k) needs the top k eigenvalues (k = \(k))")
    var v = trace
    for j in 0..<k { v -= eigenvalues[j] }
    return Swift.max(v, 0)
  }
}

/// The top eigenpairs of the smaller Gram matrix of a T×N panel E: EE'/(NT) when T ≤ N, else
/// E'E/(NT) (`dsyrk`, then `dsyevr` for the top `count` pairs only).
struct GramEigen: Sendable {
  let side: GramSide
  /// Descending eigenvalues.
  let values: [Double]
  /// The matching eigenvectors (T×count or N×count).
  let vectors: Matrix

  init(of e: Matrix, count: Int) throws {
    side = e.rows <= e.cols ? .periods : .units
    let order = side == .periods ? e.rows : e.cols
    precondition(count >= 0 && count <= order, "cannot ask for \(count) eigenpairs of an order-\(order) matrix")
    if count == 0 {
      values = []
      vectors = Matrix(rows: order, cols: 0)
      return
    }
    let gram = e.gram(outer: side == .periods, alpha: 1 / Double(e.rows * e.cols))
    let eigen = try gram.symmetricEigen(top: count)
    values = eigen.values
    vectors = eigen.vectors ?? Matrix(rows: order, cols: 0)
  }

  /// The factors F (T×r) of the rank-r principal-components fit of `e` (the panel decomposed),
  /// normalised F'F/T = I_r.
  ///
  /// Periods side: F = √T·U_r with U_r the top eigenvectors of EE'/(NT). Units side: with V_r the
  /// top eigenvectors of E'E/(NT), E·V_r = U_r·diag(s_r) by the SVD E = U S V', so F = √T × the
  /// left singular vectors of the T×r matrix E·V_r (a thin SVD, O(Tr²), which also keeps F
  /// orthonormal when some s_j is at rounding level). Both routes give the same column space, hence
  /// the same fit; columns may differ in sign.
  func factors(of e: Matrix, rank r: Int) throws -> Matrix {
    precondition(r <= vectors.cols, "only \(vectors.cols) eigenvectors were computed, not \(r)")
    let scale = Double(e.rows).squareRoot()
    switch side {
    case .periods:
      return scale * vectors.leadingColumns(r)
    case .units:
      if r == 0 { return Matrix(rows: e.rows, cols: 0) }
      return scale * (try e.multiplied(by: vectors.leadingColumns(r)).singularValueDecomposition().u)
    }
  }
}
