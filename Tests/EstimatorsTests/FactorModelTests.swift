import Estimators
import Foundation
import LinearAlgebra
import RandomStreams
import Testing
import TestSupport

// MARK: Independent reference computations (written directly, by other routes than the library)

/// Demeaning by the textbook closed forms (not the library's sequential passes):
/// none y − ȳ, unit y_ti − ȳ_·i, time y_ti − ȳ_t·, twoWay y_ti − ȳ_·i − ȳ_t· + ȳ.
func referenceDemean(_ y: Matrix, _ force: AdditiveEffects) -> Matrix {
  let t = y.rows
  let n = y.cols
  var grand = 0.0
  var unitMean = [Double](repeating: 0, count: n)
  var periodMean = [Double](repeating: 0, count: t)
  for i in 0..<n {
    for p in 0..<t {
      grand += y[p, i] / Double(n * t)
      unitMean[i] += y[p, i] / Double(t)
      periodMean[p] += y[p, i] / Double(n)
    }
  }
  return Matrix(rows: t, cols: n) { p, i in
    switch force {
    case .none: y[p, i] - grand
    case .unit: y[p, i] - unitMean[i]
    case .time: y[p, i] - periodMean[p]
    case .twoWay: y[p, i] - unitMean[i] - periodMean[p] + grand
    }
  }
}

/// The best rank-r approximation of e from its SVD (Eckart–Young): Σ_{j<r} s_j u_j v_j'.
func truncatedSVD(_ e: Matrix, rank r: Int) throws -> Matrix {
  let (u, s, vt) = try e.singularValueDecomposition()
  return Matrix(rows: e.rows, cols: e.cols) { p, i in
    var c = 0.0
    for j in 0..<r { c += u[p, j] * s[j] * vt[j, i] }
    return c
  }
}

/// Y = 2 + α_i + ξ_t + ΛF' + ε with F, Λ, α, ξ iid N(0, 1) and ε ~ N(0, sd²), T×N.
func factorPanel(periods t: Int, units n: Int, rank r: Int, sd: Double, _ rng: RandomStream) -> Matrix {
  let f = randomMatrix(t, r, rng)
  let lambda = randomMatrix(n, r, rng)
  let alpha = rng.normals(n)
  let xi = rng.normals(t)
  var y = f.multiplied(by: lambda, transposeOther: true)
  for i in 0..<n { for p in 0..<t { y[p, i] += 2 + alpha[i] + xi[p] + rng.normal(sd: sd) } }
  return y
}

/// The Bai (2009) covariate design (Docs/FactorModels.md §1) with r = 2: F_t, λ_i ~ N(0, I_2),
/// X_itk = 1 + λ_i'F_t + λ_i1 + λ_i2 + F_t1 + F_t2 + η_itk, η ~ N(0, 1),
/// Y_it = 5 + X_it1·1 + X_it2·3 + λ_i'F_t + ε_it, ε ~ N(0, 4).
func baiDesign(periods t: Int, units n: Int, _ rng: RandomStream) -> (y: Matrix, x: [Matrix]) {
  let f = randomMatrix(t, 2, rng)
  let lambda = randomMatrix(n, 2, rng)
  let common = f.multiplied(by: lambda, transposeOther: true)
  var x: [Matrix] = []
  for _ in 0..<2 {
    x.append(
      Matrix(rows: t, cols: n) { p, i in
        1 + common[p, i] + lambda[i, 0] + lambda[i, 1] + f[p, 0] + f[p, 1] + rng.normal()
      })
  }
  let y = Matrix(rows: t, cols: n) { p, i in 5 + x[0][p, i] + 3 * x[1][p, i] + common[p, i] + rng.normal(sd: 2) }
  return (y, x)
}

/// np (Docs/FactorModels.md §4), written out.
func referenceParameterCount(_ r: Int, n: Int, t: Int, _ force: AdditiveEffects, k: Int = 0) -> Int {
  let base = r * (n + t) - r * r + 1 + k
  switch force {
  case .none: return base
  case .unit: return base + (n - 1) - r
  case .time: return base + (t - 1) - r
  case .twoWay: return base + (n - 1) + (t - 1) - 2 * r
  }
}

func swapped(_ force: AdditiveEffects) -> AdditiveEffects {
  switch force {
  case .unit: .time
  case .time: .unit
  default: force
  }
}

// MARK: Interactive fixed effects without covariates

