import Foundation
import RandomStreams
import Sampling
import TestSupport
import Testing

// MARK: - Targets

/// N(0, diag(σ²)): log p = −½ Σ (θᵢ/σᵢ)².
private struct DiagonalGaussian: LogDensity {
  let sds: [Double]
  var dimension: Int { sds.count }
  func logDensity(_ theta: [Double], gradient: inout [Double]) -> Double {
    var s = 0.0
    for i in 0..<sds.count {
      let z = theta[i] / sds[i]
      s += z * z
      gradient[i] = -z / sds[i]
    }
    return -0.5 * s
  }

  /// d standard deviations log-spaced from `low` to `high`.
  static func spread(_ d: Int, from low: Double, to high: Double) -> DiagonalGaussian {
    DiagonalGaussian(sds: (0..<d).map { low * pow(high / low, Double($0) / Double(d - 1)) })
  }
}

/// A bivariate normal with means μ, sds σ and correlation r.
private struct CorrelatedGaussian: LogDensity {
  let mean: [Double], sd: [Double], r: Double
  var dimension: Int { 2 }
  func logDensity(_ theta: [Double], gradient: inout [Double]) -> Double {
    let a = (theta[0] - mean[0]) / sd[0], b = (theta[1] - mean[1]) / sd[1]
    let c = 1 - r * r
    gradient[0] = -(a - r * b) / (c * sd[0])
    gradient[1] = -(b - r * a) / (c * sd[1])
    return -(a * a - 2 * r * a * b + b * b) / (2 * c)
  }
}

/// x ~ Gamma(shape a, rate b) sampled as u = log x: p(u) = p_x(eᵘ)·eᵘ ∝ e^{a u − b eᵘ}.
private struct LogGamma: LogDensity {
  let a: Double, b: Double
  var dimension: Int { 1 }
  func logDensity(_ theta: [Double], gradient: inout [Double]) -> Double {
    let x = exp(theta[0])
    gradient[0] = a - b * x
    return a * theta[0] - b * x
  }
}

/// Neal's funnel, centred: v ~ N(0, 3²), xᵢ | v ~ N(0, eᵛ), i = 1…k.
private struct Funnel: LogDensity {
  let k: Int
  var dimension: Int { k + 1 }
  func logDensity(_ theta: [Double], gradient: inout [Double]) -> Double {
    let v = theta[0], ev = exp(-v)
    var ss = 0.0
    for i in 1...k {
      ss += theta[i] * theta[i]
      gradient[i] = -theta[i] * ev
    }
    gradient[0] = -v / 9 + 0.5 * ss * ev - 0.5 * Double(k)
    return -v * v / 18 - 0.5 * ss * ev - 0.5 * Double(k) * v
  }
}

/// −∞ everywhere.
private struct Impossible: LogDensity {
  var dimension: Int { 3 }
  func logDensity(_ theta: [Double], gradient: inout [Double]) -> Double { -.infinity }
}

/// A non-centred hierarchical logistic model, simulated here: y_j ~ Bernoulli(logit⁻¹(ā + τ e_g(j)
/// + β x_j)), ā, β ~ N(0, 2²), τ ~ half-N(0, 1) sampled as log τ (Jacobian included), e_g ~ N(0, 1).
/// θ = (ā, β, log τ, e_1 … e_G).
private struct HierarchicalLogit: LogDensity {
  let groups: Int
  let group: [Int]
  let x: [Double]
  let y: [Double]
  var dimension: Int { 3 + groups }

  init(groups: Int, rows: Int, stream: RandomStream) {
    self.groups = groups
    let aBar = -0.3, beta = 0.8, tau = 0.7
    let e = stream.normals(groups)
    let x = stream.normals(rows)
    group = (0..<rows).map { $0 % groups }
    y = (0..<rows).map { j in
      let eta = aBar + tau * e[j % groups] + beta * x[j]
      return stream.uniform() < 1 / (1 + exp(-eta)) ? 1 : 0
    }
    self.x = x
  }

