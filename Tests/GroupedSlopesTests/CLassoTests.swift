import DataGeneration
import Estimators
import LinearAlgebra
import RandomStreams
import Testing
import TestSupport

@Suite struct CLassoTests {
  static func panel(_ s: GroupedSlopesSample) throws -> SlopePanel {
    try SlopePanel(y: s.y, x: s.x, regressors: s.regressors)
  }

  /// Well separated groups (C = 1: α = (0, 2), (1, 1), (2, 0)) and T = 120: every unit-by-unit
  /// estimate is within a few 0.1/√… of its group, so C-Lasso classifies every unit correctly, and
  /// then post-Lasso *is* the oracle (same units, same order, same code path): equal to the last bit.
  @Test func perfectClassificationGivesTheOracle() throws {
    let s = try GroupedSlopesPanel(units: 60, periods: 120, separation: 1).draw(using: testStream("separated"))
    let panel = try Self.panel(s)
    let fit = try CLasso().fit(panel, groups: 3)
    #expect(fit.summary.converged)
    #expect(fit.largestDualityGap <= 1e-10 * (fit.summary.objective ?? 0) + 1e-12)
    let mapping = GroupMatching.match(estimated: fit.postLasso.slopes, truth: s.slopes)
    #expect(GroupMatching.accuracy(estimated: fit.classification, truth: s.group, mapping: mapping) == 1)
    let oracle = try GroupedSlopes.pooledWithin(panel, groups: s.group, count: 3)
    for g in 0..<3 {
      let m = try #require(mapping[g])
      #expect(fit.postLasso.slopes[m] == oracle.slopes[g])
      #expect(fit.postLasso.standardError(group: m, component: 1) == oracle.standardError(group: g, component: 1))
      #expect(fit.postLasso.sizes[m] == oracle.sizes[g])
    }
  }

  /// On the same clear design the information criterion picks K = 3: ln σ̂² drops sharply from
  /// K = 1 to 3 and not beyond, while the penalty grows by (2/3)(NT)^(−1/2)·p per group.
  @Test func informationCriterionPicksThreeGroups() throws {
    let s = try GroupedSlopesPanel(units: 60, periods: 120, separation: 1).draw(using: testStream("separated"))
    let selection = try CLasso().selectGroups(try Self.panel(s), maxGroups: 5)
    #expect(selection.selected == 3)
    #expect(selection.criteria.count == 5 && selection.failures.isEmpty)
    #expect(selection.criteria[2] < selection.criteria[1] && selection.criteria[1] < selection.criteria[0])
    // K = 1 is the pooled within estimator.
    let pooled = try GroupedSlopes.pooledWithin(try Self.panel(s), groups: [Int](repeating: 0, count: 60), count: 1)
    #expect(selection.fits[0]?.postLasso.slopes == pooled.slopes)
  }

  /// Factors in y and in x bias least squares that ignores them (here by ≈ +0.4 on every slope,
  /// > 10 SEs); C-Lasso-IFE recovers the slopes. Each IFE estimate is compared with the truth in
  /// units of its Bai (2009) SE: |z| < 4 for all six (a N(0,1) exceeds 4 with probability 6·10⁻⁵).
  @Test func interactiveEffectsRemoveTheFactorBias() throws {
    let s = try GroupedSlopesPanel(preset: .suJu, units: 100, periods: 40).draw(using: testStream("factors", 1))
    let panel = try Self.panel(s)
    let plain = try CLasso().fit(panel, groups: 3)
    let ife = try CLassoIFE(factors: 2).fit(panel, groups: 3)
    #expect(ife.summary.converged)
    let slopes = ife.postLasso.groupSlopes
    let mIFE = GroupMatching.match(estimated: slopes.slopes, truth: s.slopes)
    let mPlain = GroupMatching.match(estimated: plain.postLasso.slopes, truth: s.slopes)
    #expect(GroupMatching.accuracy(estimated: ife.classification, truth: s.group, mapping: mIFE) >= 0.95)
    for g in 0..<3 {
      for j in 0..<2 {
        let m = try #require(mIFE[g]), mp = try #require(mPlain[g])
        let z = (slopes.slopes[m][j] - s.slopes[g][j]) / slopes.standardError(group: m, component: j)
        #expect(abs(z) < 4)
        let bias = plain.postLasso.slopes[mp][j] - s.slopes[g][j]
        #expect(bias > 10 * plain.postLasso.standardError(group: mp, component: j))
      }
    }
    #expect(ife.postLasso.factors.cols == 2 && ife.postLasso.loadings.rows == 100)
  }

