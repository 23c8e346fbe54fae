import Foundation
import LinearAlgebra

/// Classifier-Lasso (Su, Shi & Phillips 2016, "Identifying latent structures in panel data",
/// Econometrica 84(6)) for a panel y_it = β_i'x_it + μ_i + ε_it whose slopes take K values,
/// β_i ∈ {α_1, …, α_K}, with unknown membership.
///
/// On unit-demeaned data (which removes μ_i) it minimises the multiplicative-penalty objective
///
///     Q(β, α) = (1/NT) Σ_i ‖ỹ_i − X̃_iβ_i‖² + (λ/N) Σ_i Π_{k=1..K} ‖β_i − α_k‖₂
///
/// by the authors' iterative algorithm: start every β_i^{(k)} at the unit-by-unit OLS and every α_k
/// at 0; in each outer iteration, for k = 1..K in turn, fix γ_i = Π_{j≠k}‖β_i^{(j)} − α_j‖ at the
/// latest values and solve the convex subproblem
///     min_{β, α_k} (1/NT)Σ_i‖ỹ_i − X̃_iβ_i‖² + (λ/N)Σ_i γ_i‖β_i − α_k‖
/// exactly (Newton on the p-dimensional envelope in α_k with closed-form unit solutions, certified by
/// a duality gap ≤ `subproblemTolerance`·objective; see `UnitQuadratics.minimiseShrinkage`). The
/// outer loop stops when the relative changes of α and β, mean|new − old|/(mean|old| + 10⁻³) over all
/// K centres and all K slope copies, are both below `tolerance` (10⁻⁴), or after `maxIterations`
/// (80) sweeps — reported, never silent.
///
/// Classification: unit i → argmin_k ‖β_i^{(k)} − α_k‖ (every unit is classified). Post-Lasso:
/// pooled within OLS in each estimated group with Bartlett-HAC standard errors
/// (`GroupedSlopes.pooledWithin`).
///
/// **Tuning.** λ = c_λ·T^(−1/3) (`penaltyScale = .plain`, the default) with c_λ = 1.5, or
/// λ = c_λ·s²_ỹ·T^(−1/3) (`.responseVariance`), s²_ỹ the sample variance of the unit-demeaned
/// response — the rule of the authors' replication code with c_λ = 0.5 (`0.5 * var(y) / T^(1/3)`).
/// On SSP's DGP 1, s²_ỹ ≈ 3.4, so the default is close to the authors' λ there; it is not the
/// default because common factors inflate s²_ỹ (about 20 on the `su-ju` design), and the scaled λ
/// then fuses every unit into one group. Classification on the SSP design is insensitive to c_λ
/// over [0.125·s², 1.5] (checked at N = 100, T = 20). No choice makes the fit invariant to the
/// units of y: the penalty is of degree K in the slopes.
///
/// Cost per fit: O(NTp²) once to build the per-unit quadratics, then per subproblem a few Newton
/// steps of O(Np³) each; nothing in the iterations depends on T.
public struct CLasso: Sendable {
  public enum PenaltyScale: String, Sendable {
    /// λ = c_λ·T^(−1/3).
    case plain
    /// λ = c_λ·s²_ỹ·T^(−1/3).
    case responseVariance
  }

  public var cLambda: Double
  public var penaltyScale: PenaltyScale
  /// Outer stopping rule on the relative change of α and β.
  public var tolerance: Double
  public var maxIterations: Int
  /// Relative duality gap at which a convex subproblem counts as solved.
  public var subproblemTolerance: Double
  public var subproblemMaxIterations: Int
  /// HAC bandwidth of the post-Lasso standard errors; nil → ⌈T^{1/4}⌉.
  public var hacBandwidth: Int?

  public init(
    cLambda: Double = 1.5, penaltyScale: PenaltyScale = .plain, tolerance: Double = 1e-4,
    maxIterations: Int = 80, subproblemTolerance: Double = 1e-10, subproblemMaxIterations: Int = 100,
    hacBandwidth: Int? = nil
  ) {
    self.cLambda = cLambda
    self.penaltyScale = penaltyScale
    self.tolerance = tolerance
    self.maxIterations = maxIterations
    self.subproblemTolerance = subproblemTolerance
    self.subproblemMaxIterations = subproblemMaxIterations
    self.hacBandwidth = hacBandwidth
  }

  /// λ for a panel (computed on its unit-demeaned response).
  public func lambda(for panel: SlopePanel) -> Double { lambda(demeaned: panel.demeanedByUnit()) }

  func lambda(demeaned data: SlopePanel) -> Double {
    let base = cLambda * pow(Double(data.periods), -1.0 / 3)
    return penaltyScale == .plain ? base : base * data.responseVariance
  }

  /// C-Lasso with K groups, then post-Lasso.
  public func fit(_ panel: SlopePanel, groups: Int) throws -> CLassoFit {
    try fit(Prepared(panel, self), groups: groups)
  }

