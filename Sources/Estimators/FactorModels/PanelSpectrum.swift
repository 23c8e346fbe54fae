import LinearAlgebra

/// Which Gram matrix of the demeaned T×N panel E a `PanelSpectrum` decomposed: the smaller one.
public enum GramSide: String, Sendable {
  /// EE'/(NT), T×T (chosen when T ≤ N).
  case periods
  /// E'E/(NT), N×N (chosen when T > N).
  case units
}

/// The one eigen-decomposition of a demeaned panel that every rank selector and the
/// interactive-fixed-effects fit share (Docs/FactorModels.md §3).
///
/// Construction demeans Y (T×N) as `AdditiveEffects` documents (grand mean, then unit means,
/// then period means computed after the unit step), forms the smaller of EE'/(NT) (T×T) and
/// E'E/(NT) (N×N) with `dsyrk`, reduces it once to tridiagonal form (`dsytrd`, see
/// `SymmetricTridiagonalForm`) and takes its eigenvalues μ_1 ≥ μ_2 ≥ … from the tridiagonal matrix
/// (`dsterf`, O(m²), m = min(N, T)). Eigenvectors are not computed here: a fit at rank r computes
/// just r of them from the same reduction, by inverse iteration at these eigenvalues (`dstein` +
/// `dormtr`). The two Gram matrices share their
/// non-zero eigenvalues, so `eigenvalues` does not depend on the side. The trace
/// tr(EE')/(NT) = ‖E‖²/(NT) is kept, and the mean squared residual of the rank-k fit is
/// V(k) = Σ_{j>k} μ_j = trace − Σ_{j≤k} μ_j.
///
/// (The selectors need only the top kmax + 5 eigenvalues. All m are kept because, measured at
/// N = T = 100 (release, one thread, 2026-12), `dsterf` yields all 100 in 0.11 ms, faster than
/// any partial or alternative method: the top 13 without vectors by `dstemr` (bisection) 0.39 ms,
/// by `dsyevr` 0.46 ms including its own reduction, and all 100 by dqds (`dstemr`, RANGE = 'A')
/// 0.22 ms. The fit then reuses these eigenvalues for its r eigenvectors, see `GramEigen`.)
///
/// `kmax` is capped at `rankBound − 1`, where `rankBound` = min(T − u, N − p) bounds the rank of E
/// (u = 1 when unit means were removed, which makes every column of E sum to zero; p = 1 when
/// period means were removed). For `force = .none` this is the usual cap min(N, T) − 1;
/// with two-way demeaning and N = T it is min(N, T) − 2. The extra unit keeps V(kmax) > 0 (it is
/// σ̂² of the Bai–Ng criteria and sits under a logarithm) and μ_{kmax+1} a genuine eigenvalue.
///
/// Cost: O(NT) demeaning (three sweeps, no temporary panel), about m²·max(N, T) flops for the
/// Gram (`dsyrk` straight into the buffer `dsytrd` reduces), about (4/3)m³ for `dsytrd`, O(m²)
/// for the eigenvalues. N = T = 100 (release, one thread): about 0.30 ms, of which Gram +
/// reduction 0.16 ms, `dsterf` 0.11 ms, demeaning and trace 0.03 ms (`study bench --only
/// rank-recovery`).
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
  /// All m = min(N, T) eigenvalues of EE'/(NT), descending.
  public let eigenvalues: [Double]
  /// tr(EE')/(NT) = ‖E‖²/(NT) = V(0).
  public let trace: Double
  /// The reduced Gram matrix (nil only inside a rank-0 fit, which needs none).
  let gram: GramEigen?

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
    try self.init(validating: panel, force: force, kmax: Swift.min(kmax, bound - 1), purpose: .selection)
  }

  /// What the decomposition is for: selection needs the eigenvalues; a fit at rank r > 0 only the
  /// reduction (its r eigenpairs come later); a rank-0 fit nothing.
  enum Purpose { case selection, fit, none }

  /// The shared core: check, demean, reduce.
  init(validating panel: Matrix, force: AdditiveEffects, kmax: Int, purpose: Purpose) throws {
    let t = panel.rows
    let n = panel.cols
    guard t >= 2, n >= 2 else {
      throw EstimationError.invalidInput("a panel needs at least 2 periods and 2 units (got T = \(t), N = \(n))")
    }
    let d = DemeanedPanel(panel, force: force)
    guard d.mean.isFinite else { throw EstimationError.invalidInput("the panel holds NaN or infinite values") }
    let gram = purpose == .none ? nil : try GramEigen(of: d.residual)
    self.force = force
    self.periods = t
    self.units = n
    self.kmax = kmax
    self.mu = d.mean
    self.alpha = d.unitEffects
    self.xi = d.periodEffects
    self.demeaned = d.residual
    self.eigenvalues = purpose == .selection ? try gram?.form.eigenvalues() ?? [] : []
    self.trace = dot(d.residual.elements, d.residual.elements) / Double(n * t)
    self.gram = gram
  }

  /// m = min(N, T).
  public var minDimension: Int { Swift.min(periods, units) }

  /// The upper bound on the rank of the demeaned panel, min(T − u, N − p) (see the type's notes).
  public var rankBound: Int { force.rankBound(units: units, periods: periods) }

  /// Which Gram matrix was decomposed.
  public var side: GramSide { GramEigen.side(periods: periods, units: units) }

  /// V(k) = Σ_{j>k} μ_j = trace − Σ_{j≤k} μ_j, the mean squared residual of the rank-k
  /// principal-components fit; clamped at 0 against rounding. 0 ≤ k ≤ m.
  public func meanSquaredResidual(rank k: Int) -> Double {
    precondition(k >= 0 && k <= eigenvalues.count, "V(k) needs the top k eigenvalues (k = \(k))")
    var v = trace
    for j in 0..<k { v -= eigenvalues[j] }
    return Swift.max(v, 0)
  }
}

