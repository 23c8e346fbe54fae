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
/// outer loop stops by `convergence` (default: the relative changes of α and β,
/// mean|new − old|/(mean|old| + 10⁻³) over all K centres and all K slope copies, both below
/// `tolerance` = 10⁻⁴), or after `maxIterations` (80) sweeps — reported, never silent.
///
/// Classification: unit i → argmin_k ‖β_i^{(k)} − α_k‖ (`classification`; every unit is
/// classified). Post-Lasso: pooled within OLS in each estimated group with the covariance
/// `standardErrors` (default Bartlett HAC, `GroupedSlopes.pooledWithin`), optionally corrected for the
/// incidental-parameter bias by the half-panel jackknife (`jackknife`).
///
/// **Conventions.** Every choice on which the reference implementations differ is an option, and
/// `CLasso.classifylasso(dynamic:)` and `CLasso.classo(biasCorrection:)` set them as the Stata
/// package classifylasso (Huang, Wang & Zhou 2024) and the R package classo (Gao & Shi) do; the
/// defaults of `CLasso()` are this package's own (Docs/GroupedSlopes.md §2–§4 and the table there).
///
/// **Tuning.** λ = c_λ·T^(−1/3) (`penaltyScale = .plain`, the default) with c_λ = 1.5, or
/// λ = c_λ·s²_ỹ·T^(−1/3) (`.responseVariance`), s²_ỹ the sample variance of the unit-demeaned
/// response — the rule of the authors' replication code and of R classo's example with c_λ = 0.5
/// (`0.5 * var(y) / T^(1/3)`). classifylasso uses the plain rule with c_λ = 0.2. On SSP's DGP 1,
/// s²_ỹ ≈ 3.4, so the default is close to the authors' λ there; it is not the default because common
/// factors inflate s²_ỹ (about 20 on the `su-ju` design), and the scaled λ then fuses every unit into
/// one group. No choice makes the fit invariant to the units of y: the penalty is of degree K in the
/// slopes.
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

  /// The variance estimate σ̂²(K) inside the information criterion ln σ̂²(K) + ρ_NT·p·K.
  public enum ICVariance: String, Sendable {
    /// SSR/(NT) (Su, Shi & Phillips 2016, eq. 2.9; R classo).
    case meanSquare
    /// SSR/(NT − N − p·K'), K' the non-empty groups: the residual degrees of freedom after the unit
    /// means and the group slopes (classifylasso).
    case residualDegreesOfFreedom
  }

  /// When the outer iteration stops (each compares the state after a sweep with the one before).
  public enum ConvergenceRule: String, Sendable {
    /// max(Δα, Δβ) < tolerance, each mean|new − old|/(mean|old| + 10⁻³) over all K centres and all K
    /// slope copies (this package).
    case allCopies
    /// R classo: Σ|Δα_K|/(Σ|α_K| + 10⁻⁴) < tolerance and mean|Δβ^{(K)}|/(mean|β^{(K)}| + 10⁻⁴) <
    /// tolerance, on the last group's centre and slope copy only.
    case lastGroup
    /// classifylasso: |ΔS| < tolerance and ‖ΔA‖_F/(‖A‖_F + 10⁻³) < tolerance, S = Σ_k (the k-th
    /// subproblem's minimum), A the K×p matrix of centres; S is an absolute change, so this rule
    /// depends on the units of y.
    case objectiveAndCentres
  }

  /// How units are assigned to groups after the iteration.
  public enum ClassificationRule: String, Sendable {
    /// argmin_k ‖β_i^{(k)} − α_k‖ (Su, Shi & Phillips; R classo).
    case nearest
    /// argmin_k ‖β_i^{(k)} − α_k‖/‖α_k‖ (classifylasso).
    case relativeDistance
  }

  public var cLambda: Double
  public var penaltyScale: PenaltyScale
  /// Outer stopping rule and its tolerance.
  public var convergence: ConvergenceRule
  public var tolerance: Double
  public var maxIterations: Int
  /// Relative duality gap at which a convex subproblem counts as solved.
  public var subproblemTolerance: Double
  public var subproblemMaxIterations: Int
  public var classification: ClassificationRule
  /// The post-Lasso covariance.
  public var standardErrors: PostLassoCovariance
  /// ρ_NT = icConstant·(NT)^(−1/2) in the information criterion.
  public var icConstant: Double
  public var icVariance: ICVariance
  /// Half-panel jackknife correction of the post-Lasso slopes (Dhaene & Jochmans 2015), with the
  /// classification held fixed; the information criterion then uses the corrected slopes.
  public var jackknife: Bool
  /// With the jackknife: the criterion's residuals also carry the jackknife-corrected intercept,
  /// as classifylasso computes them (its post-Lasso fit reports a constant, ȳ_k − x̄_k'α̂_k over the
  /// group's observations, corrected like the slopes). Each group k then adds N_kT·d_k² to the SSR,
  /// d_k = ȳ_k − x̄_k'α̂_k^{BC} − [2c_k − (c_k^{(a)} + c_k^{(b)})/2] with c = ȳ − x̄'α̂ on the whole
  /// sample and on each half. Zero when every half-panel mean is zero; no effect without the jackknife.
  public var icJackknifeIntercept: Bool

  public init(
    cLambda: Double = 1.5, penaltyScale: PenaltyScale = .plain, convergence: ConvergenceRule = .allCopies,
    tolerance: Double = 1e-4, maxIterations: Int = 80, subproblemTolerance: Double = 1e-10,
    subproblemMaxIterations: Int = 100, classification: ClassificationRule = .nearest,
    standardErrors: PostLassoCovariance = .hac(.fourthRoot), icConstant: Double = 2.0 / 3,
    icVariance: ICVariance = .meanSquare, jackknife: Bool = false, icJackknifeIntercept: Bool = false
  ) {
    self.cLambda = cLambda
    self.penaltyScale = penaltyScale
    self.convergence = convergence
    self.tolerance = tolerance
    self.maxIterations = maxIterations
    self.subproblemTolerance = subproblemTolerance
    self.subproblemMaxIterations = subproblemMaxIterations
    self.classification = classification
    self.standardErrors = standardErrors
    self.icConstant = icConstant
    self.icVariance = icVariance
    self.jackknife = jackknife
    self.icJackknifeIntercept = icJackknifeIntercept
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
  ///     K̂ = argmin_{K = 1..maxGroups} ln σ̂²(K) + ρ_NT·p·K,  ρ_NT = icConstant·(NT)^(−1/2),
  /// σ̂²(K) the post-Lasso residual variance of `icVariance`. K = 1 is pooled within OLS. A K whose fit
  /// throws gets IC = +∞ (and its error is kept in the selection's message).
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
    let raw: SlopePanel
    let data: SlopePanel
    let quadratics: UnitQuadratics
    let start: [Double]
    let lambda: Double

    init(_ panel: SlopePanel, _ settings: CLasso) throws {
      if settings.jackknife, panel.periods < 4 {
        throw EstimationError.invalidInput(
          "the half-panel jackknife needs T ≥ 4 periods (each half is demeaned on its own), not T = \(panel.periods)")
      }
      raw = panel
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
    var previousObjectiveSum: Double? = nil
    while iterations < maxIterations {
      iterations += 1
      let old = state
      let sweep = state.sweep(prepared.quadratics, lambda: prepared.lambda, settings: self)
      report.add(sweep)
      if hasConverged(state, from: old, objectiveSum: sweep.objectiveSum, previous: previousObjectiveSum) {
        converged = true
        break
      }
      previousObjectiveSum = sweep.objectiveSum
    }
    let classes = state.classification(relative: classification == .relativeDistance)
    let post = try GroupedSlopes.pooledOLS(data, groups: classes, count: k, covariance: standardErrors)
    let correction = jackknife ? try HalfPanelJackknife(data, groups: classes, count: k, full: post.slopes) : nil
    let reported = correction?.corrected ?? post.slopes
    let nonEmpty = post.sizes.filter { $0 > 0 }.count
    var ssr = GroupedSlopes.sumOfSquaredResiduals(data, groups: classes, slopes: reported)
    if let correction, icJackknifeIntercept {
      ssr += correction.interceptPenalty(prepared.raw, groups: classes, full: post.slopes)
    }
    let sigma2 = icVariance == .meanSquare ? ssr / Double(n * t) : ssr / Double(n * t - n - p * nonEmpty)
    let rho = icConstant / Double(n * t).squareRoot()
    let objective = state.objective(prepared.quadratics, lambda: prepared.lambda)
    return CLassoFit(
      groups: k, lambda: prepared.lambda, penalizedSlopes: state.alphas,
      unitSlopes: state.assignedSlopes(classes), classification: classes, postLasso: post, jackknife: correction,
      regressorNames: data.regressorNames, icVariance: sigma2,
      informationCriterion: log(sigma2) + rho * Double(p * k),
      summary: report.summary(converged: converged, iterations: iterations, objective: objective, cap: maxIterations),
      largestDualityGap: report.largestGap, subproblemIterations: report.newtonSteps)
  }

  /// The outer stopping rule (`convergence`) after one sweep.
  func hasConverged(_ new: PenalisedState, from old: PenalisedState, objectiveSum: Double, previous: Double?) -> Bool {
    switch convergence {
    case .allCopies:
      return new.relativeChange(from: old) < tolerance
    case .lastGroup:
      let k = new.alphas.count - 1
      let a = zip(new.alphas[k], old.alphas[k]).reduce(0) { $0 + abs($1.0 - $1.1) } / (old.alphas[k].reduce(0) { $0 + abs($1) } + 1e-4)
      let m = Double(new.betas[k].count)
      let db = zip(new.betas[k], old.betas[k]).reduce(0) { $0 + abs($1.0 - $1.1) } / m
      let b = db / (old.betas[k].reduce(0) { $0 + abs($1) } / m + 1e-4)
      return a < tolerance && b < tolerance
    case .objectiveAndCentres:
      guard let previous else { return false }
      let newA = new.alphas.flatMap { $0 }, oldA = old.alphas.flatMap { $0 }
      let change = zip(newA, oldA).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
      let size = oldA.reduce(0) { $0 + $1 * $1 }.squareRoot()
      return abs(objectiveSum - previous) < tolerance && change / (size + 1e-3) < tolerance
    }
  }
}

