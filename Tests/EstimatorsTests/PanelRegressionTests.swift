import Estimators
import Foundation
import LinearAlgebra
import RandomStreams
import Testing
import TestSupport

/// Two-sided 95% normal quantile z_{0.975}.
private let z975 = 1.959963984540054

/// Σ_i X_i'A X_i-style cross products written as plain loops: ⟨P, Q⟩ = Σ_ti P_ti Q_ti.
private func inner(_ p: Matrix, _ q: Matrix) -> Double {
  var s = 0.0
  for i in 0..<p.cols { for t in 0..<p.rows { s += p[t, i] * q[t, i] } }
  return s
}

/// Solves the K×K system a·x = b by Gaussian elimination with partial pivoting (no LAPACK).
private func gaussSolve(_ a: [[Double]], _ b: [Double]) -> [Double] {
  var m = a
  var v = b
  let k = b.count
  for c in 0..<k {
    let pivot = (c..<k).max { abs(m[$0][c]) < abs(m[$1][c]) }!
    m.swapAt(c, pivot)
    v.swapAt(c, pivot)
    for r in (c + 1)..<max(c + 1, k) {
      let f = m[r][c] / m[c][c]
      for j in c..<k { m[r][j] -= f * m[c][j] }
      v[r] -= f * v[c]
    }
  }
  var x = [Double](repeating: 0, count: k)
  for r in stride(from: k - 1, through: 0, by: -1) {
    var s = v[r]
    for j in (r + 1)..<max(r + 1, k) { s -= m[r][j] * x[j] }
    x[r] = s / m[r][r]
  }
  return x
}

/// The inverse of a small matrix, column by column with `gaussSolve`.
private func gaussInverse(_ a: [[Double]]) -> [[Double]] {
  let k = a.count
  let columns = (0..<k).map { j in gaussSolve(a, (0..<k).map { $0 == j ? 1.0 : 0.0 }) }
  return (0..<k).map { i in (0..<k).map { j in columns[j][i] } }
}

/// Least squares slopes of ỹ on X̃ by explicit normal equations (loops + Gaussian elimination).
private func normalEquations(_ y: Matrix, _ x: [Matrix]) -> [Double] {
  gaussSolve(x.map { xa in x.map { inner(xa, $0) } }, x.map { inner($0, y) })
}

/// A design matrix: one column per regressor, rows = vec of the T×N panels.
private func designMatrix(_ columns: [[Double]]) -> Matrix {
  Matrix(rows: columns[0].count, cols: columns.count, elements: columns.flatMap { $0 })
}

@Suite struct PanelRegressionTests {
  /// Bai (2009) at N = T = 100 on the covariate design of Docs/FactorModels.md §1: the iteration converges and β̂ is within
  /// 4 of its standard errors of the truth (β̂ is asymptotically N(β, SE²), so a miss has probability
  /// ≈ 6e-5 per coefficient at this fixed seed). The two-way FE estimator, which ignores λ_i'F_t
  /// (correlated with X by design), is off by more than 10 of its own SEs, as the theory says.
  @Test func baiIterationRecoversBeta() throws {
    let (y, x) = baiDesign(periods: 100, units: 100, testStream("bai-recover"))
    let fit = try InteractiveFixedEffects(rank: 2).fit(y, covariates: x)
    #expect(fit.summary.converged)
    #expect(fit.summary.iterations > 1 && fit.summary.iterations < 1000)
    let truth = [1.0, 3.0]
    let fe = try TwoWayFixedEffects().fit(y, covariates: x)
    for k in 0..<2 {
      let e = fit.estimates[k]
      #expect(e.estimand == "beta\(k + 1)")
      #expect(abs(e.value - truth[k]) <= 4 * e.se!)
      #expect(close(e.lower!, e.value - z975 * e.se!, 1e-12) && close(e.upper!, e.value + z975 * e.se!, 1e-12))
      #expect(abs(fe.estimates[k].value - truth[k]) > 10 * fe.estimates[k].se!)
    }
    // Additive effects net of X'β: fitted = μ + α_i + ξ_t + X'β + FΛ', residuals = Y − fitted.
    let common = fit.factors.multiplied(by: fit.loadings, transposeOther: true)
    let rebuilt = Matrix(rows: 100, cols: 100) { p, i in
      fit.mu + fit.alpha[i] + fit.xi[p] + x[0][p, i] * fit.estimates[0].value + x[1][p, i] * fit.estimates[1].value
        + common[p, i]
    }
    #expect(rebuilt.maxAbsDifference(fit.fitted) < 1e-9)
    #expect((y - fit.fitted).maxAbsDifference(fit.residuals) < 1e-12)
  }

