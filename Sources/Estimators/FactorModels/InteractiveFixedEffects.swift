import Foundation
import LinearAlgebra

/// The interactive-fixed-effects model (Bai 2009) with optional additive effects:
///
///     Y_ti = μ + α_i + ξ_t + X_ti'β + λ_i'F_t + ε_ti,   r factors,
///
/// where `force` says which additive effects (α, ξ) are removed (Docs/FactorModels.md §2) and,
/// with `force = .none`, `intercept` says what μ is: the grand mean (fect), a free coefficient
/// (regife, InteractiveFixedEffectModels.jl) or 0 (`InterceptConvention`, Docs/FactorModels.md §5a).
///
/// Without covariates the fit is exact (no iteration): demean Y (see `AdditiveEffects`) to E, then
/// take the rank-r principal-components fit of E from the top eigenpairs of the smaller of
/// EE'/(NT) and E'E/(NT). One normalisation is used throughout: **F'F/T = I_r and Λ = E'F/T**, so
/// FΛ' = FF'E/T is the projection of E on the factor space, Λ'Λ/N = diag(VNT) and VNT holds the
/// top r eigenvalues of EE'/(NT).
///
/// With covariates β is estimated by the Bai (2009) iteration on the demeaned data (see
/// `fit(_:covariates:)`).
public struct InteractiveFixedEffects: Sendable {
  /// r, the number of factors.
  public var rank: Int
  /// The additive effects removed before the factor fit.
  public var force: AdditiveEffects
  /// What μ is when `force = .none` (ignored otherwise: the additive effects contain it).
  public var intercept: InterceptConvention
  /// Relative tolerance of the Bai (2009) iteration, on β and on the objective.
  public var tolerance: Double
  /// Iteration cap of the Bai (2009) iteration (per start).
  public var maxIterations: Int

  public init(
    rank: Int, force: AdditiveEffects = .twoWay, intercept: InterceptConvention = .grandMean, tolerance: Double = 1e-10,
    maxIterations: Int = 1000
  ) {
    self.rank = rank
    self.force = force
    self.intercept = intercept
    self.tolerance = tolerance
    self.maxIterations = maxIterations
  }

  /// Whether the panels are centred before the factor fit: always with additive effects, and with
  /// `force = .none` under the grand-mean convention. Otherwise μ is free (a column of ones in the
  /// Bai iteration) or omitted, and the raw panels are used.
  var centred: Bool { force != .none || intercept == .grandMean }

  // MARK: No covariates

  /// The exact rank-r fit of a T×N panel without covariates: one Gram matrix, its tridiagonal
  /// reduction and only the top r eigenpairs. With a free intercept (`force = .none`) μ has to be
  /// estimated jointly with the factors, so this is the Bai iteration with the column of ones as
  /// the only regressor (`fit(_:covariates:)` with none); with the intercept omitted it is the
  /// exact rank-r fit of the raw panel.
  ///
  /// Throws `EstimationError.invalidInput` for non-finite values, T or N below 2, r < 0,
  /// r ≥ min(N, T), r at or above the rank bound of the demeaned panel, or no residual degrees of
  /// freedom (NT − np ≤ 0).
  public func fit(_ y: Matrix) throws -> IFEFit {
    guard centred else { return try fit(y, covariates: []) }
    try Self.checkRank(rank, periods: y.rows, units: y.cols, force: force, covariates: 0)
    let spectrum = try PanelSpectrum(validating: y, force: force, kmax: 0, purpose: rank == 0 ? .none : .fit)
    return try Self.fit(spectrum: spectrum, rank: rank)
  }

