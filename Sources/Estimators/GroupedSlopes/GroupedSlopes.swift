import Foundation
import LinearAlgebra

/// Group-level slope estimates α̂_k (K × p) with their joint covariance, from a pooled fit of
/// y_it = α_{g(i)}'x_it + (effects) + ε_it for a given classification g.
public struct GroupSlopeFit: Sendable {
  /// α̂_k; a row of NaN for a group with no units.
  public let slopes: [[Double]]
  /// The Kp×Kp covariance of vec(α̂') (group-major: entry k·p + j is α̂_kj); NaN for empty groups.
  public let covariance: Matrix
  /// N_k, the number of units in each group.
  public let sizes: [Int]
  /// SSR/(NT), the mean squared residual (σ̂² of the information criterion).
  public let meanSquaredResidual: Double
  public let summary: FitSummary

  /// The standard error of α̂_kj.
  public func standardError(group k: Int, component j: Int) -> Double {
    let p = slopes.first?.count ?? 0
    return covariance[k * p + j, k * p + j].squareRoot()
  }

  /// α̂_kj as a Wald estimate: value, SE, 95% interval α̂ ± 1.96·SE and p-value; not identified
  /// for an empty group.
  public func estimate(_ estimand: String, group k: Int, component j: Int) -> Estimate {
    guard slopes[k][j].isFinite else { return .notIdentified(estimand) }
    return GroupSlopeFit.wald(estimand, value: slopes[k][j], se: standardError(group: k, component: j))
  }

  /// A Wald estimate, or the bare value when there is no finite SE (covariance `.none`, or a
  /// one-unit group under clustering).
  static func wald(_ estimand: String, value: Double, se: Double) -> Estimate {
    se.isFinite ? .wald(estimand, value: value, se: se) : Estimate(estimand: estimand, value: value)
  }
}

/// The non-penalised grouped-slope estimators: unit-by-unit OLS, pooled within OLS per group (the
/// C-Lasso post-Lasso step, the oracle with the true groups, pooled FE with one group), and the
/// HAC covariance they share.
/// The covariance of pooled within OLS per group (the post-Lasso step), as the references offer it.
/// Each is computed group by group on the unit-demeaned stacked design X̃_k (n_k = N_k·T rows, p
/// columns), residuals ê and Q_k = X̃_k'X̃_k; groups use disjoint units, so the joint covariance is block
/// diagonal. See Docs/GroupedSlopes.md §3.
public enum PostLassoCovariance: Sendable, Equatable, CustomStringConvertible {
  /// Newey–West (Bartlett) within each unit, summed over units: Q⁻¹ΩQ⁻¹,
  /// Ω = Σ_i Σ_{s,t} w(|s−t|) x̃_is ê_is ê_it x̃_it', w(l) = 1 − l/(L+1) for l ≤ L; no small-sample factor.
  case hac(HACLags)
  /// Homoskedastic: s²Q⁻¹ with s² = SSR_k/(n_k − N_k − p), the residual degrees of freedom after the
  /// N_k unit means and p slopes (reghdfe's and xtreg, fe's default, as classifylasso reports it).
  case conventional
  /// Heteroskedasticity-robust (HC1): Q⁻¹(Σ x̃_it x̃_it' ê_it²)Q⁻¹ · n_k/(n_k − N_k − p).
  case robust
  /// Clustered by unit: Q⁻¹(Σ_i X̃_i'ê_i ê_i'X̃_i)Q⁻¹ · N_k/(N_k − 1) · (n_k − 1)/(n_k − p − 1) (the unit
  /// effects are nested in the clusters, so they do not count against the degrees of freedom); NaN for
  /// a one-unit group.
  case clusterByUnit
  /// No standard errors (R `classo` reports none): NaN covariance, estimates without SE.
  case none

  public var description: String {
    switch self {
    case .hac(let lags): "HAC (Bartlett within unit, \(lags))"
    case .conventional: "conventional (homoskedastic, df = NT − N − p per group)"
    case .robust: "heteroskedasticity-robust (HC1)"
    case .clusterByUnit: "clustered by unit"
    case .none: "none"
    }
  }
}