  /// On a small panel, by an independent route: β̂ is a fixed point of the Bai update (factors from
  /// a fresh SVD of ỹ − X̃β̂, M_F as an explicit T×T matrix, normal equations by elimination), and
  /// the standard errors equal Bai's formula with D from the explicit double sum over a_ik.
  @Test(arguments: [AdditiveEffects.twoWay, .none])
  func baiFixedPointAndStandardErrors(force: AdditiveEffects) throws {
    let (t, n, r) = (20, 25, 2)
    let (y, x) = baiDesign(periods: t, units: n, testStream("bai-se-\(force)"))
    let fit = try InteractiveFixedEffects(rank: r, force: force).fit(y, covariates: x)
    #expect(fit.summary.converged)
    let beta = fit.estimates.map(\.value)
    let yd = referenceDemean(y, force)
    let xd = x.map { referenceDemean($0, force) }
    let w = yd - beta[0] * xd[0] - beta[1] * xd[1]
    let u = try w.singularValueDecomposition().u
    let mf = Matrix(rows: t, cols: t) { p, q in (p == q ? 1 : 0) - (0..<r).reduce(0) { $0 + u[p, $1] * u[q, $1] } }
    let projected = xd.map { mf * $0 }
    let fixedPoint = gaussSolve(projected.map { pa in xd.map { inner(pa, $0) } }, projected.map { inner($0, yd) })
    for k in 0..<2 { #expect(abs(fixedPoint[k] - beta[k]) < 1e-7) }
    // The fit's factors span the same space (M_F F = 0).
    #expect((mf * fit.factors).squaredNorm < 1e-16 * Double(t))

    // D = (1/NT) Σ_i X_i'M_F X_i − (1/(N²T)) Σ_i Σ_k a_ik X_i'M_F X_k, a_ik = λ_i'(Λ'Λ/N)⁻¹λ_k.
    let f = fit.factors
    let lambda = (1 / Double(t)) * w.multiplied(by: f, transposeSelf: true)
    #expect(lambda.maxAbsDifference(fit.loadings) < 1e-9)
    let lInv = gaussInverse((0..<r).map { a in (0..<r).map { b in (0..<n).reduce(0) { $0 + lambda[$1, a] * lambda[$1, b] } / Double(n) } })
    var d = [[Double]](repeating: [0, 0], count: 2)
    for p in 0..<2 {
      for q in 0..<2 {
        var first = 0.0
        var second = 0.0
        for i in 0..<n {
          for s in 0..<t { first += projected[p][s, i] * projected[q][s, i] }
          for k in 0..<n {
            var a = 0.0
            for g in 0..<r { for h in 0..<r { a += lambda[i, g] * lInv[g][h] * lambda[k, h] } }
            var cross = 0.0
            for s in 0..<t { cross += projected[p][s, i] * projected[q][s, k] }
            second += a * cross
          }
        }
        d[p][q] = first / Double(n * t) - second / Double(n * n * t)
      }
    }
    let ssr = (w - f.multiplied(by: lambda, transposeOther: true)).squaredNorm
    #expect(close(ssr, fit.ssr, 1e-10))
    let sigmaHat2 = ssr / Double(n * t - (n + t) * r - 2)
    let dInv = gaussInverse(d)
    for k in 0..<2 { #expect(close(fit.estimates[k].se!, (sigmaHat2 * dInv[k][k] / Double(n * t)).squareRoot(), 1e-8)) }
    #expect(close(fit.covariance![0, 1], sigmaHat2 * dInv[0][1] / Double(n * t), 1e-8))
    #expect(fit.parameterCount == referenceParameterCount(r, n: n, t: t, force, k: 2))
  }

  /// With no factors IFE is the within estimator: explicit normal equations on the demeaned data.
  @Test func ifeWithoutFactorsIsTheWithinEstimator() throws {
    let (y, x) = baiDesign(periods: 15, units: 20, testStream("ife-r0"))
    let expected = normalEquations(referenceDemean(y, .twoWay), x.map { referenceDemean($0, .twoWay) })
    let ife = try InteractiveFixedEffects(rank: 0).fit(y, covariates: x)
    let fe = try TwoWayFixedEffects().fit(y, covariates: x)
    #expect(ife.summary.converged && ife.summary.iterations == 1)
    for k in 0..<2 {
      #expect(close(ife.estimates[k].value, expected[k], 1e-10))
      #expect(close(fe.estimates[k].value, expected[k], 1e-10))
    }
  }

  /// Two-way FE equals the least-squares dummy-variable regression (QR on [X, N unit dummies,
  /// T − 1 period dummies]): slopes, classical SEs with df NT − N − T + 1 − K, Wald intervals. The
  /// unit-clustered SEs equal the sandwich written out.
  @Test func twoWayMatchesDummyVariableRegression() throws {
    let (t, n) = (5, 6)
    let rng = testStream("twfe-lsdv")
    let x = [randomMatrix(t, n, rng), randomMatrix(t, n, rng)]
    let y = Matrix(rows: t, cols: n) { p, i in 1 + 0.5 * x[0][p, i] - 2 * x[1][p, i] + Double(i) + 0.3 * Double(p * p) }
      + randomMatrix(t, n, rng)
    var columns = x.map(\.elements)
    for i in 0..<n { columns.append((0..<(n * t)).map { $0 / t == i ? 1 : 0 }) }
    for p in 1..<t { columns.append((0..<(n * t)).map { $0 % t == p ? 1 : 0 }) }
    let design = designMatrix(columns)
    let coefficients = try design.leastSquares(y.elements)
    let residual = zip(y.elements, design.multiplied(byVector: coefficients)).map { $0 - $1 }
    let df = n * t - columns.count
    let sigma2 = residual.reduce(0) { $0 + $1 * $1 } / Double(df)
    let xtxInverse = try Cholesky(design.gram()).inverse()

    let fit = try TwoWayFixedEffects().fit(y, covariates: x)
    #expect(fit.residualDegreesOfFreedom == df && df == n * t - n - t + 1 - 2)
    #expect(close(fit.sigma2, sigma2, 1e-10))
    for k in 0..<2 {
      let e = fit.estimates[k]
      let se = (sigma2 * xtxInverse[k, k]).squareRoot()
      #expect(close(e.value, coefficients[k], 1e-10))
      #expect(close(e.se!, se, 1e-10))
      #expect(close(e.lower!, coefficients[k] - z975 * se, 1e-10))
    }

    // Unit-clustered: N/(N−1)·B(Σ_i s_i s_i')B, B = (X̃'X̃)⁻¹, s_i = Σ_t x̃_ti û_ti.
    let xd = x.map { referenceDemean($0, .twoWay) }
    let bread = gaussInverse(xd.map { a in xd.map { inner(a, $0) } })
    let u = Matrix(rows: t, cols: n, elements: residual)
    var meat = [[Double]](repeating: [0, 0], count: 2)
    for i in 0..<n {
      let s = (0..<2).map { k in (0..<t).reduce(0) { $0 + xd[k][$1, i] * u[$1, i] } }
      for a in 0..<2 { for b in 0..<2 { meat[a][b] += s[a] * s[b] } }
    }
    let clustered = try TwoWayFixedEffects(variance: .clusteredByUnit).fit(y, covariates: x)
    for k in 0..<2 {
      var v = 0.0
      for a in 0..<2 { for b in 0..<2 { v += bread[k][a] * meat[a][b] * bread[b][k] } }
      #expect(close(clustered.estimates[k].se!, (v * Double(n) / Double(n - 1)).squareRoot(), 1e-10))
      #expect(close(clustered.estimates[k].value, coefficients[k], 1e-10))
    }
  }

  /// The known-factors (oracle) regression equals the dummy-variable regression of Y on [X, 1,
  /// unit dummies if `force` removes unit effects, period dummies if it removes period effects,
  /// F_tj·1{unit = i} for every unit (every unit but the last when period dummies are in, as
  /// those columns then sum to F_tj, a combination of the period dummies)]: slopes, classical SEs
  /// and residual degrees of freedom. With `force = .none` it refuses (the grand mean is not
  /// orthogonal to the loadings, so demeaning then projecting would not be least squares).
  @Test(arguments: [AdditiveEffects.unit, .time, .twoWay])
  func knownFactorsMatchDummyVariableRegression(force: AdditiveEffects) throws {
    let (t, n, r) = (8, 6, 2)
    let rng = testStream("known-factors")
    let f = randomMatrix(t, r, rng)
    let lambda = randomMatrix(n, r, rng)
    let x = [randomMatrix(t, n, rng), randomMatrix(t, n, rng)]
    let common = f.multiplied(by: lambda, transposeOther: true)
    let y = Matrix(rows: t, cols: n) { p, i in 2 + x[0][p, i] - x[1][p, i] + common[p, i] + 0.1 * Double(i * p) }
      + randomMatrix(t, n, rng)
    let units = force == .unit || force == .twoWay
    let periods = force == .time || force == .twoWay
    var columns = x.map(\.elements) + [[Double](repeating: 1, count: n * t)]
    if units { for i in 1..<n { columns.append((0..<(n * t)).map { $0 / t == i ? 1 : 0 }) } }
    if periods { for p in 1..<t { columns.append((0..<(n * t)).map { $0 % t == p ? 1 : 0 }) } }
    for i in 0..<(periods ? n - 1 : n) {
      for j in 0..<r { columns.append((0..<(n * t)).map { $0 / t == i ? f[$0 % t, j] : 0 }) }
    }
    let design = designMatrix(columns)
    let coefficients = try design.leastSquares(y.elements)
    let residual = zip(y.elements, design.multiplied(byVector: coefficients)).map { $0 - $1 }
    let df = n * t - columns.count
    let sigma2 = residual.reduce(0) { $0 + $1 * $1 } / Double(df)
    let xtxInverse = try Cholesky(design.gram()).inverse()

    let fit = try KnownFactorsRegression(force: force).fit(y, covariates: x, factors: f)
    #expect(fit.residualDegreesOfFreedom == df)
    #expect(close(fit.sigma2, sigma2, 1e-10))
    #expect(fit.residuals.maxAbsDifference(Matrix(rows: t, cols: n, elements: residual)) < 1e-10)
    for k in 0..<2 {
      #expect(close(fit.estimates[k].value, coefficients[k], 1e-10))
      #expect(close(fit.estimates[k].se!, (sigma2 * xtxInverse[k, k]).squareRoot(), 1e-10))
    }
    #expect(throws: EstimationError.self) {
      try KnownFactorsRegression(force: force).fit(y, covariates: x, factors: randomMatrix(t + 1, r, rng))
    }
    #expect(throws: EstimationError.self) { try KnownFactorsRegression(force: .none).fit(y, covariates: x, factors: f) }
    var broken = f
    broken[3, 1] = .nan
    #expect(throws: EstimationError.self) { try KnownFactorsRegression(force: force).fit(y, covariates: x, factors: broken) }
  }

  /// Pooled OLS equals the QR least squares of Y on [1, X] with classical SEs, intercept included.
  @Test func pooledMatchesOLSWithIntercept() throws {
    let (t, n) = (6, 7)
    let rng = testStream("pooled")
    let x = [randomMatrix(t, n, rng), randomMatrix(t, n, rng), randomMatrix(t, n, rng)]
    let y = Matrix(rows: t, cols: n) { p, i in 3 + x[0][p, i] - x[1][p, i] + 0.5 * x[2][p, i] } + randomMatrix(t, n, rng)
    let design = designMatrix([[Double](repeating: 1, count: n * t)] + x.map(\.elements))
    let coefficients = try design.leastSquares(y.elements)
    let residual = zip(y.elements, design.multiplied(byVector: coefficients)).map { $0 - $1 }
    let sigma2 = residual.reduce(0) { $0 + $1 * $1 } / Double(n * t - 4)
    let xtxInverse = try Cholesky(design.gram()).inverse()
    let fit = try PooledOLS().fit(y, covariates: x)
    #expect(fit.residualDegreesOfFreedom == n * t - 4)
    #expect(close(fit.intercept!.value, coefficients[0], 1e-10))
    #expect(close(fit.intercept!.se!, (sigma2 * xtxInverse[0, 0]).squareRoot(), 1e-10))
    for k in 0..<3 {
      #expect(fit.estimates[k].estimand == "beta\(k + 1)")
      #expect(close(fit.estimates[k].value, coefficients[k + 1], 1e-10))
      #expect(close(fit.estimates[k].se!, (sigma2 * xtxInverse[k + 1, k + 1]).squareRoot(), 1e-10))
    }
  }

  /// A covariate without within variation is dropped with its reason; the other slopes are those
  /// of the fit without it.
  @Test func covariatesWithoutVariationAreDropped() throws {
    let (y, x) = baiDesign(periods: 20, units: 25, testStream("drop"))
    let unitOnly = Matrix(rows: 20, cols: 25) { _, i in Double(i % 7) }
    let constant = Matrix(rows: 20, cols: 25, repeating: 2)
    let ife = try InteractiveFixedEffects(rank: 2).fit(y, covariates: [x[0], unitOnly, x[1]])
    let reference = try InteractiveFixedEffects(rank: 2).fit(y, covariates: x)
    #expect(ife.estimates.map(\.identified) == [true, false, true])
    #expect(ife.estimates[1].estimand == "beta2")
    #expect(ife.droppedCovariates.map(\.index) == [1])
    #expect(ife.summary.message?.contains("beta2 not identified") == true)
    #expect(close(ife.estimates[0].value, reference.estimates[0].value, 1e-10))
    #expect(close(ife.estimates[2].value, reference.estimates[1].value, 1e-10))
    #expect(close(ife.estimates[2].se!, reference.estimates[1].se!, 1e-10))

    let fe = try TwoWayFixedEffects().fit(y, covariates: [unitOnly, x[0]])
    #expect(fe.estimates.map(\.identified) == [false, true])
    let pooled = try PooledOLS().fit(y, covariates: [x[0], constant])
    #expect(pooled.droppedCovariates.map(\.estimand) == ["beta2"])
    #expect(try PooledOLS().fit(y, covariates: [x[0], unitOnly]).droppedCovariates.isEmpty)
    // All covariates dropped: the no-covariate fit, every slope not identified.
    let none = try InteractiveFixedEffects(rank: 1).fit(y, covariates: [unitOnly])
    #expect(none.estimates.map(\.identified) == [false])
    #expect(none.fitted.maxAbsDifference(try InteractiveFixedEffects(rank: 1).fit(y).fitted) < 1e-12)
  }

  /// Hitting the iteration cap is reported in the summary, not thrown and not silent.
  @Test func nonConvergenceIsReported() throws {
    let (y, x) = baiDesign(periods: 30, units: 30, testStream("cap"))
    let fit = try InteractiveFixedEffects(rank: 2, maxIterations: 2).fit(y, covariates: x)
    #expect(!fit.summary.converged)
    #expect(fit.summary.iterations == 2)
    #expect(fit.summary.message?.contains("NOT converged") == true)
  }

  @Test func invalidCovariateInputThrows() throws {
    let (y, x) = baiDesign(periods: 10, units: 12, testStream("bad"))
    var nan = x[0]
    nan[2, 3] = .nan
    #expect(throws: EstimationError.self) { try InteractiveFixedEffects(rank: 1).fit(y, covariates: [nan]) }
    #expect(throws: EstimationError.self) { try InteractiveFixedEffects(rank: 10).fit(y, covariates: x) }
    #expect(throws: EstimationError.self) { try InteractiveFixedEffects(rank: -1).fit(y, covariates: x) }
    #expect(throws: EstimationError.self) { try InteractiveFixedEffects(rank: 1).fit(y, covariates: [x[0], x[0]]) }
    #expect(throws: EstimationError.self) { try TwoWayFixedEffects().fit(y, covariates: [Matrix(rows: 10, cols: 11)]) }
  }
}