  /// The exact rank-r fit reusing a spectrum's demeaning and tridiagonal reduction (the force is
  /// the spectrum's): only the r eigenvectors are computed here, by inverse iteration at the
  /// spectrum's eigenvalues (`dstein` + `dormtr`, O(m²r)); VNT is the spectrum's top r eigenvalues.
  /// Any r allowed by `fit(_:)` works, also above `kmax` (r beyond the spectrum's eigenvalues, as in
  /// a spectrum built for a fit, falls back to `dstemr`). Same result as `fit(_:)` up to rounding
  /// and the signs of the factors.
  public static func fit(spectrum s: PanelSpectrum, rank r: Int) throws -> IFEFit {
    try checkRank(r, periods: s.periods, units: s.units, force: s.force, covariates: 0)
    let t = s.periods
    let n = s.units
    let e = s.demeaned
    let (vnt, f) =
      r == 0
      ? ([], Matrix(rows: t, cols: 0)) : try (s.gram ?? GramEigen(of: e)).factors(of: e, rank: r, known: s.eigenvalues)
    let lambda = loadings(e, f)
    var fitted = f.multiplied(by: lambda, transposeOther: true)  // FΛ', completed in place below
    var residuals = e
    let alpha = s.alpha
    let xi = s.xi
    fitted.elements.withUnsafeMutableBufferPointer { fp in
      residuals.elements.withUnsafeMutableBufferPointer { rp in
        for i in 0..<n {
          let base = i * t
          let level = s.mu + alpha[i]
          for p in 0..<t {
            let c = fp[base + p]
            rp[base + p] -= c
            fp[base + p] = c + level + xi[p]
          }
        }
      }
    }
    let ssr = dot(residuals.elements, residuals.elements)
    return IFEFit(
      rank: r, force: s.force, intercept: .grandMean, mu: s.mu, alpha: s.alpha, xi: s.xi, factors: f,
      loadings: lambda, vnt: vnt, fitted: fitted, residuals: residuals, ssr: ssr, covariates: 0,
      estimates: [], covariance: nil, droppedCovariates: [], summary: .exact)
  }

  /// The exact rank-r fit of the raw panel (`force = .none`, intercept omitted, no covariates):
  /// Y ≈ FΛ', nothing removed, with the normalisation of `fit(spectrum:rank:)`.
  func uncentredFit(_ y: Matrix, design: PanelDesign) throws -> IFEFit {
    try Self.checkRank(rank, periods: y.rows, units: y.cols, force: .none, intercept: .omitted, covariates: 0)
    let (vnt, f) = try Self.principalComponents(y, rank: rank)
    let lambda = Self.loadings(y, f)
    let fitted = f.multiplied(by: lambda, transposeOther: true)
    let residuals = y - fitted
    return IFEFit(
      rank: rank, force: .none, intercept: .omitted, mu: 0, alpha: design.outcome.unitEffects,
      xi: design.outcome.periodEffects, factors: f, loadings: lambda, vnt: vnt, fitted: fitted, residuals: residuals,
      ssr: dot(residuals.elements, residuals.elements), covariates: 0,
      estimates: design.estimates(beta: [], covariance: Matrix(rows: 0, cols: 0)), covariance: nil,
      droppedCovariates: design.dropped,
      summary: FitSummary(message: design.dropMessage))
  }

  // MARK: Covariates