  func logDensity(_ theta: [Double], gradient: inout [Double]) -> Double {
    let aBar = theta[0], beta = theta[1], u = theta[2], tau = exp(u)
    var lp = -aBar * aBar / 8 - beta * beta / 8 - tau * tau / 2 + u
    var gA = -aBar / 4, gB = -beta / 4, gTau = -tau
    for g in 0..<groups {
      lp -= 0.5 * theta[3 + g] * theta[3 + g]
      gradient[3 + g] = -theta[3 + g]
    }
    for j in 0..<y.count {
      let g = group[j]
      let eta = aBar + tau * theta[3 + g] + beta * x[j]
      // y η − log(1 + e^η), stably; residual r = y − logit⁻¹(η).
      let a = exp(-abs(eta))
      lp += y[j] * eta - (max(eta, 0) + log1p(a))
      let prob = eta >= 0 ? 1 / (1 + a) : a / (1 + a)
      let r = y[j] - prob
      gA += r
      gB += r * x[j]
      gTau += r * theta[3 + g]
      gradient[3 + g] += r * tau
    }
    gradient[0] = gA
    gradient[1] = gB
    gradient[2] = gTau * tau + 1
    return lp
  }
}

// MARK: - Effective sample size (private helper)

/// Multi-chain ESS by Geyer's initial monotone sequence (Geyer 1992; the multi-chain form of
/// Vehtari et al. 2021, "Rank-normalization, folding, and localization", §3.2, as in Stan's
/// `compute_effective_sample_size`): chains are split in halves; with W the mean within-chain
/// variance, var⁺ = (N−1)/N·W + B/N, and ρ̂_t = 1 − (W − mean autocovariance at lag t)/var⁺, the sums
/// P_t = ρ̂_{2t} + ρ̂_{2t+1} are kept while positive and forced non-increasing; ESS = MN/τ̂ with
/// τ̂ = −1 + 2ΣP_t.
private func ess(_ chains: [[Double]]) -> Double {
  var split: [[Double]] = []
  for c in chains {
    let h = c.count / 2
    split.append(Array(c[0..<h]))
    split.append(Array(c[(c.count - h)...]))
  }
  let m = Double(split.count), n = split[0].count, nd = Double(n)
  let means = split.map { $0.reduce(0, +) / nd }
  func acov(_ k: Int, _ t: Int) -> Double {
    var s = 0.0
    let c = split[k], mu = means[k]
    for i in 0..<(n - t) { s += (c[i] - mu) * (c[i + t] - mu) }
    return s / nd
  }
  let w = (0..<split.count).map { acov($0, 0) * nd / (nd - 1) }.reduce(0, +) / m
  let grand = means.reduce(0, +) / m
  let b = means.map { ($0 - grand) * ($0 - grand) }.reduce(0, +) / (m - 1)
  let varPlus = (nd - 1) / nd * w + b
  guard varPlus > 0 else { return 1 }
  func rho(_ t: Int) -> Double {
    let meanAcov = (0..<split.count).map { acov($0, t) }.reduce(0, +) / m
    return 1 - (w - meanAcov) / varPlus
  }
  var tau = -1.0
  var previous = Double.infinity
  var t = 0
  while t + 1 < n {
    var pair = (t == 0 ? 1 : rho(t)) + rho(t + 1)
    if pair < 0 { break }
    pair = min(pair, previous)
    previous = pair
    tau += 2 * pair
    t += 2
  }
  return m * nd / max(tau, 1 / log10(m * nd))
}

/// Φ⁻¹(p) by Newton's method on Φ(x) = ½erfc(−x/√2).
private func normalQuantile(_ p: Double) -> Double {
  var x = 0.0
  for _ in 0..<60 {
    let f = 0.5 * erfc(-x / 2.0.squareRoot()) - p
    let density = exp(-0.5 * x * x) / (2 * Double.pi).squareRoot()
    let step = f / density
    x -= max(-1, min(1, step))
    if abs(step) < 1e-12 { break }
  }
  return x
}

/// Bulk ESS (Vehtari et al. 2021): the ESS of the rank-normalised draws, z = Φ⁻¹((r − 3/8)/(S + 1/4)).
private func bulkESS(_ chains: [[Double]]) -> Double {
  let all = chains.flatMap { $0 }
  let order = all.indices.sorted { all[$0] < all[$1] }
  var z = [Double](repeating: 0, count: all.count)
  let s = Double(all.count)
  for (rank, i) in order.enumerated() { z[i] = normalQuantile((Double(rank + 1) - 0.375) / (s + 0.25)) }
  let n = chains[0].count
  return ess((0..<chains.count).map { Array(z[$0 * n..<($0 + 1) * n]) })
}

private func parameter(_ chains: [ChainOutput], _ i: Int, _ f: (Double) -> Double = { $0 }) -> [[Double]] {
  chains.map { $0.parameter(i).map(f) }
}

private func mean(_ chains: [[Double]]) -> Double {
  let all = chains.flatMap { $0 }
  return all.reduce(0, +) / Double(all.count)
}

