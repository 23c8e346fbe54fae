import LinearAlgebra

/// The result of a linear panel regression baseline (`TwoWayFixedEffects`, `PooledOLS`).
public struct PanelRegressionFit: Sendable {
  /// The slopes "beta1", "beta2", … in covariate order, Wald 95% intervals and p-values; dropped
  /// covariates appear as not identified.
  public let estimates: [Estimate]
  /// The intercept (`PooledOLS` only).
  public let intercept: Estimate?
  /// Var(β̂) of the identified slopes.
  public let covariance: Matrix
  /// σ̂² = SSR / `residualDegreesOfFreedom`.
  public let sigma2: Double
  public let residualDegreesOfFreedom: Int
  /// Residuals of the (demeaned) regression, T×N.
  public let residuals: Matrix
  public let droppedCovariates: [DroppedCovariate]
  /// Closed form: converged, no iterations, objective SSR/(NT), the drop reasons as message.
  public let summary: FitSummary

  /// The slopes and fit summary as a study method's output.
  public var output: MethodOutput { MethodOutput(estimates, fit: summary) }
}

/// The two-way fixed-effects (within) estimator: least squares of the two-way demeaned outcome on
/// the two-way demeaned covariates (y_ti − ȳ_·i − ȳ_t· + ȳ, likewise X). By Frisch–Waugh–Lovell
/// the slopes equal those of the dummy-variable regression with N unit and T − 1 period dummies.
///
/// Standard errors:
/// - `.classical`: Var(β̂) = σ̂²(X̃'X̃)⁻¹ with σ̂² = SSR/(NT − N − T + 1 − K), the residual degrees of
///   freedom of that dummy-variable regression (so the SEs equal its classical SEs).
/// - `.clusteredByUnit`: the sandwich (X̃'X̃)⁻¹(Σ_i s_i s_i')(X̃'X̃)⁻¹·N/(N − 1), s_i = Σ_t x̃_ti ũ_ti
///   (Arellano 1987, with only the G/(G − 1) small-sample factor, G = N clusters).
///
/// Covariates without within variation are dropped (`DroppedCovariate`). Cost O(NTK²).
public struct TwoWayFixedEffects: Sendable {
  public enum Variance: String, Sendable, CaseIterable { case classical, clusteredByUnit }
  public var variance: Variance

  public init(variance: Variance = .classical) { self.variance = variance }

  public func fit(_ y: Matrix, covariates x: [Matrix]) throws -> PanelRegressionFit {
    let design = try PanelDesign(outcome: y, covariates: x, force: .twoWay)
    let t = design.periods
    let n = design.units
    let k = design.keptCount
    let df = n * t - n - t + 1 - k
    guard df > 0 else { throw EstimationError.invalidInput("no residual degrees of freedom (NT − N − T + 1 − K ≤ 0)") }
    let (beta, xtx) = try design.leastSquares()
    let residuals = design.residualPanel(beta)
    let ssr = dot(residuals.elements, residuals.elements)
    let sigma2 = ssr / Double(df)
    let covariance: Matrix
    switch variance {
    case .classical:
      covariance = sigma2 * (try xtx.inverse())
    case .clusteredByUnit:
      // Scores s_ik = Σ_t X̃_k[t, i]·ũ[t, i], an N×K matrix; meat = S'S.
      var scores = Matrix(rows: n, cols: k)
      design.stacked.elements.withUnsafeBufferPointer { z in
        residuals.elements.withUnsafeBufferPointer { u in
          for j in 0..<k {
            let offset = j * n * t
            for i in 0..<n {
              var s = 0.0
              for p in 0..<t { s += z[offset + i * t + p] * u[i * t + p] }
              scores[i, j] = s
            }
          }
        }
      }
      let half = try xtx.solve(scores.gram())  // (X̃'X̃)⁻¹ meat
      covariance = (Double(n) / Double(n - 1)) * (try xtx.solve(half.transposed))
    }
    return PanelRegressionFit(
      estimates: design.estimates(beta: beta, covariance: covariance), intercept: nil, covariance: covariance,
      sigma2: sigma2, residualDegreesOfFreedom: df, residuals: residuals, droppedCovariates: design.dropped,
      summary: FitSummary(objective: ssr / Double(n * t), message: design.dropMessage))
  }
}

/// Pooled OLS of Y_ti on an intercept and X_ti, ignoring the panel structure. Slopes from the
/// grand-mean-centred data (equal to the regression with an intercept by Frisch–Waugh–Lovell);
/// classical SEs σ̂²(X_c'X_c)⁻¹ with σ̂² = SSR/(NT − K − 1); intercept ȳ − x̄'β̂ with variance
/// σ̂²(1/(NT) + x̄'(X_c'X_c)⁻¹x̄). A constant covariate is dropped (collinear with the intercept).
public struct PooledOLS: Sendable {
  public init() {}