  /// The number of groups by the information criterion of Su, Shi & Phillips (2016, eq. 2.9):
  ///     K̂ = argmin_{K = 1..maxGroups} ln σ̂²(K) + ρ·p·K,  ρ = (2/3)(NT)^(−1/2),
  /// σ̂²(K) the post-Lasso mean squared residual. K = 1 is pooled within OLS. A K whose fit throws
  /// gets IC = +∞ (and its error is kept in the selection's message).
  public func selectGroups(_ panel: SlopePanel, maxGroups: Int = 5) throws -> CLassoSelection {
    precondition(maxGroups >= 1, "maxGroups must be at least 1")
    let prepared = try Prepared(panel, self)
    var fits: [CLassoFit?] = []
    var criteria: [Double] = []
    var failures: [String] = []
    for k in 1...maxGroups {
      do {
        let f = try fit(prepared, groups: k)
        fits.append(f)
        criteria.append(f.informationCriterion)
      } catch {
        fits.append(nil)
        criteria.append(.infinity)
        failures.append("K = \(k): \(error)")
      }
    }
    guard let best = criteria.indices.min(by: { criteria[$0] < criteria[$1] }), criteria[best].isFinite else {
      throw EstimationError.numerical("no number of groups could be fitted (\(failures.joined(separator: "; ")))")
    }
    return CLassoSelection(criteria: criteria, selected: best + 1, fits: fits, failures: failures)
  }

  /// What every K shares: the demeaned data, its quadratics, the unit OLS start and λ.
  struct Prepared {
    let data: SlopePanel
    let quadratics: UnitQuadratics
    let start: [Double]
    let lambda: Double

    init(_ panel: SlopePanel, _ settings: CLasso) throws {
      data = panel.demeanedByUnit()
      quadratics = try UnitQuadratics(data)
      start = try GroupedSlopes.unitLeastSquares(data)
      lambda = settings.lambda(demeaned: data)
    }
  }

  func fit(_ prepared: Prepared, groups k: Int) throws -> CLassoFit {
    precondition(k >= 1, "the number of groups must be at least 1")
    let data = prepared.data
    let n = data.units, t = data.periods, p = data.regressors
    var state = PenalisedState(start: prepared.start, groups: k, p: p)
    var report = SweepReport()
    var converged = false
    var iterations = 0
    while iterations < maxIterations {
      iterations += 1
      let old = state
      report.add(state.sweep(prepared.quadratics, lambda: prepared.lambda, settings: self))
      if state.relativeChange(from: old) < tolerance {
        converged = true
        break
      }
    }
    let classification = state.classification
    let post = try GroupedSlopes.pooledOLS(data, groups: classification, count: k, bandwidth: hacBandwidth)
    let objective = state.objective(prepared.quadratics, lambda: prepared.lambda)
    let rho = (2.0 / 3) / Double(n * t).squareRoot()
    return CLassoFit(
      groups: k, lambda: prepared.lambda, penalizedSlopes: state.alphas,
      unitSlopes: state.assignedSlopes(classification), classification: classification, postLasso: post,
      informationCriterion: log(post.meanSquaredResidual) + rho * Double(p * k),
      summary: report.summary(converged: converged, iterations: iterations, objective: objective, cap: maxIterations),
      largestDualityGap: report.largestGap, subproblemIterations: report.newtonSteps)
  }
}

/// A C-Lasso fit for a given K.
public struct CLassoFit: Sendable {
  /// K.
  public let groups: Int
  /// The penalty λ used.
  public let lambda: Double
  /// The penalised group centres α̃_k (K × p).
  public let penalizedSlopes: [[Double]]
  /// β̃_i^{(ĝ_i)}, each unit's penalised slopes from its own group's subproblem (N × p).
  public let unitSlopes: [[Double]]
  /// ĝ_i ∈ 0..<K.
  public let classification: [Int]
  /// Pooled within OLS per estimated group with HAC standard errors.
  public let postLasso: GroupSlopeFit
  /// ln σ̂²(K) + (2/3)(NT)^(−1/2)·p·K.
  public let informationCriterion: Double
  /// Outer loop: converged, sweeps, the final penalised objective (with β = the last slope copy).
  public let summary: FitSummary
  /// The largest certified duality gap of the last sweep's subproblems.
  public let largestDualityGap: Double
  /// Newton steps over all subproblems.
  public let subproblemIterations: Int
}

/// The C-Lasso fits for K = 1..Kmax and the K the information criterion selects.
public struct CLassoSelection: Sendable {
  /// IC(K) for K = 1..Kmax (+∞ where the fit failed).
  public let criteria: [Double]
  /// K̂.
  public let selected: Int
  public let fits: [CLassoFit?]
  /// Errors of the K whose fit failed.
  public let failures: [String]
  /// The fit at K̂.
  public var fit: CLassoFit { fits[selected - 1]! }
}