private let testKey = StreamKey(seed: 20_261_122, condition: "NUTSTests", replicate: 0)

// MARK: - Correctness

/// A 20-d Gaussian with sds log-spaced over 0.01…100 (condition number 10⁸ in variance): both
/// adaptation schemes must find the scales. Each mean is within 4 MCSE of 0, MCSE = σᵢ/√ESS(θᵢ);
/// each E[(θᵢ/σᵢ)²] is within 5 MCSE of 1, MCSE = √(2/ESS) (Var z² = 2 for z ~ N(0,1), the ESS that
/// of z²). With 20 coordinates and a fixed seed, 4 and 5 MCSE leave a family-wise false-alarm rate
/// below 10⁻³ while still catching a wrong metric, step or sampling rule (which shows up as tens of
/// MCSE). Also: the adapted M⁻¹ is within a factor 3 of σ², and no divergences.
@Test(arguments: MetricAdaptation.allCases)
func illConditionedGaussian(_ scheme: MetricAdaptation) throws {
  let target = DiagonalGaussian.spread(20, from: 0.01, to: 100)
  let nuts = try NUTS(settings: NUTSSettings(warmup: 1000, draws: 1000, chains: 4, metricAdaptation: scheme))
  let chains = try nuts.sample(target, key: testKey.appending("gaussian"))
  for i in 0..<target.dimension {
    let sd = target.sds[i]
    let draws = parameter(chains, i)
    let mcse = sd / ess(draws).squareRoot()
    #expect(abs(mean(draws)) < 4 * mcse, "coordinate \(i): mean \(mean(draws)), MCSE \(mcse)")
    let squares = parameter(chains, i) { ($0 / sd) * ($0 / sd) }
    let mcseVar = (2 / ess(squares)).squareRoot()
    #expect(abs(mean(squares) - 1) < 5 * mcseVar, "coordinate \(i): E z² \(mean(squares)), MCSE \(mcseVar)")
    for c in chains {
      let ratio = c.inverseMetric[i] / (sd * sd)
      #expect(ratio > 1 / 3 && ratio < 3, "coordinate \(i): M⁻¹/σ² = \(ratio)")
    }
  }
  #expect(chains.allSatisfy { $0.divergences == 0 })
  #expect(chains.allSatisfy { abs($0.meanAcceptance - 0.8) < 0.1 })
}

/// A bivariate normal, μ = (1, −2), σ = (1, 3), correlation 0.9 (the posterior of a normal mean with
/// known covariance under a flat prior has this form). Means within 4 MCSE; sds within 5 MCSE
/// (relative MCSE of an sd ≈ ½√(2/ESS(z²))); the central 90% interval μᵢ ± 1.6449σᵢ holds a
/// fraction of draws within 4 MCSE of 0.9, MCSE = √(0.09/ESS(indicator)).
@Test func correlatedGaussian() throws {
  let target = CorrelatedGaussian(mean: [1, -2], sd: [1, 3], r: 0.9)
  let chains = try NUTS(settings: NUTSSettings(warmup: 500, draws: 1000)).sample(target, key: testKey.appending("corr"))
  for i in 0..<2 {
    let mu = target.mean[i], sd = target.sd[i]
    let draws = parameter(chains, i)
    #expect(abs(mean(draws) - mu) < 4 * sd / ess(draws).squareRoot())
    let squares = parameter(chains, i) { (($0 - mu) / sd) * (($0 - mu) / sd) }
    let sdHat = mean(squares).squareRoot()
    #expect(abs(sdHat - 1) < 5 * 0.5 * (2 / ess(squares)).squareRoot(), "sd ratio \(sdHat)")
    let inside = parameter(chains, i) { abs($0 - mu) < 1.644_853_6 * sd ? 1 : 0 }
    #expect(abs(mean(inside) - 0.9) < 4 * (0.09 / ess(inside)).squareRoot(), "coverage \(mean(inside))")
  }
}