  public func fit(_ y: Matrix, covariates x: [Matrix]) throws -> PanelRegressionFit {
    let design = try PanelDesign(outcome: y, covariates: x, force: .none)
    let nt = design.periods * design.units
    let df = nt - design.keptCount - 1
    guard df > 0 else { throw EstimationError.invalidInput("no residual degrees of freedom (NT − K − 1 ≤ 0)") }
    let (beta, xtx) = try design.leastSquares()
    let residuals = design.residualPanel(beta)
    let ssr = dot(residuals.elements, residuals.elements)
    let sigma2 = ssr / Double(df)
    let covariance = sigma2 * (try xtx.inverse())
    let means = design.covariates.map(\.mean)
    let interceptValue = design.outcome.mean - dot(means, beta)
    let interceptVariance = sigma2 * (1 / Double(nt) + dot(means, try xtx.solve(means)))
    return PanelRegressionFit(
      estimates: design.estimates(beta: beta, covariance: covariance),
      intercept: .wald("intercept", value: interceptValue, se: interceptVariance.squareRoot()),
      covariance: covariance, sigma2: sigma2, residualDegreesOfFreedom: df, residuals: residuals,
      droppedCovariates: design.dropped,
      summary: FitSummary(objective: ssr / Double(nt), message: design.dropMessage))
  }
}

/// The infeasible benchmark of a simulation study: the interactive-effects regression with the
/// true factors F (T×r) known, so that only β, the additive effects and the loadings are estimated.
/// Comparing it with `InteractiveFixedEffects` separates the cost of estimating F from everything
/// else: with ε independent of (X, F, Λ) it is exactly unbiased.
///
/// The data are demeaned as `force` says; F is demeaned over periods when unit effects are removed
/// (unit demeaning turns λ_i'F_t into λ_i'(F_t − F̄)), then orthonormalised (thin SVD, F'F/T = I_r).
/// With M_F = I − FF'/T, β̂ = (Σ_i X̃_i'M_F X̃_i)⁻¹ Σ_i X̃_i'M_F ỹ_i and Var(β̂) = σ̂²(Σ_i X̃_i'M_F X̃_i)⁻¹,
/// σ̂² = SSR/(NT − np) with np = 1 + (N − 1 for unit effects) + (T − 1 for period effects) + the
/// loadings, N·r, or (N − 1)·r when period demeaning makes them sum to zero, + K. `force = .none`
/// is refused: a grand mean alone is not orthogonal to the per-unit loadings on F, so demeaning
/// and projecting would not be least squares.
public struct KnownFactorsRegression: Sendable {
  public var force: AdditiveEffects

  public init(force: AdditiveEffects = .twoWay) { self.force = force }

  public func fit(_ y: Matrix, covariates x: [Matrix], factors: Matrix) throws -> PanelRegressionFit {
    guard force != .none else {
      throw EstimationError.invalidInput("the known-factors regression needs unit or period effects removed (force ≠ none)")
    }
    let design = try PanelDesign(outcome: y, covariates: x, force: force)
    let t = design.periods
    let n = design.units
    let r = factors.cols
    guard factors.rows == t else {
      throw EstimationError.invalidInput("the factors have \(factors.rows) periods but the panel has \(t)")
    }
    guard factors.elements.allSatisfy(\.isFinite) else {
      throw EstimationError.invalidInput("the known factors hold NaN or infinite values")
    }
    let removesUnits = force.removesUnitEffects
    let removesPeriods = force.removesPeriodEffects
    // Columns of F demeaned over periods: F read as a T×r panel with its "unit" means removed.
    let f = removesUnits ? DemeanedPanel(factors, force: .unit).residual : factors
    let svd = try f.singularValueDecomposition()
    guard r < t, r == 0 || svd.s[r - 1] > 1e-10 * svd.s[0] else {
      throw EstimationError.invalidInput("the \(r) known factors are collinear (after demeaning) or too many for T = \(t)")
    }
    let basis = Double(t).squareRoot() * svd.u
    let k = design.keptCount
    let loadings = (removesPeriods ? n - 1 : n) * r
    let df = n * t - 1 - (removesUnits ? n - 1 : 0) - (removesPeriods ? t - 1 : 0) - loadings - k
    guard df > 0 else { throw EstimationError.invalidInput("no residual degrees of freedom (NT − np ≤ 0)") }
    let (a, b) = InteractiveFixedEffects.projectedCrossProducts(design, basis)
    let information = try PanelDesign.factorise(a)
    let beta = try information.solve(b)
    let w = design.residualPanel(beta)
    let residuals = w - basis.multiplied(by: InteractiveFixedEffects.loadings(w, basis), transposeOther: true)
    let ssr = dot(residuals.elements, residuals.elements)
    let sigma2 = ssr / Double(df)
    let covariance = sigma2 * (try information.inverse())
    return PanelRegressionFit(
      estimates: design.estimates(beta: beta, covariance: covariance), intercept: nil, covariance: covariance,
      sigma2: sigma2, residualDegreesOfFreedom: df, residuals: residuals, droppedCovariates: design.dropped,
      summary: FitSummary(objective: ssr / Double(n * t), message: design.dropMessage))
  }
}
