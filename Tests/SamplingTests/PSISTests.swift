import Foundation
import RandomStreams
import Sampling
import Testing
import TestSupport

// MARK: - arviz reference

/// `psislw` on raw log-ratio vectors: normalised log weights and k̂. Tolerance 1e-9 relative
/// (k̂ and log weights come out of sums of ~10² log1p terms and a grid of exponentials; the
/// observed differences are round-off, ~1e-13).
@Test(arguments: ReferenceFixture.shared.psis.map(\.name))
func psisAgreesWithArviz(_ name: String) {
  let c = ReferenceFixture.shared.psis.first { $0.name == name }!
  let (lw, k) = PSIS.smooth(logRatios: c.logRatios, relativeEfficiency: c.reff)
  #expect(agrees(k, c.k, 1e-9), "\(name): k̂ \(k) vs arviz \(c.k)")
  let worst = zip(lw, c.logWeights).map { relativeError($0, $1) }.max()!
  #expect(worst < 1e-9, "\(name): largest relative difference of a log weight \(worst)")
  // normalised
  #expect(abs(lw.reduce(0) { $0 + exp($1) } - 1) < 1e-12)
}

/// The log-likelihood matrix of a fixture model, rebuilt from y and the posterior draws by the
/// formula the fixture script used (row i = observation i, S = 1000 draws, chains concatenated).
func fixtureLogLikelihood(_ model: ReferenceFixture.LOOCase) -> (pointwise: [Double], observations: Int, draws: Int, parameters: [[[Double]]]) {
  let y = model.y
  let mu = model.posterior["mu"]!
  let muDraws = Array(mu.joined())
  let s = muDraws.count
  var pointwise = [Double](repeating: 0, count: y.count * s)
  var parameters = [mu]
  if let sigma2 = model.posterior["sigma2"] {
    parameters.append(sigma2)
    let s2 = Array(sigma2.joined())
    for i in y.indices {
      for d in 0..<s {
        let r = y[i] - muDraws[d]
        pointwise[i * s + d] = -0.5 * log(2 * Double.pi * s2[d]) - 0.5 * r * r / s2[d]
      }
    }
  } else {
    for i in y.indices {
      for d in 0..<s {
        let r = y[i] - muDraws[d]
        pointwise[i * s + d] = -0.5 * log(2 * Double.pi) - 0.5 * r * r
      }
    }
  }
  return (pointwise, y.count, s, parameters)
}

/// `loo(pointwise=True)` with r_eff = 0.9 given, and with arviz's default r_eff from the
/// posterior (mean ESS_mean/S over μ, σ²). Tolerance 1e-9 relative: the log likelihood is
/// rebuilt here (libm's log against numpy's, a few ulp apart) and goes through PSIS.
@Test(arguments: ReferenceFixture.shared.loo.map(\.name))
func looAgreesWithArviz(_ name: String) {
  let model = ReferenceFixture.shared.loo.first { $0.name == name }!
  let ll = fixtureLogLikelihood(model)
  let defaultReff = LOO.relativeEfficiency(parameters: ll.parameters)
  #expect(agrees(defaultReff, model.defaultReff, 1e-10), "\(name): r_eff \(defaultReff) vs arviz \(model.defaultReff)")
  for (label, reff, expected) in [("r_eff 0.9", 0.9, model.givenReff), ("default r_eff", defaultReff, model.defaultReffValues)] {
    let r = LOO.compute(pointwise: ll.pointwise, observations: ll.observations, draws: ll.draws, relativeEfficiency: reff)
    #expect(agrees(r.elpd, expected.elpd, 1e-9), "\(name) \(label): elpd \(r.elpd) vs \(expected.elpd)")
    #expect(agrees(r.se, expected.se, 1e-9), "\(name) \(label): se \(r.se) vs \(expected.se)")
    #expect(agrees(r.pLOO, expected.pLOO, 1e-9), "\(name) \(label): p_loo \(r.pLOO) vs \(expected.pLOO)")
    #expect(agrees(r.lppd, model.lppd, 1e-10), "\(name) \(label): lppd \(r.lppd) vs \(model.lppd)")
    let worstK = zip(r.paretoK, expected.paretoK).map { relativeError($0, $1) }.max()!
    let worstI = zip(r.pointwiseElpd, expected.pointwiseElpd).map { relativeError($0, $1) }.max()!
    #expect(worstK < 1e-9, "\(name) \(label): largest relative difference in k̂ \(worstK)")
    #expect(worstI < 1e-9, "\(name) \(label): largest relative difference in elpd_i \(worstI)")
    #expect(r.count(kAbove: 0.7) == expected.paretoK.count(where: { $0 > 0.7 }))
    #expect(r.looic == -2 * r.elpd)
  }
}

/// The outlier model of the fixture has one k̂ above 0.7, the known-σ model none.
@Test func outlierGivesLargeParetoK() {
  let nig = LOO.compute(
    pointwise: fixtureLogLikelihood(ReferenceFixture.shared.loo[0]).pointwise, observations: 30, draws: 1000,
    relativeEfficiency: 0.9)
  #expect(nig.count(kAbove: 0.7) == 1)
  #expect(nig.paretoK.last! > 0.7)
}