  /// The Bai (2009) interactive-fixed-effects estimator of β with covariates X_k (each T×N).
  ///
  /// Y and every X_k are demeaned by `force`; a covariate left without variation is dropped (see
  /// `DroppedCovariate`). With `force = .none` and a free intercept nothing is demeaned and a column
  /// of ones joins the regressors (its coefficient is μ, reported as "(Intercept)" after the slopes);
  /// with the intercept omitted the raw panels are used as they are. On the (demeaned) data,
  /// starting from the within estimator (the least squares of ỹ on X̃), iterate
  ///
  ///     F ← √T × top-r eigenvectors of (1/NT) Σ_i (Y_i − X_iβ)(Y_i − X_iβ)'
  ///     β ← (Σ_i X_i'M_F X_i)⁻¹ Σ_i X_i'M_F Y_i,   M_F = I − FF'/T,
  ///
  /// each step exactly minimising SSR(β, F, Λ) over one block, so the concentrated objective
  /// SSR/(NT) never rises. Stop when ‖Δβ‖ ≤ tol·max(1, ‖β‖) and |Δobjective| ≤ tol·objective
  /// (tol = `tolerance`, 1e-10) or after `maxIterations` updates (reported as not converged in the
  /// `FitSummary`, not thrown). Against local minima (they occur, e.g. in the Bai design at
  /// N = T = 50) the iteration is rerun from the pooled-OLS β and the run with the lower objective
  /// is kept (the within run when the two agree to 1e-8 relative); the message reports both runs.
  /// With `force = .none` the two starts coincide and one run is made.
  ///
  /// With the converged F, Λ and a_ik = λ_i'(Λ'Λ/N)⁻¹λ_k, Bai's (2009) homoskedastic variance is
  ///
  ///     D = (1/NT) Σ_i X_i'M_F X_i − (1/(N²T)) Σ_i Σ_k a_ik X_i'M_F X_k,
  ///     Var(β̂) = σ̂² D⁻¹/(NT),   σ̂² = SSR/(NT − (N+T)r − K),
  ///
  /// (as Docs/FactorModels.md §5 notes, σ̂² does not subtract the additive effects removed by
  /// `force`; at N = T = 100, r = 2 that makes the SE about 1% smaller). The double sum is
  /// evaluated as tr(S_p (Λ'Λ)⁻¹ S_q') with S_p = M_F X̃_p Λ (T×r), never forming the N×N matrix
  /// (a_ik). Intervals and p-values are Wald (`Estimate.wald`). `sigma2`, IC and PC use np of
  /// Docs/FactorModels.md §4 with +K.
  ///
  /// Per iteration: one `dgemv` (NT·K), one Gram (m²·max(N, T)), its tridiagonal reduction and
  /// r eigenvectors, one `dgemm` F'Z (rNT(K+1)) and one `dsyrk`.
  /// `names` (one per covariate) name the slopes' estimands and the notes on dropped covariates;
  /// without them the slopes are beta1, beta2, ….
  public func fit(_ y: Matrix, covariates x: [Matrix], names: [String]? = nil) throws -> IFEFit {
    let design = try PanelDesign(outcome: y, covariates: x, force: force, intercept: intercept, names: names)
    guard design.keptCount > 0 else {
      // Nothing left to estimate β from: the no-covariate fit, with every slope not identified.
      guard centred else { return try uncentredFit(y, design: design) }
      let base = try fit(y)
      return base.replacing(
        estimates: design.estimates(beta: [], covariance: Matrix(rows: 0, cols: 0)), dropped: design.dropped,
        summary: FitSummary(message: design.dropMessage))
    }
    let k = design.keptCount
    try Self.checkRank(
      rank, periods: y.rows, units: y.cols, force: force, intercept: intercept, covariates: design.kept.count)
    let t = y.rows
    let n = y.cols
    let nt = Double(n * t)
    guard n * t - (n + t) * rank - k > 0 else {
      throw EstimationError.invalidInput("no residual degrees of freedom for Bai's σ̂² (NT − (N+T)r − K ≤ 0)")
    }

    let within = try design.leastSquares().beta
    var best = try iterate(design, from: within)
    var message = "\(centred ? "within" : "least-squares") start: \(best.summaryText)"
    if force != .none {
      let pooled = try PanelDesign(outcome: y, covariates: design.kept.map { x[$0] }, force: .none)
      let other = try iterate(design, from: pooled.leastSquares().beta)
      message += "; pooled-OLS start: \(other.summaryText)"
      // Objectives within 1e-8 (relative) are the same minimum reached twice, up to the tolerance.
      if other.objective < best.objective * (1 - 1e-8) {
        best = other
        message += "; kept the pooled-OLS start (lower objective)"
      } else if best.objective < other.objective * (1 - 1e-8) {
        message += "; kept the within start (lower objective)"
      } else {
        message += "; both starts reach the same objective"
      }
    }
    if let drops = design.dropMessage { message += "; " + drops }

    // The converged fit: factors (from the run's last step), loadings, residuals.
    let w = design.residualPanel(best.beta)
    let f = best.factors
    let lambda = Self.loadings(w, f)
    let common = f.multiplied(by: lambda, transposeOther: true)
    let residuals = w - common
    let ssr = dot(residuals.elements, residuals.elements)

    // Bai (2009) variance: NT·D = A − B.
    let a = Self.projectedCrossProducts(design, f).a
    var b = Matrix(rows: k, cols: k)
    if rank > 0 {
      let lambdaGram = try PanelDesign.factorise(lambda.gram())
      var s: [Matrix] = []  // S_p' (r×T)
      var cs: [Matrix] = []  // (Λ'Λ)⁻¹ S_p'
      for p in 0..<k {
        let xp = Matrix(
          rows: t, cols: n, elements: Array(design.stacked.elements[(p * n * t)..<((p + 1) * n * t)]))
        let xl = xp.multiplied(by: lambda)
        let sp = (xl - (1 / Double(t)) * f.multiplied(by: f.multiplied(by: xl, transposeSelf: true))).transposed
        s.append(sp)
        cs.append(try lambdaGram.solve(sp))
      }
      for q in 0..<k { for p in 0..<k { b[p, q] = dot(cs[p].elements, s[q].elements) } }
    }
    let sigmaHat2 = ssr / (nt - Double((n + t) * rank + k))
    let information = try PanelDesign.factorise(a - b)
    let covariance = sigmaHat2 * (try information.inverse())

    // Additive effects net of the covariates: μ = μ_Y − μ_X'β, α = α_Y − α_X β, ξ = ξ_Y − ξ_X β
    // (all zero for raw panels, where a free μ is the last coefficient).
    var mu = design.interceptColumn ? best.beta[k - 1] : design.outcome.mean
    var alpha = design.outcome.unitEffects
    var xi = design.outcome.periodEffects
    for (j, dx) in design.covariates.enumerated() {
      let bj = best.beta[j]
      mu -= bj * dx.mean
      for i in 0..<n { alpha[i] -= bj * dx.unitEffects[i] }
      for p in 0..<t { xi[p] -= bj * dx.periodEffects[p] }
    }
    let fitted = y - residuals
    let summary = FitSummary(
      converged: best.converged, iterations: best.iterations, objective: ssr / nt, message: message)
    return IFEFit(
      rank: rank, force: force, intercept: intercept, mu: mu, alpha: alpha, xi: xi, factors: f, loadings: lambda,
      vnt: best.vnt, fitted: fitted, residuals: residuals, ssr: ssr, covariates: design.kept.count,
      estimates: design.estimates(beta: best.beta, covariance: covariance), covariance: covariance,
      droppedCovariates: design.dropped, summary: summary)
  }

