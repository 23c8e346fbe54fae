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
    return .wald(estimand, value: slopes[k][j], se: standardError(group: k, component: j))
  }
}

/// The non-penalised grouped-slope estimators: unit-by-unit OLS, pooled within OLS per group (the
/// C-Lasso post-Lasso step, the oracle with the true groups, pooled FE with one group), and the
/// HAC covariance they share.
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
    try pooledOLS(panel.demeanedByUnit(), groups: groups, count: count, bandwidth: bandwidth)
  }

  /// `pooledWithin` on data that is already transformed (demeaned, or demeaned and factor-projected).
  static func pooledOLS(_ data: SlopePanel, groups: [Int], count: Int, bandwidth: Int?) throws -> GroupSlopeFit {
    let n = data.units, t = data.periods, p = data.regressors
    precondition(groups.count == n && groups.allSatisfy { $0 >= 0 && $0 < count }, "one group in 0..<count per unit")
    let lags = bandwidth ?? hacBandwidth(periods: t)
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
      let v = try sandwich(bread: x.gram(), meat: hacMeat(x, residuals: e, periods: t, bandwidth: lags))
      slopes[k] = a
      for r in 0..<p { for c in 0..<p { covariance[k * p + r, k * p + c] = v[r, c] } }
    }
    return GroupSlopeFit(
      slopes: slopes, covariance: covariance, sizes: sizes, meanSquaredResidual: ssr / Double(n * t), summary: .exact)
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