/// A positive parameter through the log transform with its Jacobian: x ~ Gamma(3, 2) sampled as
/// log x. E x = a/b = 1.5 within 4 MCSE (MCSE = sd(x)/√ESS); Var x = a/b² = 0.75, checked as
/// E(x − 1.5)² within 4 MCSE, MCSE = √(Var((x − μ)²)/ESS) = √((μ₄ − σ⁴)/ESS) = 1.5/√ESS
/// (μ₄ = 3a(a + 2)/b⁴ = 2.8125, σ⁴ = 0.5625). Without the Jacobian E x would be (a − 1)/b = 1.
@Test func gammaThroughLogTransform() throws {
  let target = LogGamma(a: 3, b: 2)
  let chains = try NUTS(settings: NUTSSettings(warmup: 500, draws: 1000)).sample(target, key: testKey.appending("gamma"))
  let x = parameter(chains, 0) { exp($0) }
  #expect(abs(mean(x) - 1.5) < 4 * 0.75.squareRoot() / ess(x).squareRoot(), "E x = \(mean(x))")
  let dev = parameter(chains, 0) { (exp($0) - 1.5) * (exp($0) - 1.5) }
  #expect(abs(mean(dev) - 0.75) < 4 * 1.5 / ess(dev).squareRoot(), "Var x = \(mean(dev))")
}

// MARK: - Reproducibility

/// The same key gives bit-identical chains; another key gives different ones; and `sample`'s chain c
/// is exactly `sampleChain` on the stream keyed key/"chain"/c (the per-chain stream contract that
/// makes results independent of how chains are scheduled).
@Test func reproducibleByKey() throws {
  let target = CorrelatedGaussian(mean: [0, 0], sd: [1, 2], r: 0.5)
  let nuts = try NUTS(settings: NUTSSettings(warmup: 150, draws: 100, chains: 3))
  let key = testKey.appending("repro")
  let a = try nuts.sample(target, key: key)
  let b = try nuts.sample(target, key: key)
  let other = try nuts.sample(target, key: testKey.appending("repro2"))
  #expect(a.count == 3)
  for c in 0..<3 {
    #expect(a[c].draws == b[c].draws)
    #expect(a[c].stepSize == b[c].stepSize && a[c].inverseMetric == b[c].inverseMetric)
    #expect(a[c].gradientEvaluations == b[c].gradientEvaluations)
    #expect(a[c].draws != other[c].draws)
    let single = try nuts.sampleChain(target, stream: RandomStream(key: key.appending("chain").appending(UInt64(c))))
    #expect(single.draws == a[c].draws && single.stepSize == a[c].stepSize)
  }
  #expect(a[0].draws != a[1].draws)
  // Chains spread over threads are the same chains, in the same order.
  for threads in [2, 3, 8] {
    let parallel = try nuts.sample(target, key: key, threads: threads)
    #expect(parallel.map(\.draws) == a.map(\.draws))
  }
}

// MARK: - Diagnostics counted

/// The centred funnel (v ~ N(0, 9), 9 coordinates xᵢ ~ N(0, eᵛ)) has a neck whose curvature no single
/// step size handles, so a correct sampler reports divergences there; a 10-d standard normal at the
/// adapted step has energy errors of order 1, far below the 1000 threshold, so none.
@Test func divergencesCountedOnFunnelNotOnNormal() throws {
  let nuts = try NUTS(settings: NUTSSettings(warmup: 500, draws: 500, chains: 2))
  let funnel = try nuts.sample(Funnel(k: 9), key: testKey.appending("funnel"))
  #expect(funnel.map(\.divergences).reduce(0, +) > 0)
  let normal = try nuts.sample(DiagonalGaussian(sds: Array(repeating: 1, count: 10)), key: testKey.appending("normal"))
  #expect(normal.allSatisfy { $0.divergences == 0 && $0.treeDepthSaturations == 0 })
}

/// With maxTreeDepth 1 or 2 a 20-d Gaussian with sds over 0.01…100 cannot U-turn within 1 or 3 steps
/// (the unadapted directions need ~σ_max/ε steps) — most transitions saturate; with the default 10 the
/// standard normal above never does.
@Test(arguments: [1, 2])
func treeDepthSaturationCounted(_ depth: Int) throws {
  let nuts = try NUTS(settings: NUTSSettings(warmup: 100, draws: 200, chains: 1, maxTreeDepth: depth))
  let chain = try nuts.sample(DiagonalGaussian.spread(20, from: 0.01, to: 100), key: testKey.appending("depth"))[0]
  #expect(chain.treeDepthSaturations > chain.drawCount / 2, "\(chain.treeDepthSaturations) of \(chain.drawCount)")
  #expect(chain.gradientEvaluations <= (100 + 200) * ((1 << depth) - 1) + 200)
}

// MARK: - Errors

