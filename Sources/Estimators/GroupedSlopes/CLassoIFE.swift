import Foundation
import LinearAlgebra

/// C-Lasso with interactive fixed effects (Su & Ju 2018, "Identifying latent grouped patterns in
/// panel data models with interactive fixed effects", J. Econometrics 206(2)), for
/// y_it = β_i'x_it + μ_i + λ_i'F_t + ε_it with β_i ∈ {α_1..α_K} and R common factors (R known).
///
/// The least-squares term of C-Lasso is replaced by the principal-components profile
///     (1/NT)·Σ_{j > R} ν_j[Σ_i (ỹ_i − X̃_iβ_i)(ỹ_i − X̃_iβ_i)'] = min_F (1/NT)Σ_i ‖M_F(ỹ_i − X̃_iβ_i)‖²,
/// ν_j the eigenvalues in descending order: the sum of the T − R smallest eigenvalues of the
/// residual covariance. Data are unit-demeaned
/// first (μ_i, if any, is removed; the factors become F_t − F̄, still R of them), so the method
/// also runs on panels with additive unit effects.
///
/// Algorithm (alternating, each step exact):
/// 1. Start: heterogeneous slopes with factors — β_i from unit OLS, then alternate
///    F̂ ← √T·top-R eigenvectors of (1/NT)Σ_i ê_iê_i' and β_i ← OLS of M_F̂ỹ_i on M_F̂X̃_i until the
///    relative change of β is below `startTolerance` (at most `startMaxIterations` rounds).
/// 2. Outer iterations: one C-Lasso sweep (k = 1..K, each convex subproblem solved exactly on the
///    projected data M_F̂ỹ_i, M_F̂X̃_i; see `CLasso`), then F̂ ← the top-R eigenvectors of the
///    residual covariance at the current slopes β^{(K)} (the exact minimiser of the profile objective
///    over F given β). Stop when α and β change by less than `lasso.tolerance` (relative, as in
///    `CLasso`) or after `lasso.maxIterations` sweeps.
/// 3. Classify as in C-Lasso; post-Lasso: Bai (2009) interactive-effects estimation with
///    group-specific slopes and common factors (`GroupedSlopes.interactiveEffects`), started from the
///    final F̂ and from the pooled within OLS, keeping the lower objective.
///
/// λ is C-Lasso's (1.5·T^(−1/3) by default; with `.responseVariance` scaling the variance is that
/// of the demeaned y, which the factors inflate). Cost per sweep: the C-Lasso sweep plus one
/// T×T eigenproblem and O(NTp·R) for the projections.
public struct CLassoIFE: Sendable {
  /// R.
  public var factors: Int
  /// The C-Lasso settings (penalty, tolerances, caps, HAC bandwidth unused here).
  public var lasso: CLasso
  public var startTolerance: Double
  public var startMaxIterations: Int
  /// Relative change in α̂ and in the objective at which the post-Lasso IFE stops.
  public var postTolerance: Double
  public var postMaxIterations: Int

  public init(
    factors: Int, lasso: CLasso = CLasso(), startTolerance: Double = 1e-6, startMaxIterations: Int = 100,
    postTolerance: Double = 1e-10, postMaxIterations: Int = 1000
  ) {
    self.factors = factors
    self.lasso = lasso
    self.startTolerance = startTolerance
    self.startMaxIterations = startMaxIterations
    self.postTolerance = postTolerance
    self.postMaxIterations = postMaxIterations
  }