/// The half-panel jackknife of Dhaene & Jochmans (2015, Review of Economic Studies 82(3)) for the
/// post-Lasso slopes, with the classification held fixed: each group's pooled within OLS is refitted
/// on the first ⌊T/2⌋ periods and on the remaining ⌈T/2⌉ (each half demeaned on its own, so the unit
/// effects are re-estimated), and
///
///     α̂_k^{BC} = 2α̂_k − (α̂_k^{(a)} + α̂_k^{(b)})/2,
///
/// which removes the O(1/T) incidental-parameter (Nickell) bias of a dynamic panel. The standard
/// errors stay those of the uncorrected fit (as classifylasso reports them).
public struct HalfPanelJackknife: Sendable {
  /// α̂^{(a)} and α̂^{(b)} (K × p; NaN rows for empty groups).
  public let firstHalf: [[Double]]
  public let secondHalf: [[Double]]
  /// 2α̂ − (α̂^{(a)} + α̂^{(b)})/2.
  public let corrected: [[Double]]
  /// ⌊T/2⌋, the length of the first half.
  public let split: Int

  init(_ data: SlopePanel, groups: [Int], count: Int, full: [[Double]]) throws {
    let t = data.periods
    split = t / 2
    func half(_ range: Range<Int>, _ name: String) throws -> [[Double]] {
      do {
        return try GroupedSlopes.pooledOLS(
          data.periods(range).demeanedByUnit(), groups: groups, count: count, covariance: .none
        ).slopes
      } catch {
        throw EstimationError.numerical("the half-panel jackknife's \(name) half (periods \(range.lowerBound + 1)–\(range.upperBound)) is singular: \(error)")
      }
    }
    let a = try half(0..<split, "first")
    let b = try half(split..<t, "second")
    var c = full
    for k in 0..<count {
      for j in 0..<c[k].count { c[k][j] = 2 * full[k][j] - 0.5 * (a[k][j] + b[k][j]) }
    }
    firstHalf = a
    secondHalf = b
    corrected = c
  }
}