/// The smaller Gram matrix of a T×N panel E — EE'/(NT) when T ≤ N, else E'E/(NT) (`dsyrk`) —
/// reduced to tridiagonal form once (`dsytrd`).
struct GramEigen: Sendable {
  let side: GramSide
  let form: SymmetricTridiagonalForm

  static func side(periods t: Int, units n: Int) -> GramSide { t <= n ? .periods : .units }

  init(of e: Matrix) throws {
    side = Self.side(periods: e.rows, units: e.cols)
    form = try SymmetricTridiagonalForm(gramOf: e, outer: side == .periods, scale: 1 / Double(e.rows * e.cols))
  }

  /// The top r eigenvalues (VNT) and the factors F (T×r) of the rank-r principal-components fit
  /// of `e` (the panel that was decomposed), normalised F'F/T = I_r.
  ///
  /// Periods side: F = √T·U_r with U_r the top eigenvectors of EE'/(NT). Units side: with V_r the
  /// top eigenvectors of E'E/(NT), E·V_r = U_r·diag(s_r) by the SVD E = U S V', so F = √T × the
  /// left singular vectors of the T×r matrix E·V_r (a thin SVD, O(Tr²), which also keeps F
  /// orthonormal when some s_j is at rounding level). Both routes give the same column space, hence
  /// the same fit; columns may differ in sign.
  ///
  /// `known`, when given, holds the eigenvalues already computed from this reduction (descending,
  /// at least r of them, e.g. `PanelSpectrum.eigenvalues`): then the r eigenvectors come by inverse
  /// iteration (`eigenvectors(forTopValues:)`) instead of `dstemr`, which would locate the same r
  /// eigenvalues again by bisection.
  func factors(of e: Matrix, rank r: Int, known: [Double] = []) throws -> (values: [Double], f: Matrix) {
    if r == 0 { return ([], Matrix(rows: e.rows, cols: 0)) }
    let values: [Double]
    let vectors: Matrix
    if known.count >= r {
      values = Array(known.prefix(r))
      vectors = try form.eigenvectors(forTopValues: values)
    } else {
      let top = try form.topEigenpairs(r)
      values = top.values
      vectors = top.vectors ?? Matrix(rows: form.order, cols: 0)
    }
    let scale = Double(e.rows).squareRoot()
    switch side {
    case .periods:
      return (values, scale * vectors)
    case .units:
      return (values, scale * (try e.multiplied(by: vectors).singularValueDecomposition().u))
    }
  }
}