/// The number of lags L of the Bartlett HAC covariance.
public enum HACLags: Sendable, Equatable, CustomStringConvertible {
  /// L = ⌈T^{1/4}⌉ (weights 1 − l/(L+1)).
  case fourthRoot
  /// L = ⌈T^{1/4}⌉ − 1: classifylasso's kernel 1 − |s−t|/M_T with M_T = ⌈T^{1/4}⌉, which is zero at
  /// lag M_T, i.e. Bartlett weights 1 − l/(L+1) with L = M_T − 1.
  case fourthRootMinusOne
  /// A given L ≥ 0.
  case fixed(Int)

  public func lags(periods t: Int) -> Int {
    switch self {
    case .fourthRoot: GroupedSlopes.hacBandwidth(periods: t)
    case .fourthRootMinusOne: max(0, GroupedSlopes.hacBandwidth(periods: t) - 1)
    case .fixed(let l): l
    }
  }

  public var description: String {
    switch self {
    case .fourthRoot: "L = ⌈T^(1/4)⌉"
    case .fourthRootMinusOne: "L = ⌈T^(1/4)⌉ − 1"
    case .fixed(let l): "L = \(l)"
    }
  }
}

public enum GroupedSlopes {
  /// The default HAC bandwidth L = ⌈T^{1/4}⌉ (the smallest integer with L⁴ ≥ T, so exact at
  /// perfect fourth powers).
  public static func hacBandwidth(periods t: Int) -> Int {
    var l = 0
    while l * l * l * l < t { l += 1 }
    return l
  }

  /// Unit-by-unit within OLS: β̂_i = (X̃_i'X̃_i)⁻¹X̃_i'ỹ_i on unit-demeaned data (Householder QR per
  /// unit). Returns N rows of p slopes. Throws when a unit's demeaned regressors are collinear.
  public static func unitByUnit(_ panel: SlopePanel) throws -> [[Double]] {
    let data = panel.demeanedByUnit()
    let flat = try unitLeastSquares(data)
    let p = panel.regressors
    return (0..<panel.units).map { Array(flat[($0 * p)..<(($0 + 1) * p)]) }
  }

  /// Pooled within OLS per group: for each k, α̂_k = (Σ_{i∈G_k} X̃_i'X̃_i)⁻¹ Σ_{i∈G_k} X̃_i'ỹ_i on
  /// unit-demeaned data (QR of the stacked group design), with the panel HAC covariance
  ///     V_k = Q_k⁻¹ Ω_k Q_k⁻¹,  Q_k = Σ_{i∈G_k} X̃_i'X̃_i,
  ///     Ω_k = Σ_{i∈G_k} Σ_{s,t} w(|s−t|) x̃_is ê_is ê_it x̃_it',  w(l) = 1 − l/(L+1) for l ≤ L (Bartlett),
  /// i.e. Newey–West within each unit, summed over independent units, L = ⌈T^{1/4}⌉ by default; no
  /// small-sample correction. Groups use disjoint units, so the covariance is block diagonal.
  /// With one group this is the pooled fixed-effects estimator; with the true groups, the oracle.
  ///
  /// - Parameters:
  ///   - groups: each unit's group, 0..<count.
  public static func pooledWithin(_ panel: SlopePanel, groups: [Int], count: Int, bandwidth: Int? = nil) throws
    -> GroupSlopeFit
  {
    try pooledOLS(panel.demeanedByUnit(), groups: groups, count: count, covariance: .hac(bandwidth.map { .fixed($0) } ?? .fourthRoot))
  }

  /// `pooledWithin` with any of the covariances of `PostLassoCovariance`.
  public static func pooledWithin(_ panel: SlopePanel, groups: [Int], count: Int, covariance: PostLassoCovariance) throws
    -> GroupSlopeFit
  {
    try pooledOLS(panel.demeanedByUnit(), groups: groups, count: count, covariance: covariance)
  }