  // MARK: Internals

  /// One run of the Bai (2009) iteration.
  struct Run {
    var beta: [Double]
    /// F at β and the top r eigenvalues it came with.
    var factors: Matrix
    var vnt: [Double]
    var objective: Double
    var iterations: Int
    var converged: Bool
    var summaryText: String {
      converged
        ? "converged in \(iterations) iterations, objective \(objective)"
        : "NOT converged after \(iterations) iterations (cap), objective \(objective)"
    }
  }

  /// The iteration documented at `fit(_:covariates:)` from `start`.
  func iterate(_ design: PanelDesign, from start: [Double]) throws -> Run {
    let nt = Double(design.units * design.periods)
    // Factors at β and the concentrated objective V_β(r) = ‖W‖²/(NT) − Σ_{j≤r} μ_j.
    func factorStep(_ beta: [Double]) throws -> (values: [Double], f: Matrix, objective: Double) {
      let (values, f) = try Self.principalComponents(design.residualPanel(beta), rank: rank)
      return (values, f, Swift.max(design.residualSumOfSquares(beta) / nt - values.reduce(0, +), 0))
    }
    var beta = start
    var (values, f, objective) = try factorStep(beta)
    var iterations = 0
    var converged = false
    while iterations < maxIterations && !converged {
      let (a, xmy) = Self.projectedCrossProducts(design, f)
      let next = try PanelDesign.factorise(a).solve(xmy)
      iterations += 1
      let (nextValues, nextF, nextObjective) = try factorStep(next)
      var change = 0.0
      var size = 0.0
      for j in 0..<next.count {
        change += (next[j] - beta[j]) * (next[j] - beta[j])
        size += next[j] * next[j]
      }
      converged =
        change.squareRoot() <= tolerance * Swift.max(1, size.squareRoot())
        && abs(nextObjective - objective) <= tolerance * objective
      beta = next
      values = nextValues
      f = nextF
      objective = nextObjective
    }
    return Run(
      beta: beta, factors: f, vnt: values, objective: objective, iterations: iterations,
      converged: converged)
  }