@Suite struct InteractiveFixedEffectsTests {
  static let shapes = [(12, 20), (20, 12)]

  /// The exact fit equals two-way (etc.) demeaning by the closed forms + a truncated SVD, to 1e-10.
  @Test(arguments: AdditiveEffects.allCases)
  func fitEqualsDemeaningPlusTruncatedSVD(force: AdditiveEffects) throws {
    for (t, n) in Self.shapes {
      for r in [0, 2] {
        let y = factorPanel(periods: t, units: n, rank: 2, sd: 0.3, testStream("ife-svd-\(force)", t))
        let fit = try InteractiveFixedEffects(rank: r, force: force).fit(y)
        let e = referenceDemean(y, force)
        let common = try truncatedSVD(e, rank: r)
        #expect(fit.fitted.maxAbsDifference(y - e + common) < 1e-10)
        #expect(fit.residuals.maxAbsDifference(e - common) < 1e-10)
        // VNT = s_j²/(NT); the normalisation F'F/T = I and Λ = E'F/T.
        let s = try e.singularValueDecomposition().s
        for j in 0..<r { #expect(close(fit.vnt[j], s[j] * s[j] / Double(n * t), 1e-10)) }
        let ftf = fit.factors.multiplied(by: fit.factors, transposeSelf: true)
        #expect(ftf.maxAbsDifference((Double(t)) * Matrix.identity(r)) < 1e-9)
        #expect(fit.loadings.maxAbsDifference((1 / Double(t)) * e.multiplied(by: fit.factors, transposeSelf: true)) < 1e-10)
        // σ², IC from np written out.
        let np = referenceParameterCount(r, n: n, t: t, force)
        let ssr = (e - common).squaredNorm
        #expect(fit.parameterCount == np)
        #expect(close(fit.sigma2, ssr / Double(n * t - np), 1e-10))
        #expect(close(fit.ic, log(ssr / Double(n * t - np)) + Double(np) * log(Double(n * t)) / Double(n * t), 1e-10))
        // PC as the fect package reports it: SSR/(NT) + r·σ²·c·(N+T)/(NT)·ln(NT/(N+T)),
        // c = max(N, 60)·max(T, 60)/(NT).
        let nt = Double(n * t)
        let c = Double(max(n, 60) * max(t, 60)) / nt
        let pc = ssr / nt + Double(r) * fit.sigma2 * c * Double(n + t) / nt * log(nt / Double(n + t))
        #expect(close(fit.pc, pc, 1e-10))
        #expect(fit.alpha.count == n && fit.xi.count == t && fit.predict() == fit.fitted)
        #expect(fit.summary == .exact && fit.estimates.isEmpty)
      }
    }
  }

  /// Reusing a spectrum gives the same fit as fitting from scratch, also for a rank above kmax.
  @Test func spectrumFitEqualsDirectFit() throws {
    for (t, n) in Self.shapes {
      let y = factorPanel(periods: t, units: n, rank: 3, sd: 0.5, testStream("ife-spectrum", t))
      let spectrum = try PanelSpectrum(panel: y, force: .twoWay, kmax: 2)
      for r in [0, 1, 3, 9] {
        let direct = try InteractiveFixedEffects(rank: r).fit(y)
        let shared = try InteractiveFixedEffects.fit(spectrum: spectrum, rank: r)
        #expect(shared.fitted.maxAbsDifference(direct.fitted) < 1e-10)
        #expect(zip(shared.vnt, direct.vnt).allSatisfy { close($0, $1, 1e-12) })
        #expect(close(shared.sigma2, direct.sigma2, 1e-10))
      }
    }
  }

  /// The T×T route (T < N) and the N×N route (T > N) agree: fitting Yᵀ with unit and time effects
  /// swapped decomposes the other Gram matrix and must give the transposed fit.
  @Test(arguments: AdditiveEffects.allCases)
  func periodAndUnitRoutesAgree(force: AdditiveEffects) throws {
    for (t, n) in Self.shapes {
      let y = factorPanel(periods: t, units: n, rank: 3, sd: 0.5, testStream("ife-routes-\(force)", t))
      let a = try InteractiveFixedEffects(rank: 3, force: force).fit(y)
      let b = try InteractiveFixedEffects(rank: 3, force: swapped(force)).fit(y.transposed)
      #expect(try PanelSpectrum(panel: y, force: force, kmax: 2).side != PanelSpectrum(panel: y.transposed, kmax: 2).side)
      #expect(a.fitted.transposed.maxAbsDifference(b.fitted) < 1e-10)
      #expect(zip(a.vnt, b.vnt).allSatisfy { close($0, $1, 1e-12) })
      // The N×N route's factors are orthonormal in the same normalisation.
      let ftf = b.factors.multiplied(by: b.factors, transposeSelf: true)
      #expect(ftf.maxAbsDifference(Double(b.periods) * Matrix.identity(3)) < 1e-9)
    }
  }

  /// V(k) = trace − Σ_{j≤k} μ_j equals the tail sum of a full `dsyevd` spectrum of EE'/(NT)
  /// (formed by gemm from the reference demeaning).
  @Test func traceGivesTheTailSums() throws {
    for (t, n) in [(15, 25), (25, 15)] {
      let y = factorPanel(periods: t, units: n, rank: 2, sd: 1, testStream("ife-trace", t))
      let s = try PanelSpectrum(panel: y, force: .twoWay, kmax: 4)
      let e = referenceDemean(y, .twoWay)
      let gram = (1 / Double(n * t)) * e.multiplied(by: e, transposeOther: true)
      let all = try gram.symmetricEigen(vectors: false).values
      #expect(s.eigenvalues.count == min(t, n))
      for k in 0...s.eigenvalues.count {
        let tail = all[k...].reduce(0, +)
        #expect(abs(s.meanSquaredResidual(rank: k) - tail) < 1e-12 * all.reduce(0, +))
        if k < s.eigenvalues.count { #expect(close(s.eigenvalues[k], all[k], 1e-10)) }
      }
    }
  }

  /// kmax is capped at rankBound − 1 = min(T − 1, N − 1) − 1 under two-way demeaning.
  @Test func kmaxIsCappedBelowTheRankBound() throws {
    let y = factorPanel(periods: 10, units: 12, rank: 1, sd: 1, testStream("ife-cap"))
    #expect(try PanelSpectrum(panel: y, force: .twoWay, kmax: 50).kmax == 8)
    #expect(try PanelSpectrum(panel: y, force: .none, kmax: 50).kmax == 9)
    #expect(try PanelSpectrum(panel: y, force: .twoWay, kmax: 3).kmax == 3)
  }

  @Test func invalidInputThrows() throws {
    var y = factorPanel(periods: 12, units: 20, rank: 1, sd: 1, testStream("ife-invalid"))
    let ok = y
    for r in [-1, 12, 13] {
      #expect(throws: EstimationError.self) { try InteractiveFixedEffects(rank: r).fit(ok) }
    }
    // Two-way demeaning leaves a 12×20 panel with rank ≤ 11, so r = 11 would fit exactly with no
    // residual degrees of freedom: rejected; r = 10 is the largest rank allowed.
    #expect(throws: EstimationError.self) { try InteractiveFixedEffects(rank: 11).fit(ok) }
    #expect(try InteractiveFixedEffects(rank: 10).fit(ok).rank == 10)
    y[3, 4] = .nan
    let bad = y
    #expect(throws: EstimationError.self) { try InteractiveFixedEffects(rank: 1).fit(bad) }
    #expect(throws: EstimationError.self) { try PanelSpectrum(panel: bad) }
    y[3, 4] = .infinity
    let infinite = y
    #expect(throws: EstimationError.self) { try PanelSpectrum(panel: infinite) }
    #expect(throws: EstimationError.self) { try TwoWayFixedEffects().fit(ok, covariates: [infinite]) }
    #expect(throws: EstimationError.self) { try PooledOLS().fit(ok, covariates: [Matrix(rows: 12, cols: 19)]) }
    #expect(throws: EstimationError.self) { try PanelSpectrum(panel: Matrix(rows: 1, cols: 20)) }
    #expect(throws: EstimationError.self) { try PanelSpectrum(panel: ok, kmax: -1) }
    // ED needs kmax + 5 genuine eigenvalues: a 8×30 two-way panel has rank ≤ 7 < 6 + 5.
    let short = try PanelSpectrum(panel: factorPanel(periods: 8, units: 30, rank: 1, sd: 1, testStream("ife-short")))
    #expect(short.kmax == 6)
    #expect(throws: EstimationError.self) { try RankSelector.ed.select(short) }
    #expect(try RankSelector.er.select(short) >= 0)
  }
}

// MARK: Rank selectors

@Suite struct RankSelectorTests {
  /// A T×N panel with zero row and column means whose EE'/(NT) has exactly the eigenvalues `mu`
  /// (E = U diag(√(NT μ)) V' with U, V orthonormal and orthogonal to the constant vectors, taken
  /// from the SVD of a doubly-centred random matrix), so two-way demeaning leaves it unchanged.
  static func panelWithSpectrum(_ mu: [Double], periods t: Int, units n: Int, _ rng: RandomStream) throws -> Matrix {
    let (u, _, vt) = try referenceDemean(randomMatrix(t, n, rng), .twoWay).singularValueDecomposition()
    return Matrix(rows: t, cols: n) { p, i in
      var c = 0.0
      for j in 0..<mu.count { c += u[p, j] * (Double(n * t) * mu[j]).squareRoot() * vt[j, i] }
      return c
    }
  }

  /// Each criterion for k = 0…kmax evaluated directly from its formula (Docs/FactorModels.md §6),
  /// with V(k) = Σ_{j>k} μ_j as a direct tail sum; nil for ED.
  static func referenceCriterion(_ selector: RankSelector, mu: [Double], n: Int, t: Int, kmax: Int) -> [Double]? {
    let v = { (k: Int) in mu[k...].reduce(0, +) }
    let nd = Double(n)
    let td = Double(t)
    let m = Double(min(n, t))
    let g1 = (nd + td) / (nd * td) * log(nd * td / (nd + td))
    let g2 = (nd + td) / (nd * td) * log(m)
    let g3 = log(m) / m
    let mu0 = v(0) / log(m)
    let ks = Array(0...kmax)
    switch selector {
    case .icp1: return ks.map { log(v($0)) + Double($0) * g1 }
    case .icp2: return ks.map { log(v($0)) + Double($0) * g2 }
    case .icp3: return ks.map { log(v($0)) + Double($0) * g3 }
    case .pcp1: return ks.map { v($0) + Double($0) * v(kmax) * g1 }
    case .pcp2: return ks.map { v($0) + Double($0) * v(kmax) * g2 }
    case .pcp3: return ks.map { v($0) + Double($0) * v(kmax) * g3 }
    case .er: return ks.map { k in (k == 0 ? mu0 : mu[k - 1]) / mu[k] }
    case .gr:
      return ks.map { k in
        let previous = k == 0 ? v(0) + mu0 : v(k - 1)
        return log(previous / v(k)) / log(v(k) / v(k + 1))
      }
    case .ed: return nil
    }
  }

  /// Onatski's (2010) ED written out (μ_i is mu[i − 1]); −1 if it does not settle in 10 passes.
  static func referenceED(mu: [Double], kmax: Int) -> Int {
    var j = kmax + 1
    var last = -1
    for _ in 0..<10 {
      let xs = (0..<5).map { pow(Double(j - 1 + $0), 2.0 / 3.0) }
      let ys = (0..<5).map { mu[j - 1 + $0] }
      let xm = xs.reduce(0, +) / 5
      let ym = ys.reduce(0, +) / 5
      let sxy: Double = zip(xs, ys).map { (x: Double, y: Double) -> Double in (x - xm) * (y - ym) }.reduce(0, +)
      let sxx: Double = xs.map { (x: Double) -> Double in (x - xm) * (x - xm) }.reduce(0, +)
      let r = (1...kmax).filter { mu[$0 - 1] - mu[$0] >= 2 * abs(sxy / sxx) }.max() ?? 0
      if r == last { return r }
      last = r
      j = r + 1
    }
    return -1
  }

  /// The selection by brute force over the reference criterion (first minimiser/maximiser).
  static func reference(_ selector: RankSelector, mu: [Double], n: Int, t: Int, kmax: Int) -> Int {
    guard let c = referenceCriterion(selector, mu: mu, n: n, t: t, kmax: kmax) else {
      return referenceED(mu: mu, kmax: kmax)
    }
    let ks = Array(0...kmax)
    let maximise = selector == .er || selector == .gr
    return maximise ? ks.max { c[$0] < c[$1] || (c[$0] == c[$1] && $0 > $1) }! : ks.min { c[$0] < c[$1] }!
  }

  /// Library criterion values and selections against the references.
  static func check(_ s: PanelSpectrum, mu: [Double], n: Int, t: Int, label: String) throws -> [Int] {
    var picks: [Int] = []
    for selector in RankSelector.allCases {
      let got = try selector.select(s)
      #expect(got == reference(selector, mu: mu, n: n, t: t, kmax: s.kmax), "\(selector) \(label)")
      if let expected = referenceCriterion(selector, mu: mu, n: n, t: t, kmax: s.kmax) {
        let values = try #require(selector.criterion(s))
        #expect(zip(values, expected).allSatisfy { close($0, $1, 1e-9) }, "\(selector) \(label)")
      }
      picks.append(got)
    }
    return picks
  }

  /// A hand-checkable spectrum: μ = (10, 5, 1, 0.5, 0.4, …). By hand, with m = 14,
  /// V(0) = 18.05, μ_0 = 18.05/ln 14 = 6.84, ER = (0.68, 2, 5, 2, 1.25) → 2.
  @Test func handCheckedSpectrum() throws {
    let mu = [10, 5, 1, 0.5, 0.4, 0.3, 0.25, 0.2, 0.15, 0.1, 0.08, 0.05, 0.02]
    let y = try Self.panelWithSpectrum(mu, periods: 14, units: 16, testStream("sel-hand"))
    let s = try PanelSpectrum(panel: y, kmax: 4)
    #expect(close(s.trace, 18.05, 1e-12))
    #expect(try RankSelector.er.select(s) == 2)
    _ = try Self.check(s, mu: mu, n: 16, t: 14, label: "hand")
  }

  /// ED by hand: a bulk exactly on the line μ_j = 1 − b(j − 1)^{2/3} (j ≥ 3) has OLS slope −b, so
  /// δ = 2b; gaps μ_1 − μ_2 = 1.9b < δ and μ_2 − μ_3 = 2.1b ≥ δ give r̂ = 2, and the second pass
  /// (j = 3, the same line) confirms it. With μ_2 − μ_3 = 1.9b instead, r̂ = 0.
  @Test func edByHand() throws {
    let b = 0.05
    for (gap, expected) in [(2.1, 2), (1.9, 0)] {
      var mu = (3...13).map { 1 - b * pow(Double($0 - 1), 2.0 / 3.0) }
      mu.insert(mu[0] + gap * b, at: 0)
      mu.insert(mu[0] + 1.9 * b, at: 0)
      let s = try PanelSpectrum(panel: Self.panelWithSpectrum(mu, periods: 14, units: 16, testStream("sel-ed")), kmax: 4)
      #expect(try RankSelector.ed.select(s) == expected)
      #expect(Self.referenceED(mu: mu, kmax: 4) == expected)
    }
  }

  /// Random spectra (a few large "factor" eigenvalues over a decaying bulk): every selector equals
  /// its direct evaluation.
  @Test func randomSpectraMatchDirectFormulas() throws {
    let rng = testStream("sel-random")
    var distinct = Set<[Int]>()
    for trial in 0..<40 {
      let (t, n) = trial % 2 == 0 ? (14, 16) : (17, 13)
      let q = min(t, n) - 1
      let factors = rng.uniformInt(4)
      var mu = (0..<q).map { j in exp(-0.15 * Double(j) + 0.2 * rng.normal()) }
      for j in 0..<factors { mu[j] += 3 + 10 * rng.uniform() }
      mu.sort(by: >)
      let y = try Self.panelWithSpectrum(mu, periods: t, units: n, testStream("sel-random-panel", trial))
      let s = try PanelSpectrum(panel: y, kmax: 3)
      distinct.insert(try Self.check(s, mu: mu, n: n, t: t, label: "trial \(trial)"))
    }
    #expect(distinct.count > 3)  // the spectra exercise different answers
  }

  /// Strong factors (N = T = 100, r = 3, noise sd 0.5, additive effects present): IC_p2 and ER
  /// pick 3. The factor eigenvalues are O(1) and the noise bulk O(0.25·4/100), so the criteria have
  /// a wide margin; three fixed seeds.
  @Test func strongFactorsArePicked() throws {
    for seed in 0..<3 {
      let y = factorPanel(periods: 100, units: 100, rank: 3, sd: 0.5, testStream("sel-strong", seed))
      let s = try PanelSpectrum(panel: y)
      #expect(s.kmax == 8)
      #expect(try RankSelector.icp2.select(s) == 3)
      #expect(try RankSelector.er.select(s) == 3)
    }
  }

  @Test func displayNames() {
    #expect(RankSelector.allCases.map(\.displayName) == ["IC_p1", "IC_p2", "IC_p3", "PC_p1", "PC_p2", "PC_p3", "ER", "GR", "ED"])
  }
}