extension HalfPanelJackknife {
  /// Σ_k N_kT·d_k², classifylasso's extra term in the criterion's SSR (see `CLasso.icJackknifeIntercept`),
  /// from the raw (undemeaned) panel.
  func interceptPenalty(_ raw: SlopePanel, groups: [Int], full: [[Double]]) -> Double {
    let t = raw.periods, p = raw.regressors
    /// ȳ − x̄'b over the group's units and the periods `range`.
    func intercept(_ members: [Int], _ range: Range<Int>, _ b: [Double]) -> Double {
      var c = 0.0
      for i in members {
        for s in range {
          c += raw.y.elements[i * t + s]
          for j in 0..<p { c -= b[j] * raw.x.elements[(i * p + j) * t + s] }
        }
      }
      return c / Double(members.count * range.count)
    }
    var total = 0.0
    for k in corrected.indices {
      let members = (0..<raw.units).filter { groups[$0] == k }
      guard !members.isEmpty else { continue }
      let c = intercept(members, 0..<t, full[k]), ca = intercept(members, 0..<split, firstHalf[k])
      let cb = intercept(members, split..<t, secondHalf[k])
      let d = intercept(members, 0..<t, corrected[k]) - (2 * c - 0.5 * (ca + cb))
      total += Double(members.count * t) * d * d
    }
    return total
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
  /// Pooled within OLS per estimated group with the chosen covariance (uncorrected slopes).
  public let postLasso: GroupSlopeFit
  /// The half-panel jackknife, when asked for.
  public let jackknife: HalfPanelJackknife?
  /// The regressors' names (the panel's).
  public let regressorNames: [String]
  /// σ̂²(K) of the information criterion, at the reported slopes.
  public let icVariance: Double
  /// ln σ̂²(K) + ρ_NT·p·K.
  public let informationCriterion: Double
  /// Outer loop: converged, sweeps, the final penalised objective (with β = the last slope copy).
  public let summary: FitSummary
  /// The largest certified duality gap of the last sweep's subproblems.
  public let largestDualityGap: Double
  /// Newton steps over all subproblems.
  public let subproblemIterations: Int

  /// The reported post-Lasso slopes: jackknife-corrected when the correction was asked for.
  public var slopes: [[Double]] { jackknife?.corrected ?? postLasso.slopes }

  /// Group k's slopes as Wald estimates named after the regressors (with the post-Lasso SE; the bare
  /// value when there is none; not identified for an empty group).
  public func estimates(group k: Int) -> [Estimate] {
    regressorNames.enumerated().map { j, name in
      let value = slopes[k][j]
      guard value.isFinite else { return .notIdentified(name) }
      return GroupSlopeFit.wald(name, value: value, se: postLasso.standardError(group: k, component: j))
    }
  }
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

  public init(criteria: [Double], selected: Int, fits: [CLassoFit?], failures: [String]) {
    self.criteria = criteria
    self.selected = selected
    self.fits = fits
    self.failures = failures
  }
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

  /// ĝ_i = argmin_k ‖β_i^{(k)} − α_k‖ (ties to the lower k), or argmin_k ‖β_i^{(k)} − α_k‖/‖α_k‖
  /// when `relative`.
  func classification(relative: Bool = false) -> [Int] {
    let scale: [Double] = alphas.map { (a: [Double]) -> Double in
      guard relative else { return 1 }
      var s = 0.0
      for v in a { s += v * v }
      return 1 / s.squareRoot()
    }
    return (0..<units).map { (i: Int) -> Int in
      var best = 0
      for k in 1..<max(1, alphas.count) where distances[k][i] * scale[k] < distances[best][i] * scale[best] { best = k }
      return best
    }
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
  /// Σ over the sweep's subproblems of their minimum (classifylasso's stopping quantity).
  var objectiveSum = 0.0

  mutating func record(_ s: ShrinkageSolution, group: Int) {
    objectiveSum += s.objective
    largestGap = max(largestGap, s.gap)
    newtonSteps += s.iterations
    if !s.converged { unsolved.append("group \(group + 1) stopped at duality gap \(s.gap) (objective \(s.objective))") }
  }

  /// Keeps the last sweep's largest gap and the unsolved list of the last sweep, accumulates steps.
  mutating func add(_ sweep: SweepReport) {
    largestGap = sweep.largestGap
    objectiveSum = sweep.objectiveSum
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