  /// Σ_i X_i'M_F X_i (K×K) and Σ_i X_i'M_F Y_i (K) on the demeaned data, from Z'Z − P'P/T with
  /// P = F'Z reshaped to rN×(K+1) (one `dgemm`, one `dsyrk`).
  static func projectedCrossProducts(_ design: PanelDesign, _ f: Matrix) -> (a: Matrix, b: [Double]) {
    let k = design.keptCount
    let t = design.periods
    let panels = Matrix(rows: t, cols: design.units * (k + 1), elements: design.stacked.elements)
    let p = f.multiplied(by: panels, transposeSelf: true)
    let projected = Matrix(rows: f.cols * design.units, cols: k + 1, elements: p.elements).gram(alpha: 1 / Double(t))
    return PanelDesign.split(design.crossProducts - projected, k)
  }

  /// The top r eigenvalues of EE'/(NT) and the factors F (T×r, F'F/T = I_r) of a T×N panel E.
  static func principalComponents(_ e: Matrix, rank r: Int) throws -> (values: [Double], f: Matrix) {
    r == 0 ? ([], Matrix(rows: e.rows, cols: 0)) : try GramEigen(of: e).factors(of: e, rank: r)
  }

  /// Λ = E'F/T (N×r).
  static func loadings(_ e: Matrix, _ f: Matrix) -> Matrix {
    (1 / Double(e.rows)) * e.multiplied(by: f, transposeSelf: true)
  }

  /// The input checks shared by every fit.
  static func checkRank(
    _ r: Int, periods t: Int, units n: Int, force: AdditiveEffects, intercept: InterceptConvention = .grandMean,
    covariates k: Int
  ) throws {
    guard t >= 2, n >= 2 else {
      throw EstimationError.invalidInput("a panel needs at least 2 periods and 2 units (got T = \(t), N = \(n))")
    }
    guard r >= 0 else { throw EstimationError.invalidInput("the number of factors must be non-negative (got \(r))") }
    guard r < Swift.min(n, t) else {
      throw EstimationError.invalidInput("the number of factors r = \(r) must be below min(N, T) = \(Swift.min(n, t))")
    }
    let bound = force.rankBound(units: n, periods: t)
    guard r < bound || r == 0 else {
      throw EstimationError.invalidInput(
        "r = \(r) factors: the \(t)×\(n) panel demeaned with force = \(force.rawValue) has rank at most \(bound)")
    }
    let np = IFEFit.parameterCount(rank: r, units: n, periods: t, force: force, intercept: intercept, covariates: k)
    guard n * t - np > 0 else {
      throw EstimationError.invalidInput("r = \(r) factors leave no residual degrees of freedom (np = \(np) ≥ NT = \(n * t))")
    }
  }
}

