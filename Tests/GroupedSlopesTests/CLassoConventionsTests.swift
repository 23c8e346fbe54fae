import DataGeneration
import Estimators
import Foundation
import LinearAlgebra
import RandomStreams
import Testing
import TestSupport

/// The reference conventions (presets), the post-Lasso covariances, the information criterion's
/// variants, the half-panel jackknife and named coefficients.
@Suite struct CLassoConventionsTests {
  /// R classo's README example (github.com/zhan-gao/classo, README.md "Examples"): `sample_data`
  /// (the package's data/sample_data.rda, DGP 1 of Su, Shi & Phillips 2016 with N = 200, T = 25,
  /// already unit-demeaned; copied to Tests/Fixtures/classo_sample_data.csv, y and x stacked with
  /// T the fast index), λ = 0.5·var(y)/T^(1/3), `PLS.cvxr(n, tt, y, x, K = 3, lambda)`. The README
  /// prints the post-Lasso slopes
  ///     [1.0387521 0.9986867; 0.4017041 1.6014119; 1.6197497 0.3614408]
  /// and the estimated groups below (labels 1, 2, 3 as R numbers them).
  static let readmeSlopes: [[Double]] = [[1.0387521, 0.9986867], [0.4017041, 1.6014119], [1.6197497, 0.3614408]]
  static let readmeGroups: [Int] = {
    // Runs of (label, count) read off the README's printed vector.
    let runs: [(Int, Int)] = [
      (2, 36), (1, 1), (2, 23), (1, 26), (3, 1), (1, 13), (2, 1), (1, 19), (3, 13), (1, 1), (3, 1), (1, 1), (3, 64),
    ]
    return runs.flatMap { [Int](repeating: $0.0, count: $0.1) }
  }()

  static func readmePanel() throws -> SlopePanel {
    let table = try LongTable(contentsOfCSV: packageRoot.appendingPathComponent("Tests/Fixtures/classo_sample_data.csv"))
    guard case .numeric(let y) = try table.column("y"), case .numeric(let x1) = try table.column("x1"),
      case .numeric(let x2) = try table.column("x2")
    else { throw EstimationError.invalidInput("fixture columns") }
    let n = 200, t = 25
    var ym = Matrix(rows: t, cols: n), xm = Matrix(rows: t, cols: 2 * n)
    for i in 0..<n {
      for s in 0..<t {
        ym[s, i] = y[i * t + s]
        xm[s, 2 * i] = x1[i * t + s]
        xm[s, 2 * i + 1] = x2[i * t + s]
      }
    }
    return try SlopePanel(y: ym, x: xm, regressors: 2, names: ["X1", "X2"])
  }