// MARK: - The multiplicative-penalty iteration (shared with the interactive-effects variant)

/// Group centres α_k and, for each k, the slopes β^{(k)} (N·p) from subproblem k, with the distances
/// ‖β_i^{(k)} − α_k‖ the weights γ are products of.
struct PenalisedState {
  var alphas: [[Double]]
  var betas: [[Double]]
  var distances: [[Double]]
  let units: Int
  let p: Int

  init(start: [Double], groups k: Int, p: Int) {
    self.p = p
    units = start.count / p
    alphas = [[Double]](repeating: [Double](repeating: 0, count: p), count: k)
    betas = [[Double]](repeating: start, count: k)
    distances = []
    distances = (0..<k).map { distancesToCentre($0) }
  }

  func distancesToCentre(_ k: Int) -> [Double] {
    (0..<units).map { i in
      var s = 0.0
      for j in 0..<p {
        let d = betas[k][i * p + j] - alphas[k][j]
        s += d * d
      }
      return s.squareRoot()
    }
  }

  /// One outer iteration: subproblems k = 0..K−1 in turn.
  mutating func sweep(_ quadratics: UnitQuadratics, lambda: Double, settings: CLasso) -> SweepReport {
    var report = SweepReport()
    let k = alphas.count
    let scale = lambda / Double(units)
    for g in 0..<k {
      let weights = (0..<units).map { i in
        var w = scale
        for j in 0..<k where j != g { w *= distances[j][i] }
        return w
      }
      let solution = quadratics.minimiseShrinkage(
        weights: weights, start: alphas[g], tolerance: settings.subproblemTolerance,
        maxIterations: settings.subproblemMaxIterations)
      alphas[g] = solution.center
      betas[g] = solution.slopes
      distances[g] = distancesToCentre(g)
      report.record(solution, group: g)
    }
    return report
  }

  /// max of mean|Δα|/(mean|α_old| + 10⁻³) and the same for β over all K copies.
  func relativeChange(from old: PenalisedState) -> Double {
    func change(_ new: [Double], _ old: [Double]) -> Double {
      let diff = zip(new, old).reduce(0) { $0 + abs($1.0 - $1.1) } / Double(new.count)
      let size = old.reduce(0) { $0 + abs($1) } / Double(old.count)
      return diff / (size + 1e-3)
    }
    return max(change(alphas.flatMap { $0 }, old.alphas.flatMap { $0 }), change(betas.flatMap { $0 }, old.betas.flatMap { $0 }))
  }

  /// ĝ_i = argmin_k ‖β_i^{(k)} − α_k‖ (ties to the lower k).
  var classification: [Int] {
    (0..<units).map { i in (0..<alphas.count).min { distances[$0][i] < distances[$1][i] }! }
  }

  func assignedSlopes(_ classification: [Int]) -> [[Double]] {
    (0..<units).map { i in Array(betas[classification[i]][(i * p)..<((i + 1) * p)]) }
  }

  /// Q(β, α) with β the last updated slope copy.
  func objective(_ quadratics: UnitQuadratics, lambda: Double) -> Double {
    let beta = betas[betas.count - 1]
    var penalty = 0.0
    for i in 0..<units {
      var product = 1.0
      for a in alphas {
        var s = 0.0
        for j in 0..<p { s += (beta[i * p + j] - a[j]) * (beta[i * p + j] - a[j]) }
        product *= s.squareRoot()
      }
      penalty += product
    }
    return quadratics.leastSquaresTerm(beta) + lambda / Double(units) * penalty
  }
}

/// What the subproblems of one or more sweeps did.
struct SweepReport {
  var largestGap = 0.0
  var newtonSteps = 0
  var unsolved: [String] = []

  mutating func record(_ s: ShrinkageSolution, group: Int) {
    largestGap = max(largestGap, s.gap)
    newtonSteps += s.iterations
    if !s.converged { unsolved.append("group \(group + 1) stopped at duality gap \(s.gap) (objective \(s.objective))") }
  }

  /// Keeps the last sweep's largest gap and the unsolved list of the last sweep, accumulates steps.
  mutating func add(_ sweep: SweepReport) {
    largestGap = sweep.largestGap
    newtonSteps += sweep.newtonSteps
    unsolved = sweep.unsolved
  }

  func summary(converged: Bool, iterations: Int, objective: Double, cap: Int) -> FitSummary {
    var notes: [String] = []
    if !converged { notes.append("outer iterations hit the cap of \(cap) before a relative change below the tolerance") }
    if !unsolved.isEmpty { notes.append("subproblems not solved to tolerance: " + unsolved.joined(separator: "; ")) }
    return FitSummary(
      converged: converged && unsolved.isEmpty, iterations: iterations, objective: objective,
      message: notes.isEmpty ? nil : notes.joined(separator: "; "))
  }
}