  /// `pooledWithin` on data that is already transformed (demeaned, or demeaned and factor-projected).
  static func pooledOLS(_ data: SlopePanel, groups: [Int], count: Int, covariance kind: PostLassoCovariance) throws
    -> GroupSlopeFit
  {
    let n = data.units, t = data.periods, p = data.regressors
    precondition(groups.count == n && groups.allSatisfy { $0 >= 0 && $0 < count }, "one group in 0..<count per unit")
    var slopes = [[Double]](repeating: [Double](repeating: .nan, count: p), count: count)
    var covariance = Matrix(rows: count * p, cols: count * p)
    var sizes = [Int](repeating: 0, count: count)
    var ssr = 0.0
    for k in 0..<count {
      let members = (0..<n).filter { groups[$0] == k }
      sizes[k] = members.count
      if members.isEmpty {
        for r in (k * p)..<((k + 1) * p) {
          for c in 0..<(count * p) {
            covariance[r, c] = .nan
            covariance[c, r] = .nan
          }
        }
        continue
      }
      let (x, y) = stack(data, members)
      let a: [Double]
      do { a = try x.leastSquares(y) } catch {
        throw EstimationError.numerical("group \(k)'s pooled regressors are collinear (\(error))")
      }
      let fitted = x.multiplied(byVector: a)
      let e = zip(y, fitted).map { $0 - $1 }
      ssr += dot(e, e)
      let v = try groupCovariance(kind, design: x, residuals: e, periods: t, units: members.count)
      slopes[k] = a
      for r in 0..<p { for c in 0..<p { covariance[k * p + r, k * p + c] = v[r, c] } }
    }
    return GroupSlopeFit(
      slopes: slopes, covariance: covariance, sizes: sizes, meanSquaredResidual: ssr / Double(n * t), summary: .exact)
  }

  /// One group's covariance of the kind asked for (see `PostLassoCovariance`), from its stacked
  /// demeaned design (`units` blocks of T rows) and residuals.
  static func groupCovariance(_ kind: PostLassoCovariance, design x: Matrix, residuals e: [Double], periods t: Int, units: Int)
    throws -> Matrix
  {
    let rows = x.rows, p = x.cols
    let df = Double(rows - units - p)
    switch kind {
    case .hac(let rule):
      return try sandwich(bread: x.gram(), meat: hacMeat(x, residuals: e, periods: t, bandwidth: rule.lags(periods: t)))
    case .conventional:
      guard df > 0 else { return Matrix(rows: p, cols: p, repeating: .nan) }
      let chol: Cholesky
      do { chol = try Cholesky(x.gram()) } catch { throw EstimationError.numerical("the pooled design is singular (\(error))") }
      let s2 = dot(e, e) / df
      var v = try chol.inverse()
      for k in 0..<(p * p) { v.elements[k] *= s2 }
      return v
    case .robust:
      guard df > 0 else { return Matrix(rows: p, cols: p, repeating: .nan) }
      var v = try sandwich(bread: x.gram(), meat: hacMeat(x, residuals: e, periods: t, bandwidth: 0))
      let q = Double(rows) / df
      for k in 0..<(p * p) { v.elements[k] *= q }
      return v
    case .clusterByUnit:
      guard units > 1, rows - p - 1 > 0 else { return Matrix(rows: p, cols: p, repeating: .nan) }
      // Ω = Σ_i s_i s_i', s_i = X̃_i'ê_i: the HAC meat with every lag at full weight.
      var scores = Matrix(rows: units, cols: p)
      for j in 0..<p {
        for b in 0..<units {
          var s = 0.0
          for r in (b * t)..<((b + 1) * t) { s += x.elements[j * rows + r] * e[r] }
          scores[b, j] = s
        }
      }
      var v = try sandwich(bread: x.gram(), meat: scores.gram())
      let g = Double(units), n = Double(rows)
      let q = g / (g - 1) * (n - 1) / (n - Double(p) - 1)
      for k in 0..<(p * p) { v.elements[k] *= q }
      return v
    case .none:
      return Matrix(rows: p, cols: p, repeating: .nan)
    }
  }

  /// SSR of every unit at its group's slopes, Σ_i ‖y_i − X_iα_{g(i)}‖² (groups with non-finite
  /// slopes are empty and contribute nothing).
  static func sumOfSquaredResiduals(_ data: SlopePanel, groups: [Int], slopes: [[Double]]) -> Double {
    let p = data.regressors
    var beta = [Double](repeating: 0, count: data.units * p)
    for i in 0..<data.units { for j in 0..<p { beta[i * p + j] = slopes[groups[i]][j] } }
    let e = residuals(data, slopes: beta)
    return dot(e.elements, e.elements)
  }