  /// The HAC covariance against a direct computation on small data: within transformation, the
  /// normal equations with a 2×2 inverse, and Ω = Σ_i Σ_s Σ_t w(|s−t|) h_is h_it' as an explicit
  /// double sum over periods (the library uses lag-shifted matrix products instead).
  @Test func hacCovarianceMatchesDirectComputation() throws {
    let rng = testStream("hac")
    let n = 4, t = 7, lags = 2
    let groups = [0, 2, 0, 0]  // group 1 empty, group 2 a single unit
    var y = Matrix(rows: t, cols: n), x = Matrix(rows: t, cols: 2 * n)
    for i in 0..<n {
      for s in 0..<t {
        x[s, 2 * i] = rng.normal() + Double(i)
        x[s, 2 * i + 1] = rng.normal()
        y[s, i] = x[s, 2 * i] - 0.5 * x[s, 2 * i + 1] + rng.normal() + 3 * Double(i)
      }
    }
    let fit = try GroupedSlopes.pooledWithin(try SlopePanel(y: y, x: x, regressors: 2), groups: groups, count: 3, bandwidth: lags)
    #expect(fit.sizes == [3, 0, 1])
    #expect(fit.slopes[1].allSatisfy { $0.isNaN })
    for k in [0, 2] {
      let members = (0..<n).filter { groups[$0] == k }
      // Demeaned data of the group.
      let units = (members).map { ShrinkageSubproblemTests.demeanedUnit(y, x, unit: $0) }
      let (xs, ys) = (units.map(\.x), units.map(\.y))
      var q: [[Double]] = [[0, 0], [0, 0]], r: [Double] = [0, 0]
      for (xi, yi) in zip(xs, ys) {
        for s in 0..<t {
          for a in 0..<2 {
            r[a] += xi[s][a] * yi[s]
            for b in 0..<2 { q[a][b] += xi[s][a] * xi[s][b] }
          }
        }
      }
      let qi = ShrinkageSubproblemTests.inverse2(q)
      let alpha = ShrinkageSubproblemTests.times(qi, r)
      #expect(close(fit.slopes[k][0], alpha[0], 1e-12) && close(fit.slopes[k][1], alpha[1], 1e-12))
      var omega: [[Double]] = [[0, 0], [0, 0]]
      for (xi, yi) in zip(xs, ys) {
        let e = (0..<t).map { yi[$0] - xi[$0][0] * alpha[0] - xi[$0][1] * alpha[1] }
        for s in 0..<t {
          for u in 0..<t where abs(s - u) <= lags {
            let weight = 1 - Double(abs(s - u)) / Double(lags + 1)
            for a in 0..<2 { for b in 0..<2 { omega[a][b] += weight * xi[s][a] * e[s] * e[u] * xi[u][b] } }
          }
        }
      }
      for a in 0..<2 {
        for b in 0..<2 {
          var v = 0.0
          for c in 0..<2 { for d in 0..<2 { v += qi[a][c] * omega[c][d] * qi[d][b] } }
          #expect(close(fit.covariance[2 * k + a, 2 * k + b], v, 1e-10))
        }
      }
    }
    // Groups use disjoint units: no cross-group covariance.
    #expect(fit.covariance[0, 4] == 0 && fit.covariance[1, 5] == 0)
  }