/// The result of an `InteractiveFixedEffects` fit (names follow the reference Python package).
public struct IFEFit: Sendable {
  /// r.
  public let rank: Int
  public let force: AdditiveEffects
  /// The intercept convention asked for (it only changes the model when `force = .none`).
  public let intercept: InterceptConvention
  /// μ: the grand mean (net of X'β with covariates) under `grandMean` or with additive effects;
  /// the estimated intercept under `free`; 0 under `omitted`.
  public let mu: Double
  /// α_i, N of them (zeros unless `force` removes unit effects).
  public let alpha: [Double]
  /// ξ_t, T of them (zeros unless `force` removes period effects).
  public let xi: [Double]
  /// F (T×r), normalised F'F/T = I_r.
  public let factors: Matrix
  /// Λ (N×r) = E'F/T, so Λ'Λ/N = diag(VNT).
  public let loadings: Matrix
  /// VNT: the top r eigenvalues of EE'/(NT) (E the demeaned panel, net of X̃β with covariates).
  public let vnt: [Double]
  /// μ + α_i + ξ_t + X_ti'β + (FΛ')_ti.
  public let fitted: Matrix
  /// Y − fitted (T×N).
  public let residuals: Matrix
  /// Σ residual².
  public let ssr: Double
  /// np = r(N+T) − r² + 1 + K, plus (N−1)−r (unit), (T−1)−r (time) or (N−1)+(T−1)−2r (twoWay);
  /// without the 1 when the intercept is omitted (K counts slopes, not the intercept).
  public let parameterCount: Int
  /// σ² = SSR/(NT − np).
  public let sigma2: Double
  /// IC = ln σ² + np·ln(NT)/(NT).
  public let ic: Double
  /// PC = SSR/(NT) + r·σ²·c·(N+T)/(NT)·ln(NT/(N+T)), with the small-panel factor
  /// c = max(N, 60)·max(T, 60)/(NT): the PC criterion (after Bai & Ng 2002's PC_p1) as the `fect`
  /// R package (Liu, Wang & Xu 2024) reports it.
  public let pc: Double
  /// The slopes "beta1", "beta2", … in covariate order (empty without covariates); dropped
  /// covariates appear as not identified. A free intercept follows as "(Intercept)".
  public let estimates: [Estimate]
  /// Var(β̂) of the identified slopes, and of a free intercept last (Bai 2009, homoskedastic),
  /// nil without regressors.
  public let covariance: Matrix?
  public let droppedCovariates: [DroppedCovariate]
  /// Convergence of the Bai (2009) iteration (`.exact` without covariates).
  public let summary: FitSummary

  init(
    rank: Int, force: AdditiveEffects, intercept: InterceptConvention, mu: Double, alpha: [Double], xi: [Double],
    factors: Matrix, loadings: Matrix, vnt: [Double], fitted: Matrix, residuals: Matrix, ssr: Double, covariates k: Int,
    estimates: [Estimate], covariance: Matrix?, droppedCovariates: [DroppedCovariate], summary: FitSummary
  ) {
    let n = alpha.count
    let t = xi.count
    let np = Self.parameterCount(rank: rank, units: n, periods: t, force: force, intercept: intercept, covariates: k)
    let nt = Double(n * t)
    let sigma2 = ssr / (nt - Double(np))
    let c = Double(Swift.max(n, 60) * Swift.max(t, 60)) / nt
    self.rank = rank
    self.force = force
    self.intercept = intercept
    self.mu = mu
    self.alpha = alpha
    self.xi = xi
    self.factors = factors
    self.loadings = loadings
    self.vnt = vnt
    self.fitted = fitted
    self.residuals = residuals
    self.ssr = ssr
    self.parameterCount = np
    self.sigma2 = sigma2
    self.ic = log(sigma2) + Double(np) * log(nt) / nt
    self.pc = ssr / nt + Double(rank) * sigma2 * c * Double(n + t) / nt * log(nt / Double(n + t))
    self.estimates = estimates
    self.covariance = covariance
    self.droppedCovariates = droppedCovariates
    self.summary = summary
  }