  public func fit(_ panel: SlopePanel, groups k: Int) throws -> CLassoIFEFit {
    precondition(k >= 1, "the number of groups must be at least 1")
    let data = panel.demeanedByUnit()
    let n = data.units, t = data.periods, p = data.regressors, r = factors
    guard r >= 0, r < n, t - 1 - r >= p else {
      throw EstimationError.invalidInput(
        "C-Lasso-IFE with R = \(r) factors needs R < N and T − 1 − R ≥ p (T = \(t), N = \(n), p = \(p))")
    }
    let lambda = lasso.lambda(demeaned: data)

    // 1. Heterogeneous slopes with factors.
    let start = try FactorSteps.heterogeneousStart(
      data, factors: r, tolerance: startTolerance, maxIterations: startMaxIterations)
    let beta = start.beta, startRounds = start.rounds

    // 2. C-Lasso sweeps alternating with factor updates.
    var f = start.factors
    var state = PenalisedState(start: beta, groups: k, p: p)
    var report = SweepReport()
    var converged = false
    var iterations = 0
    var quadratics = try UnitQuadratics(FactorSteps.project(data, f))
    while iterations < lasso.maxIterations {
      iterations += 1
      let old = state
      report.add(state.sweep(quadratics, lambda: lambda, settings: lasso))
      f = try FactorSteps.factors(GroupedSlopes.residuals(data, slopes: state.betas[k - 1]), count: r)
      quadratics = try UnitQuadratics(FactorSteps.project(data, f))
      if state.relativeChange(from: old) < lasso.tolerance {
        converged = true
        break
      }
    }
    let classification = state.classification(relative: lasso.classification == .relativeDistance)
    let objective = state.objective(quadratics, lambda: lambda)

    // 3. Post-Lasso IFE with group-specific slopes.
    let post = try GroupedSlopes.groupedIFE(
      data, groups: classification, count: k, factors: r, starts: [f, nil], tolerance: postTolerance,
      maxIterations: postMaxIterations)
    var summary = report.summary(converged: converged, iterations: iterations, objective: objective, cap: lasso.maxIterations)
    if !post.groupSlopes.summary.converged {
      summary.converged = false
      summary.message = [summary.message, post.groupSlopes.summary.message].compactMap { $0 }.joined(separator: "; ")
    }
    return CLassoIFEFit(
      groups: k, lambda: lambda, penalizedSlopes: state.alphas, unitSlopes: state.assignedSlopes(classification),
      classification: classification, postLasso: post, summary: summary, largestDualityGap: report.largestGap,
      subproblemIterations: report.newtonSteps, startRounds: startRounds)
  }
}

/// A C-Lasso-IFE fit for a given K.
public struct CLassoIFEFit: Sendable {
  public let groups: Int
  public let lambda: Double
  /// The penalised group centres α̃_k (K × p).
  public let penalizedSlopes: [[Double]]
  /// β̃_i^{(ĝ_i)} (N × p).
  public let unitSlopes: [[Double]]
  /// ĝ_i ∈ 0..<K.
  public let classification: [Int]
  /// Post-Lasso IFE: group slopes with Bai (2009) standard errors, factors and loadings.
  public let postLasso: GroupedIFEFit
  public let summary: FitSummary
  public let largestDualityGap: Double
  public let subproblemIterations: Int
  /// Rounds of the heterogeneous-slopes start.
  public let startRounds: Int
}

/// Group-specific slopes with common factors, y_it = α_{g(i)}'x_it + μ_i + λ_i'F_t + ε_it.
public struct GroupedIFEFit: Sendable {
  /// α̂_k with Bai's (2009) homoskedastic covariance; `summary` is the alternating iteration's.
  public let groupSlopes: GroupSlopeFit
  /// F̂ (T×R), F̂'F̂/T = I.
  public let factors: Matrix
  /// Λ̂ (N×R).
  public let loadings: Matrix
}