  /// Bai's (2009) covariance of the grouped IFE against its textbook form on small data (p = 1,
  /// K = 2, R = 1): Z_i^{(k)} = M_F(1[g_i = k]x̃_i − (1/N)Σ_j a_ij 1[g_j = k]x̃_j) with
  /// a_ij = λ_i'(Λ'Λ/N)⁻¹λ_j, D = Σ_i Z_i'Z_i (2×2, inverted in closed form), Var = σ̂²D⁻¹ with
  /// σ̂² = SSR/(N(T−1) − (N+T)R − Kp), all as explicit sums over units and periods from the fitted
  /// F̂ and Λ̂ (the library uses M_F·X·M_Λ matrix products instead).
  @Test func interactiveEffectsCovarianceMatchesBaiFormula() throws {
    let rng = testStream("bai")
    let n = 12, t = 10
    let f = rng.normals(t), lambda = rng.normals(n)
    let groups = (0..<n).map { $0 % 2 }
    var y = Matrix(rows: t, cols: n), x = Matrix(rows: t, cols: n)
    for i in 0..<n {
      for s in 0..<t {
        x[s, i] = 1 + lambda[i] * f[s] + rng.normal()
        y[s, i] = (groups[i] == 0 ? 0.5 : 1.5) * x[s, i] + lambda[i] * f[s] + 0.5 * rng.normal()
      }
    }
    let fit = try GroupedSlopes.interactiveEffects(try SlopePanel(y: y, x: x, regressors: 1), groups: groups, count: 2, factors: 1)
    #expect(fit.groupSlopes.summary.converged)
    let fh = fit.factors.column(0), lh = fit.loadings.column(0)
    let alpha = fit.groupSlopes.slopes.map { $0[0] }
    func demeaned(_ v: [Double]) -> [Double] {
      let m = v.reduce(0, +) / Double(v.count)
      return v.map { $0 - m }
    }
    func annihilate(_ v: [Double]) -> [Double] {
      let c = zip(fh, v).reduce(0) { $0 + $1.0 * $1.1 } / Double(t)
      return zip(v, fh).map { $0 - c * $1 }
    }
    let xd = (0..<n).map { i in demeaned((0..<t).map { x[$0, i] }) }
    let yd = (0..<n).map { i in demeaned((0..<t).map { y[$0, i] }) }
    var ssr = 0.0
    for i in 0..<n {
      let e = annihilate((0..<t).map { yd[i][$0] - alpha[groups[i]] * xd[i][$0] })
      ssr += e.reduce(0) { $0 + $1 * $1 }
    }
    let lambdaScale = lh.reduce(0) { $0 + $1 * $1 } / Double(n)
    var d: [[Double]] = [[0, 0], [0, 0]]
    for i in 0..<n {
      let z = (0..<2).map { k in
        annihilate((0..<t).map { s in
          var v = groups[i] == k ? xd[i][s] : 0
          for j in 0..<n where groups[j] == k { v -= lh[i] * lh[j] / lambdaScale / Double(n) * xd[j][s] }
          return v
        })
      }
      for a in 0..<2 { for b in 0..<2 { d[a][b] += zip(z[a], z[b]).reduce(0) { $0 + $1.0 * $1.1 } } }
    }
    let sigma2 = ssr / Double(n * (t - 1) - (n + t) - 2)
    let dInverse = ShrinkageSubproblemTests.inverse2(d)
    for a in 0..<2 { for b in 0..<2 { #expect(close(fit.groupSlopes.covariance[a, b], sigma2 * dInverse[a][b], 1e-9)) } }
  }

  @Test(arguments: [(1, 1), (2, 2), (16, 2), (17, 3), (20, 3), (40, 3), (81, 3), (82, 4)])
  func bandwidthIsTheCeilingOfTheFourthRoot(_ t: Int, _ expected: Int) {
    #expect(GroupedSlopes.hacBandwidth(periods: t) == expected)
  }

  @Test func matchingByNearestSlopes() {
    let truth: [[Double]] = [[0.4, 1.6], [1, 1], [1.6, 0.4]]
    // A permutation of noisy truths.
    #expect(GroupMatching.match(estimated: [[1.5, 0.5], [0.5, 1.5], [1.1, 0.9]], truth: truth) == [1, 2, 0])
    // Two estimated groups: the middle one is left out (matching it would cost more).
    #expect(GroupMatching.match(estimated: [[0.5, 1.6], [1.6, 0.5]], truth: truth) == [0, nil, 1])
    // Four estimated groups, one empty (NaN) and one spurious.
    let four: [[Double]?] = [[Double.nan, .nan], [3, 3], [1, 1.1], [0.3, 1.7]]
    #expect(GroupMatching.match(estimated: four + [[1.7, 0.3]], truth: truth) == [3, 2, 4])
    // Accuracy: units 0..3 truly in groups 0, 0, 1, 2; estimated labels under mapping [1, 2, 0].
    #expect(GroupMatching.accuracy(estimated: [1, 1, 0, 0], truth: [0, 0, 1, 2], mapping: [1, 2, 0]) == 0.75)
  }

  @Test func collinearUnitIsRejected() throws {
    let s = try GroupedSlopesPanel(units: 10, periods: 8).draw(using: testStream("collinear"))
    var x = s.x
    for t in 0..<8 { x[t, 5] = 2 * x[t, 4] + 1 }  // unit 2: second regressor = 2·first + 1
    let panel = try SlopePanel(y: s.y, x: x, regressors: 2)
    #expect(throws: EstimationError.self) { try CLasso().fit(panel, groups: 3) }
    #expect(throws: EstimationError.self) { try GroupedSlopes.unitByUnit(panel) }
  }
}