  /// np (Docs/FactorModels.md §4).
  static func parameterCount(
    rank r: Int, units n: Int, periods t: Int, force: AdditiveEffects, intercept: InterceptConvention = .grandMean,
    covariates k: Int
  ) -> Int {
    let mu = force == .none && intercept == .omitted ? 0 : 1
    return r * (n + t) - r * r + mu + k + force.extraParameters(units: n, periods: t, rank: r)
  }

  /// The fitted model in one line: the equation and what μ is (Docs/FactorModels.md §5a).
  static func model(rank r: Int, force: AdditiveEffects, intercept: InterceptConvention, covariates k: Int) -> String {
    let additive: [String] =
      switch (force, intercept) {
      case (.none, .omitted): []
      case (.none, _): ["μ"]
      case (.unit, _): ["α_i"]
      case (.time, _): ["ξ_t"]
      case (.twoWay, _): ["α_i", "ξ_t"]
      }
    let terms = additive + (k > 0 ? ["X_ti'β"] : []) + (r > 0 ? ["λ_i'F_t"] : []) + ["ε_ti"]
    let equation = "Y_ti = " + terms.joined(separator: " + ") + ", r = \(r)"
    let meaning =
      switch (force, intercept) {
      case (.none, .grandMean):
        "μ = grand mean of Y − X'β and the factors fitted to the centred panel (fect's grand-mean intercept)"
      case (.none, .free):
        "μ estimated jointly with β, F and Λ (free intercept, as regife / InteractiveFixedEffectModels.jl)"
      case (.none, .omitted): "no intercept (as regife / InteractiveFixedEffectModels.jl with 0 +)"
      case (.unit, _): "unit effects (they contain the intercept, so every intercept convention fits this model)"
      case (.time, _): "period effects (they contain the intercept, so every intercept convention fits this model)"
      case (.twoWay, _): "two-way effects (they contain the intercept, so every intercept convention fits this model)"
      }
    return equation + "; " + meaning
  }

  /// The fitted model in one line, e.g. "Y_ti = μ + X_ti'β + λ_i'F_t + ε_ti, r = 1; μ estimated
  /// jointly with β, F and Λ (free intercept, as regife / InteractiveFixedEffectModels.jl)".
  public var model: String {
    let slopes = estimates.count { $0.identified && $0.estimand != PanelDesign.interceptName }
    return Self.model(rank: rank, force: force, intercept: intercept, covariates: slopes)
  }

  /// The same fit with other covariate results (used when every covariate was dropped).
  func replacing(estimates: [Estimate], dropped: [DroppedCovariate], summary: FitSummary) -> IFEFit {
    IFEFit(
      rank: rank, force: force, intercept: intercept, mu: mu, alpha: alpha, xi: xi, factors: factors,
      loadings: loadings, vnt: vnt,
      fitted: fitted, residuals: residuals, ssr: ssr, covariates: 0, estimates: estimates, covariance: nil,
      droppedCovariates: dropped, summary: summary)
  }

  /// T, N.
  public var periods: Int { xi.count }
  public var units: Int { alpha.count }

  /// The in-sample prediction, `fitted`.
  public func predict() -> Matrix { fitted }

  /// The slopes and fit summary as a study method's output.
  public var output: MethodOutput { MethodOutput(estimates, fit: summary) }
}

extension IFEFit: CustomStringConvertible {
  /// The model line, the estimates, SSR, σ², IC and the fit summary.
  public var description: String {
    var lines = ["interactive fixed effects: " + model, "T = \(periods), N = \(units)"]
    for e in estimates {
      lines.append(e.identified ? "\(e.estimand) = \(e.value) (SE \(e.se.map { "\($0)" } ?? "–"))" : "\(e.estimand) not identified")
    }
    lines.append("SSR = \(ssr), σ² = \(sigma2), IC = \(ic), np = \(parameterCount)")
    lines.append(
      (summary.converged ? "converged" : "NOT converged") + " after \(summary.iterations) iterations"
        + (summary.message.map { ": " + $0 } ?? ""))
    return lines.joined(separator: "\n")
  }
}