/// `compare` (pseudo-BMA ranks; elpd_diff and dse do not depend on the weighting method).
@Test func compareAgreesWithArviz() {
  let c = ReferenceFixture.shared.compare
  let results = c.models.map { name in
    let ll = fixtureLogLikelihood(ReferenceFixture.shared.loo.first { $0.name == name }!)
    return LOO.compute(pointwise: ll.pointwise, observations: ll.observations, draws: ll.draws, relativeEfficiency: c.reff)
  }
  let (best, differences, ses) = LOO.compare(results)
  #expect(c.rank[c.models[best]] == 0)
  for (j, name) in c.models.enumerated() {
    let d = c.elpdDiff[name]!, se = c.dse[name]!
    #expect(agrees(differences[j], d, 1e-8) || (d == 0 && differences[j] == 0), "\(name): Δelpd \(differences[j]) vs \(d)")
    #expect(agrees(ses[j], se, 1e-8) || (se == 0 && ses[j] == 0), "\(name): se(Δ) \(ses[j]) vs \(se)")
  }
}

// MARK: - Properties not relying on arviz

/// Log ratios log W with W classic Pareto of tail index 1/k: every upper tail of W is exactly
/// GPD with shape k. With S = 100 000 draws the tail has M = ⌈3√S⌉ = 949 points and the shape
/// estimate's sd is about (1 + k)/√M (the GPD's asymptotic sd); each of 5 replicates must fall
/// within 4 sd of k, their mean within 4 sd/√5. The weak prior towards 0.5 moves k̂ by
/// 10(0.5 − k)/(M + 10) ≈ 0.002 for k = 0.7, negligible against sd ≈ 0.055.
@Test(arguments: [0.3, 0.7, 1.2])
func paretoShapeIsRecovered(_ k: Double) {
  let rng = testStream("psis-pareto-shape", Int(k * 10))
  let s = 100_000
  let m = (3 * Double(s).squareRoot()).rounded(.up)
  let sd = (1 + k) / m.squareRoot()
  var estimates = [Double]()
  for _ in 0..<5 {
    // W = U^{−k}, U uniform on (0, 1]: P(W > w) = w^{−1/k}; log W = −k log U
    let logRatios = (0..<s).map { _ in -k * log(rng.uniformPositive()) }
    let (lw, kHat) = PSIS.smooth(logRatios: logRatios)
    estimates.append(kHat)
    #expect(abs(kHat - k) < 4 * sd, "k = \(k): k̂ = \(kHat), sd ≈ \(sd)")
    #expect(abs(lw.reduce(0) { $0 + exp($1) } - 1) < 1e-10)
  }
  let mean = estimates.reduce(0, +) / 5
  #expect(abs(mean - k) < 4 * sd / 5.0.squareRoot(), "k = \(k): mean k̂ = \(mean)")
}

/// Equal log ratios: the tail is empty (all values equal the cutoff), k̂ = +∞ as in arviz, and
/// the weights are uniform.
@Test func equalRatiosGiveUniformWeights() {
  let (lw, k) = PSIS.smooth(logRatios: [Double](repeating: 0.3, count: 100))
  #expect(k == .infinity)
  #expect(lw.allSatisfy { abs($0 + log(100.0)) < 1e-14 })
}

/// The Pareto cutoff is searched for among the ratios above a threshold taken from every 8th ratio
/// when at least M + 1 lie above it, and among all ratios otherwise; both must find the same cutoff.
/// Here every 8th of S = 4000 ratios is one of the 500 largest, so the threshold (the sample's 39th
/// largest) leaves 38 < M + 1 = 191 above it and the full search runs; the same ratios shuffled take
/// the threshold's path. The smoothing must agree position by position: k̂ exactly (the same tail),
/// the log weights to rounding (their normaliser sums in another order).
@Test func paretoCutoffIsTheSameWhicheverSearchFindsIt() {
  let rng = testStream("psis-cutoff")
  let s = 4000
  let values = (0..<s).map { _ in rng.normal(sd: 2) }.sorted(by: >)
  let sampled = (0..<s).filter { $0 % 8 == 0 }, rest = (0..<s).filter { $0 % 8 != 0 }
  var arranged = [Double](repeating: 0, count: s)
  for (rank, position) in (sampled + rest).enumerated() { arranged[position] = values[rank] }
  var permutation = Array(0..<s)
  for i in stride(from: s - 1, to: 0, by: -1) { permutation.swapAt(i, rng.uniformInt(i + 1)) }
  let shuffled = permutation.map { arranged[$0] }

  let a = PSIS.smooth(logRatios: arranged), b = PSIS.smooth(logRatios: shuffled)
  #expect(a.k.isFinite && a.k == b.k, "k̂ \(a.k) vs \(b.k)")
  #expect(permutation.indices.allSatisfy { abs(b.logWeights[$0] - a.logWeights[permutation[$0]]) <= 1e-12 })
}