  /// The group's units stacked: ((N_k·T)×p design, N_k·T response), unit by unit.
  static func stack(_ data: SlopePanel, _ members: [Int]) -> (Matrix, [Double]) {
    let t = data.periods, p = data.regressors, rows = members.count * t
    var x = Matrix(rows: rows, cols: p)
    var y = [Double](repeating: 0, count: rows)
    for (m, i) in members.enumerated() {
      for s in 0..<t { y[m * t + s] = data.y.elements[i * t + s] }
      for j in 0..<p {
        let src = (i * p + j) * t
        for s in 0..<t { x.elements[j * rows + m * t + s] = data.x.elements[src + s] }
      }
    }
    return (x, y)
  }

  /// Ω = Σ_l w(l)·(Γ_l + Γ_l') with Γ_0 = H'H, Γ_l = Σ_i Σ_{t≥l} h_it h_{i,t−l}', h_it = x_it e_it,
  /// for a design stacked unit by unit in blocks of T rows. Each Γ_l is one `dgemm` of H with its
  /// copy shifted by l rows inside every unit block (zero-padded). O(N T p² L).
  static func hacMeat(_ x: Matrix, residuals e: [Double], periods t: Int, bandwidth lags: Int) -> Matrix {
    let rows = x.rows, p = x.cols
    var h = x
    for j in 0..<p { for r in 0..<rows { h.elements[j * rows + r] *= e[r] } }
    var omega = h.gram()
    let blocks = rows / t
    for l in stride(from: 1, through: min(lags, t - 1), by: 1) {
      let weight = 1 - Double(l) / Double(lags + 1)
      var shifted = Matrix(rows: rows, cols: p)
      for j in 0..<p {
        for b in 0..<blocks {
          let base = j * rows + b * t
          for s in l..<t { shifted.elements[base + s] = h.elements[base + s - l] }
        }
      }
      let gamma = h.multiplied(by: shifted, transposeSelf: true)
      for r in 0..<p { for c in 0..<p { omega[r, c] += weight * (gamma[r, c] + gamma[c, r]) } }
    }
    return omega
  }

  /// Q⁻¹ΩQ⁻¹ by two Cholesky solves (symmetrised).
  static func sandwich(bread q: Matrix, meat omega: Matrix) throws -> Matrix {
    let chol: Cholesky
    do { chol = try Cholesky(q) } catch {
      throw EstimationError.numerical("the pooled design is singular (\(error))")
    }
    let half = try chol.solve(omega)
    var v = try chol.solve(half.transposed)
    for r in 0..<v.rows { for c in 0..<r { v[r, c] = 0.5 * (v[r, c] + v[c, r]) } }
    v.symmetrizeFromLower()
    return v
  }

  /// Unit-by-unit least squares on already transformed data (QR per unit), flat N·p.
  static func unitLeastSquares(_ data: SlopePanel) throws -> [Double] {
    let p = data.regressors
    var beta = [Double](repeating: 0, count: data.units * p)
    for i in 0..<data.units {
      do {
        let b = try data.unitRegressors(i).leastSquares(data.unitResponse(i))
        for j in 0..<p { beta[i * p + j] = b[j] }
      } catch {
        throw EstimationError.invalidInput(
          "unit \(i)'s regressors are collinear after the within (or factor) transformation, so its own slopes are not identified"
        )
      }
    }
    return beta
  }

  /// The residuals y_i − X_iβ_i of every unit (T×N) for unit slopes β (N·p). O(NTp) axpys.
  static func residuals(_ data: SlopePanel, slopes beta: [Double]) -> Matrix {
    let t = data.periods, p = data.regressors
    var e = data.y
    for i in 0..<data.units {
      for j in 0..<p {
        let b = beta[i * p + j]
        if b == 0 { continue }
        let src = (i * p + j) * t
        for s in 0..<t { e.elements[i * t + s] -= b * data.x.elements[src + s] }
      }
    }
    return e
  }
}