  @Test func classoPresetReproducesTheReadmeExample() throws {
    #expect(Self.readmeGroups.count == 200)
    let panel = try Self.readmePanel()
    let classo = CLasso.classo()
    // λ = 0.5·var(y)/25^(1/3) with var over all 5000 values (the data are already demeaned).
    let fit = try classo.fit(panel, groups: 3)
    #expect(fit.summary.converged)
    // Labels are arbitrary: match ours to R's by the slopes, then compare unit by unit.
    let mapping = GroupMatching.match(estimated: fit.slopes, truth: Self.readmeSlopes)
    let ours = fit.classification
    var agree = 0
    for i in 0..<200 where mapping[Self.readmeGroups[i] - 1] == ours[i] { agree += 1 }
    #expect(agree == 200)
    for g in 0..<3 {
      let m = try #require(mapping[g])
      for j in 0..<2 { #expect(abs(fit.slopes[m][j] - Self.readmeSlopes[g][j]) < 5e-7) }
    }
    // R reports no standard errors; neither does the preset.
    #expect(fit.estimates(group: 0).allSatisfy { $0.se == nil && $0.estimand.hasPrefix("X") })
  }

  // MARK: - The savings application (Su, Shi & Phillips 2016, §5) with classifylasso's conventions

  /// classifylasso's saving.dta (SSC, ssc-mirror labordynamicsinstitute/ssc-mirror @ ffd5a4d3,
  /// fmwww.bc.edu/repec/bocode/s/saving.dta: 56 countries × 15 years, each variable standardised
  /// within country), copied as Tests/Fixtures/ssp_saving.csv.
  static func savings(_ covariates: [String]) throws -> SlopePanel {
    let table = try LongTable(contentsOfCSV: packageRoot.appendingPathComponent("Tests/Fixtures/ssp_saving.csv"))
    return try SlopePanel(LongPanel(table: table, unit: "code", time: "year", outcome: "savings", covariates: covariates))
  }

  /// The published dynamic fit (Huang, Wang & Zhou 2024, "Identifying latent structures in panel
  /// data: The classifylasso command", Stata Journal 24(1), §3.4, the replication of Su, Shi &
  /// Phillips 2016): `classifylasso savings lagsavings cpi interest gdp, group(1/5) lambda(1.5485)
  /// tol(1e-4) dynamic` selects K̂ = 2 (IC −.359883766 at K = 1, −.369981214 at K = 2) with 31 and 25
  /// countries (membership: Tests/Fixtures/ssp_classifylasso_groups_dynamic.csv, from the
  /// article's replication files) and half-panel-jackknife-corrected post-Lasso coefficients (HAC SE)
  ///     G1: lagsavings .6952103 (.0383023), cpi −.160168 (.039182), interest −.1490145 (.0368407), gdp .2892251 (.0379408)
  ///     G2: lagsavings .6938863 (.0356796), cpi .1967192 (.0399412), interest .1225496 (.0411717), gdp .1126528 (.0474176).
  @Test func classifylassoPresetReproducesThePublishedDynamicSavingsFit() throws {
    let panel = try Self.savings(["lagsavings", "cpi", "interest", "gdp"])
    var settings = CLasso.classifylasso(dynamic: true)
    settings.cLambda = 1.5485
    settings.tolerance = 1e-4
    let selection = try settings.selectGroups(panel, maxGroups: 5)
    #expect(selection.selected == 2)
    #expect(abs(selection.criteria[0] - -0.359883766) < 1e-8)
    #expect(abs(selection.criteria[1] - -0.369981214) < 1e-8)
    let fit = selection.fit
    let groupsTable = try LongTable(
      contentsOfCSV: packageRoot.appendingPathComponent("Tests/Fixtures/ssp_classifylasso_groups_dynamic.csv"))
    guard case .numeric(let published) = try groupsTable.column("group_dynamic") else { throw EstimationError.invalidInput("groups") }
    #expect(fit.postLasso.sizes.sorted() == [25, 31])
    // Our labels: the group holding country 1 is G1 (as in the article).
    let g1 = fit.classification[0]
    #expect((0..<56).allSatisfy { (fit.classification[$0] == g1) == (published[$0] == 1) })
    let coefficients: [[(Double, Double)]] = [
      [(0.6952103, 0.0383023), (-0.160168, 0.039182), (-0.1490145, 0.0368407), (0.2892251, 0.0379408)],
      [(0.6938863, 0.0356796), (0.1967192, 0.0399412), (0.1225496, 0.0411717), (0.1126528, 0.0474176)],
    ]
    for (g, k) in [g1, 1 - g1].enumerated() {
      let estimates = fit.estimates(group: k)
      #expect(estimates.map(\.estimand) == ["lagsavings", "cpi", "interest", "gdp"])
      for (e, (value, se)) in zip(estimates, coefficients[g]) {
        #expect(abs(e.value - value) < 5e-7)
        #expect(abs(try #require(e.se) - se) < 5e-7)
      }
    }
  }

  /// The static specification with classifylasso's defaults, `classifylasso savings cpi interest gdp,
  /// grouplist(1/5) tolerance(1e-4)`, as printed in a third-party Stata log of classifylasso
  /// (cmg777/starter-academic-v501, content/post/stata_panel_lasso_cluster/execution_log.txt @ 18cea475,
  /// "SECTION 3"; not published by the package's authors): IC .053747385 (K = 1), −.02755819 (K = 2),
  /// K̂ = 2 with 34 and 22 countries and conventional (vce(ols)) SEs
  ///     G1: cpi −.1813043 (.0422854), interest −.1966381 (.0424214), gdp .3345556 (.0419159)
  ///     G2: cpi .4780886 (.0525171), interest .2631097 (.052491), gdp .1116502 (.0500687).
  @Test func classifylassoPresetReproducesTheStaticSavingsFit() throws {
    let panel = try Self.savings(["cpi", "interest", "gdp"])
    var settings = CLasso.classifylasso()
    settings.tolerance = 1e-4
    let selection = try settings.selectGroups(panel, maxGroups: 5)
    #expect(selection.selected == 2)
    #expect(abs(selection.criteria[0] - 0.053747385) < 1e-8)
    #expect(abs(selection.criteria[1] - -0.02755819) < 1e-7)
    let fit = selection.fit
    let big = fit.postLasso.sizes[0] > fit.postLasso.sizes[1] ? 0 : 1
    #expect(fit.postLasso.sizes[big] == 34 && fit.postLasso.sizes[1 - big] == 22)
    let coefficients: [[(Double, Double)]] = [
      [(-0.1813043, 0.0422854), (-0.1966381, 0.0424214), (0.3345556, 0.0419159)],
      [(0.4780886, 0.0525171), (0.2631097, 0.052491), (0.1116502, 0.0500687)],
    ]
    for (g, k) in [big, 1 - big].enumerated() {
      for (e, (value, se)) in zip(fit.estimates(group: k), coefficients[g]) {
        #expect(abs(e.value - value) < 5e-7)
        #expect(abs(try #require(e.se) - se) < 5e-7)
      }
    }
  }

  // MARK: - Half-panel jackknife

  /// Brute force on a tiny panel (N = 6, T = 7, p = 1, two groups with slopes 0 and 5, so the
  /// classification is certain): each group's within slope Σx̃ỹ/Σx̃² computed by hand on all 7
  /// periods, on periods 1–3 and on 4–7 (each demeaned on its own), then 2β̂ − (β̂_a + β̂_b)/2.
  @Test func jackknifeMatchesBruteForce() throws {
    let rng = testStream("jackknife-tiny")
    let n = 6, t = 7
    let truth = [0, 0, 0, 1, 1, 1]
    var y = Matrix(rows: t, cols: n), x = Matrix(rows: t, cols: n)
    for i in 0..<n {
      for s in 0..<t {
        x[s, i] = rng.normal() + 0.3 * Double(s)
        y[s, i] = (truth[i] == 0 ? 0 : 5) * x[s, i] + 0.1 * rng.normal() + Double(i)
      }
    }
    var settings = CLasso()
    settings.jackknife = true
    let fit = try settings.fit(try SlopePanel(y: y, x: x, regressors: 1), groups: 2)
    #expect((0..<n).allSatisfy { (fit.classification[$0] == fit.classification[0]) == (truth[$0] == 0) })
    func within(_ members: [Int], _ periods: Range<Int>) -> Double {
      var sxy = 0.0, sxx = 0.0
      for i in members {
        let mx = periods.map { x[$0, i] }.reduce(0, +) / Double(periods.count)
        let my = periods.map { y[$0, i] }.reduce(0, +) / Double(periods.count)
        for s in periods {
          sxy += (x[s, i] - mx) * (y[s, i] - my)
          sxx += (x[s, i] - mx) * (x[s, i] - mx)
        }
      }
      return sxy / sxx
    }
    let jk = try #require(fit.jackknife)
    #expect(jk.split == 3)
    for g in 0..<2 {
      let members = (0..<n).filter { truth[$0] == g }
      let k = fit.classification[members[0]]
      let full = within(members, 0..<7), a = within(members, 0..<3), b = within(members, 3..<7)
      #expect(abs(fit.postLasso.slopes[k][0] - full) < 1e-12)
      #expect(abs(jk.firstHalf[k][0] - a) < 1e-12 && abs(jk.secondHalf[k][0] - b) < 1e-12)
      #expect(abs(fit.slopes[k][0] - (2 * full - (a + b) / 2)) < 1e-12)
    }
  }

  /// A dynamic panel y_it = ρ y_{i,t−1} + μ_i + ε_it with ρ = 0.5 (N = 100, T = 20, 60 replicates,
  /// C-Lasso with K = 1, i.e. pooled within OLS, on x_it = y_{i,t−1}): the within estimator has the
  /// Nickell bias ≈ −(1 + ρ)/(T − 1) ≈ −0.08; the half-panel jackknife removes it to O(T⁻²). Checked on
  /// the average over replicates with its Monte Carlo SE: the uncorrected bias is below −5 MCSE, the
  /// corrected one within 4 MCSE of 0 plus 0.01 for the O(T⁻²) remainder, and under a third of the
  /// uncorrected one.
  @Test func jackknifeRemovesTheNickellBias() throws {
    let n = 100, t = 20, reps = 60, rho = 0.5
    var plain: [Double] = [], corrected: [Double] = []
    var settings = CLasso()
    settings.jackknife = true
    for r in 0..<reps {
      let rng = testStream("nickell", r)
      var y = Matrix(rows: t, cols: n), x = Matrix(rows: t, cols: n)
      for i in 0..<n {
        let mu = rng.normal()
        var last = mu / (1 - rho)
        for s in -50..<t {
          let next = rho * last + mu + rng.normal()
          if s >= 0 {
            x[s, i] = last
            y[s, i] = next
          }
          last = next
        }
      }
      let fit = try settings.fit(try SlopePanel(y: y, x: x, regressors: 1), groups: 1)
      plain.append(fit.postLasso.slopes[0][0] - rho)
      corrected.append(fit.slopes[0][0] - rho)
    }
    func meanAndMCSE(_ v: [Double]) -> (Double, Double) {
      let m = v.reduce(0, +) / Double(v.count)
      let sd = (v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(v.count - 1)).squareRoot()
      return (m, sd / Double(v.count).squareRoot())
    }
    let (bp, sp) = meanAndMCSE(plain), (bc, sc) = meanAndMCSE(corrected)
    #expect(bp < -5 * sp, "uncorrected bias \(bp) (MCSE \(sp))")
    #expect(abs(bc) < 4 * sc + 0.01, "corrected bias \(bc) (MCSE \(sc))")
    #expect(abs(bc) < abs(bp) / 3, "corrected \(bc), uncorrected \(bp)")
  }

  @Test func jackknifeNeedsFourPeriods() throws {
    var settings = CLasso()
    settings.jackknife = true
    let s = try GroupedSlopesPanel(units: 10, periods: 3).draw(using: testStream("short"))
    #expect(throws: EstimationError.self) { try settings.fit(try SlopePanel(y: s.y, x: s.x, regressors: 2), groups: 2) }
  }

  // MARK: - Post-Lasso covariances and the information criterion

  /// The conventional, robust and clustered covariances against their textbook formulas on small
  /// data (N = 5 units in one group, T = 6, p = 2), with explicit sums over units and periods:
  /// conventional s²Q⁻¹, s² = SSR/(NT − N − p); HC1 Q⁻¹(Σ x̃x̃'ê²)Q⁻¹·NT/(NT − N − p); clustered
  /// Q⁻¹(Σ_i s_i s_i')Q⁻¹·N/(N − 1)·(NT − 1)/(NT − p − 1), s_i = Σ_t x̃_it ê_it.
  @Test func covariancesMatchTheirFormulas() throws {
    let rng = testStream("covariances")
    let n = 5, t = 6
    var y = Matrix(rows: t, cols: n), x = Matrix(rows: t, cols: 2 * n)
    for i in 0..<n {
      for s in 0..<t {
        x[s, 2 * i] = rng.normal()
        x[s, 2 * i + 1] = rng.normal() + 0.5 * x[s, 2 * i]
        y[s, i] = x[s, 2 * i] - x[s, 2 * i + 1] + rng.normal() * (1 + abs(x[s, 2 * i])) + Double(i)
      }
    }
    let panel = try SlopePanel(y: y, x: x, regressors: 2)
    let groups = [Int](repeating: 0, count: n)
    let units = (0..<n).map { ShrinkageSubproblemTests.demeanedUnit(y, x, unit: $0) }
    let (xs, ys) = (units.map(\.x), units.map(\.y))
    var q: [[Double]] = [[0, 0], [0, 0]], r: [Double] = [0, 0]
    for (xi, yi) in zip(xs, ys) {
      for s in 0..<t { for a in 0..<2 { r[a] += xi[s][a] * yi[s]; for b in 0..<2 { q[a][b] += xi[s][a] * xi[s][b] } } }
    }
    let qi = ShrinkageSubproblemTests.inverse2(q)
    let alpha = ShrinkageSubproblemTests.times(qi, r)
    let e = zip(xs, ys).map { xi, yi in (0..<t).map { yi[$0] - xi[$0][0] * alpha[0] - xi[$0][1] * alpha[1] } }
    let ssr = e.flatMap { $0 }.reduce(0) { $0 + $1 * $1 }
    let nt = Double(n * t), df = nt - Double(n) - 2
    func sandwich(_ meat: [[Double]], _ scale: Double) -> [[Double]] {
      (0..<2).map { a in (0..<2).map { b in
        var v = 0.0
        for c in 0..<2 { for d in 0..<2 { v += qi[a][c] * meat[c][d] * qi[d][b] } }
        return v * scale
      } }
    }
    var white: [[Double]] = [[0, 0], [0, 0]], cluster: [[Double]] = [[0, 0], [0, 0]]
    for i in 0..<n {
      var score = [0.0, 0.0]
      for s in 0..<t {
        for a in 0..<2 {
          score[a] += xs[i][s][a] * e[i][s]
          for b in 0..<2 { white[a][b] += xs[i][s][a] * xs[i][s][b] * e[i][s] * e[i][s] }
        }
      }
      for a in 0..<2 { for b in 0..<2 { cluster[a][b] += score[a] * score[b] } }
    }
    let expected: [(PostLassoCovariance, [[Double]])] = [
      (.conventional, qi.map { $0.map { $0 * ssr / df } }),
      (.robust, sandwich(white, nt / df)),
      (.clusterByUnit, sandwich(cluster, Double(n) / Double(n - 1) * (nt - 1) / (nt - 3))),
    ]
    for (kind, v) in expected {
      let fit = try GroupedSlopes.pooledWithin(panel, groups: groups, count: 1, covariance: kind)
      for a in 0..<2 { for b in 0..<2 { #expect(close(fit.covariance[a, b], v[a][b], 1e-10), "\(kind)") } }
    }
    let none = try GroupedSlopes.pooledWithin(panel, groups: groups, count: 1, covariance: .none)
    #expect(none.covariance[0, 0].isNaN && none.estimate("b", group: 0, component: 0).se == nil)
    // classifylasso's HAC kernel 1 − |s−t|/⌈T^(1/4)⌉ is Bartlett with one lag fewer.
    #expect(HACLags.fourthRootMinusOne.lags(periods: 15) == 1 && HACLags.fourthRoot.lags(periods: 15) == 2)
  }

  /// The two variance estimates of the information criterion at K = 1 (pooled within OLS, so the
  /// SSR is that of one regression): ln(SSR/NT) + (2/3)(NT)^(−1/2)·p and
  /// ln(SSR/(NT − N − p)) + 0.67(NT)^(−1/2)·p.
  @Test func informationCriterionVariants() throws {
    let s = try GroupedSlopesPanel(units: 30, periods: 10).draw(using: testStream("ic"))
    let panel = try SlopePanel(y: s.y, x: s.x, regressors: 2)
    let pooled = try GroupedSlopes.pooledWithin(panel, groups: [Int](repeating: 0, count: 30), count: 1)
    let ssr = pooled.meanSquaredResidual * 300
    let ours = try CLasso().fit(panel, groups: 1)
    let stata = try CLasso.classifylasso().fit(panel, groups: 1)
    #expect(close(ours.informationCriterion, log(ssr / 300) + 2.0 / 3 / 300.0.squareRoot() * 2, 1e-12))
    #expect(close(stata.informationCriterion, log(ssr / (300 - 30 - 2)) + 0.67 / 300.0.squareRoot() * 2, 1e-12))
  }
}