extension GroupedSlopes {
  /// Interactive fixed effects (Bai 2009) with group-specific slopes for a given classification, on
  /// unit-demeaned data. Alternates F̂ ← √T·top-R eigenvectors of (1/NT)Σ_i ê_iê_i' (ê_i = ỹ_i − X̃_iα_{g(i)})
  /// and α_k ← (Σ_{i∈G_k} X̃_i'M_F X̃_i)⁻¹Σ_{i∈G_k} X̃_i'M_F ỹ_i (the projected update) until the
  /// relative changes of α and of the objective are below `tolerance` (at most `maxIterations`,
  /// reported). Against local minima it runs from two starts and keeps the lower objective: the
  /// factors of the heterogeneous-slopes fit (`FactorSteps.heterogeneousStart`) and the pooled within
  /// OLS. Covariance (Bai 2009, Thm 3, homoskedastic, extended to group slopes): with
  /// Z^{(k,c)} = M_F̂ X^{(k,c)} M_Λ̂, X^{(k,c)} the T×N matrix of regressor c for the units of group k
  /// (zero elsewhere), Var(vec α̂) = σ̂²(Z'Z)⁻¹, σ̂² = SSR/(N(T−1) − (N+T)R − Kp).
  /// With the true groups this is the oracle for a factor design. Needs T − 1 − R ≥ p.
  public static func interactiveEffects(
    _ panel: SlopePanel, groups: [Int], count: Int, factors r: Int, tolerance: Double = 1e-10,
    maxIterations: Int = 1000
  ) throws -> GroupedIFEFit {
    let data = panel.demeanedByUnit()
    guard r >= 0, r < data.units, data.periods - 1 - r >= data.regressors else {
      throw EstimationError.invalidInput("interactive effects with R = \(r) factors need R < N and T − 1 − R ≥ p")
    }
    let start = try FactorSteps.heterogeneousStart(data, factors: r, tolerance: 1e-6, maxIterations: 100)
    return try groupedIFE(
      data, groups: groups, count: count, factors: r, starts: [start.factors, nil], tolerance: tolerance,
      maxIterations: maxIterations)
  }

  /// The alternating IFE from each start (factors, or nil for the pooled within OLS), keeping the
  /// run with the lowest objective.
  static func groupedIFE(
    _ data: SlopePanel, groups: [Int], count: Int, factors r: Int, starts: [Matrix?], tolerance: Double,
    maxIterations: Int
  ) throws -> GroupedIFEFit {
    let n = data.units, t = data.periods
    precondition(groups.count == n && groups.allSatisfy { $0 >= 0 && $0 < count }, "one group in 0..<count per unit")
    func unitSlopes(_ alpha: [[Double]]) -> [Double] {
      groups.flatMap { g in alpha[g].map { $0.isNaN ? 0 : $0 } }
    }
    var best: (alpha: [[Double]], objective: Double, iterations: Int, converged: Bool)?
    for start in starts {
      var alpha = try pooledSlopes(start.map { FactorSteps.project(data, $0) } ?? data, groups: groups, count: count)
      var objective = Double.infinity
      var converged = false
      var iterations = 0
      while iterations < maxIterations {
        iterations += 1
        let f = try FactorSteps.factors(residuals(data, slopes: unitSlopes(alpha)), count: r)
        let projected = FactorSteps.project(data, f)
        let next = try pooledSlopes(projected, groups: groups, count: count)
        let newObjective = residuals(projected, slopes: unitSlopes(next)).squaredNorm / Double(n * t)
        let change = relativeChange(next.flatMap { $0 }.filter { !$0.isNaN }, alpha.flatMap { $0 }.filter { !$0.isNaN })
        let objectiveChange = abs(newObjective - objective) / max(newObjective, .leastNormalMagnitude)
        alpha = next
        objective = newObjective
        if change < tolerance && objectiveChange < tolerance {
          converged = true
          break
        }
      }
      if best == nil || objective < best!.objective { best = (alpha, objective, iterations, converged) }
    }
    guard let run = best else { preconditionFailure("at least one start is needed") }
    // Final factors and loadings at the final slopes.
    let e = residuals(data, slopes: unitSlopes(run.alpha))
    let f = try FactorSteps.factors(e, count: r)
    let loadings = InteractiveFixedEffects.loadings(e, f)
    let ssr = FactorSteps.annihilate(e, f).squaredNorm
    let covariance = try baiCovariance(data, groups: groups, count: count, factors: f, loadings: loadings, ssr: ssr)
    let sizes = (0..<count).map { k in groups.filter { $0 == k }.count }
    let summary = FitSummary(
      converged: run.converged, iterations: run.iterations, objective: ssr / Double(n * t),
      message: run.converged ? nil : "the interactive-effects iteration hit the cap of \(maxIterations) iterations")
    return GroupedIFEFit(
      groupSlopes: GroupSlopeFit(
        slopes: run.alpha, covariance: covariance, sizes: sizes, meanSquaredResidual: ssr / Double(n * t),
        summary: summary),
      factors: f, loadings: loadings)
  }