/// Each invalid setting is refused with a one-sentence message naming it.
@Test func invalidSettingsRejected() {
  let cases: [(NUTSSettings, String)] = [
    (NUTSSettings(warmup: -1), "warmup"), (NUTSSettings(draws: 0), "draws"), (NUTSSettings(chains: 0), "chains"),
    (NUTSSettings(maxTreeDepth: 0), "maxTreeDepth"), (NUTSSettings(targetAcceptance: 1), "targetAcceptance"),
    (NUTSSettings(targetAcceptance: .nan), "targetAcceptance"), (NUTSSettings(initialRadius: 0), "initialRadius"),
  ]
  for (settings, name) in cases {
    let error = #expect(throws: SamplingError.self) { _ = try NUTS(settings: settings) }
    guard case .invalidSettings(let message) = error else {
      Issue.record("\(name): expected invalidSettings, got \(String(describing: error))")
      continue
    }
    #expect(message.contains(name) && message.hasSuffix("."), "\(message)")
  }
  #expect(throws: Never.self) { _ = try NUTS() }
}

/// A target that is −∞ everywhere has no starting point; an initial point of the wrong length or
/// outside the support is refused.
@Test func initialisationFailures() throws {
  let nuts = try NUTS(settings: NUTSSettings(warmup: 10, draws: 10, chains: 1))
  let error = #expect(throws: SamplingError.self) { _ = try nuts.sample(Impossible(), key: testKey.appending("impossible")) }
  if case .initialisationFailed = error {} else { Issue.record("expected initialisationFailed, got \(String(describing: error))") }
  #expect(throws: SamplingError.self) {
    _ = try nuts.sampleChain(LogGamma(a: 3, b: 2), stream: testStream("nuts-init"), initial: [0, 0])
  }
  #expect(throws: SamplingError.self) {
    _ = try nuts.sampleChain(Impossible(), stream: testStream("nuts-init"), initial: [0, 0, 0])
  }
  let chain = try nuts.sampleChain(LogGamma(a: 3, b: 2), stream: testStream("nuts-init"), initial: [0.4])
  #expect(chain.drawCount == 10 && chain.draws.count == 10)
}

// MARK: - Adaptation schemes compared

/// Bulk ESS (minimum over coordinates) per gradient evaluation of a 4-chain fit, warm-up included.
private func efficiency(
  _ target: some LogDensity, scheme: MetricAdaptation, key: StreamKey, warmup: Int = 1000, draws: Int = 1000
) throws -> (essPerGradient: Double, gradients: Int, minESS: Double) {
  let nuts = try NUTS(settings: NUTSSettings(warmup: warmup, draws: draws, chains: 4, metricAdaptation: scheme))
  let chains = try nuts.sample(target, key: key)
  let minESS = (0..<target.dimension).map { bulkESS(parameter(chains, $0)) }.min()!
  let gradients = chains.map(\.gradientEvaluations).reduce(0, +)
  return (minESS / Double(gradients), gradients, minESS)
}

/// Measures which metric adaptation reaches a given bulk ESS with fewer gradient evaluations, on a
/// 100-d Gaussian with sds over 0.01…100 and a 23-parameter non-centred hierarchical logistic model
/// (20 groups, 400 rows), over several seeds; prints the numbers. Slow (tens of seconds), so it runs
/// only when NUTS_COMPARE is set; the default `NUTSSettings.metricAdaptation` follows its result.
@Test(.enabled(if: ProcessInfo.processInfo.environment["NUTS_COMPARE"] != nil))
func adaptationSchemeComparison() throws {
  let gaussian = DiagonalGaussian.spread(100, from: 0.01, to: 100)
  let logit = HierarchicalLogit(groups: 20, rows: 400, stream: testStream("nuts-logit"))
  for (name, seeds) in [("gaussian100", 3), ("hierarchicalLogit", 3)] {
    for scheme in MetricAdaptation.allCases {
      var perGradient: [Double] = [], gradients: [Int] = [], minESS: [Double] = []
      for seed in 0..<seeds {
        let key = testKey.appending("compare").appending(name).appending(UInt64(seed))
        let r =
          name == "gaussian100"
          ? try efficiency(gaussian, scheme: scheme, key: key) : try efficiency(logit, scheme: scheme, key: key)
        perGradient.append(r.essPerGradient)
        gradients.append(r.gradients)
        minESS.append(r.minESS)
      }
      let f = { (x: Double) in String(format: "%.3g", x) }
      print(
        "NUTS_COMPARE \(name) \(scheme.rawValue): min bulk ESS/gradient \(perGradient.map { f($0 * 1000) }) per 1000,"
          + " gradients per fit \(gradients), min bulk ESS \(minESS.map(f))")
    }
  }
}