  /// Pooled OLS slopes per group on transformed data (NaN for empty groups).
  static func pooledSlopes(_ data: SlopePanel, groups: [Int], count: Int) throws -> [[Double]] {
    let p = data.regressors
    return try (0..<count).map { k in
      let members = (0..<data.units).filter { groups[$0] == k }
      if members.isEmpty { return [Double](repeating: .nan, count: p) }
      let (x, y) = stack(data, members)
      do { return try x.leastSquares(y) } catch {
        throw EstimationError.numerical("group \(k)'s pooled (factor-projected) regressors are collinear (\(error))")
      }
    }
  }

  /// σ̂²(Z'Z)⁻¹ with Z^{(k,c)} = M_F X^{(k,c)} M_Λ (see `interactiveEffects`); NaN for empty groups.
  static func baiCovariance(
    _ data: SlopePanel, groups: [Int], count: Int, factors f: Matrix, loadings: Matrix, ssr: Double
  ) throws -> Matrix {
    let n = data.units, t = data.periods, p = data.regressors, r = f.cols
    let present = (0..<count).filter { k in groups.contains(k) }
    let dof = Double(n * (t - 1) - (n + t) * r - present.count * p)
    guard dof > 0 else { throw EstimationError.invalidInput("too few observations for the interactive-effects variance") }
    // L' = (Λ'Λ)⁻¹Λ' so that A·M_Λ = A − (AΛ)L'.
    let loadingFactor: Matrix? = r == 0 ? nil : try Cholesky(loadings.gram()).solve(loadings.transposed)
    var z = Matrix(rows: n * t, cols: present.count * p)
    for (m, k) in present.enumerated() {
      for c in 0..<p {
        var a = Matrix(rows: t, cols: n)
        for i in 0..<n where groups[i] == k {
          let src = (i * p + c) * t
          for s in 0..<t { a.elements[i * t + s] = data.x.elements[src + s] }
        }
        var zk = FactorSteps.annihilate(a, f)
        if let lf = loadingFactor { zk = zk - zk.multiplied(by: loadings).multiplied(by: lf) }
        let column = (m * p + c) * n * t
        z.elements.replaceSubrange(column..<(column + n * t), with: zk.elements)
      }
    }
    let inverse: Matrix
    do { inverse = try Cholesky(z.gram()).inverse() } catch {
      throw EstimationError.numerical("the interactive-effects information matrix is singular (\(error))")
    }
    let sigma2 = ssr / dof
    var covariance = Matrix(rows: count * p, cols: count * p, repeating: .nan)
    for (m1, k1) in present.enumerated() {
      for (m2, k2) in present.enumerated() {
        for c1 in 0..<p { for c2 in 0..<p { covariance[k1 * p + c1, k2 * p + c2] = sigma2 * inverse[m1 * p + c1, m2 * p + c2] } }
      }
    }
    return covariance
  }
}

/// ‖new − old‖/max(‖old‖, 10⁻³) in the Euclidean norm.
func relativeChange(_ new: [Double], _ old: [Double]) -> Double {
  let diff = zip(new, old).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
  let size = old.reduce(0) { $0 + $1 * $1 }.squareRoot()
  return diff / max(size, 1e-3)
}
