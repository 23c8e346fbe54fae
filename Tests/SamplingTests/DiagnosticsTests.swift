import Foundation
import RandomStreams
import Sampling
import Testing
import TestSupport

/// Tests/Fixtures/diagnostics_reference.json, written by scripts/reference/diagnostics_fixture.py:
/// inputs drawn with numpy and the values arviz 0.23.4 computes for them.
///
/// Read with JSONDecoder, which parses numbers exactly; JSONSerialization on Linux does not (it
/// can be an ulp or two off, enough to reorder two nearly equal draws and change a rank).
/// Non-finite numbers are stored as "nan", "inf", "-inf".
struct ReferenceFixture: Decodable, Sendable {
  struct DiagnosticsCase: Decodable, Sendable {
    let name: String
    let chains: [[Double]]
    let rhat, essBulk, essTail, essMean, mcseMean, mcseSD: Double
    enum CodingKeys: String, CodingKey {
      case name, chains, rhat, essBulk = "ess_bulk", essTail = "ess_tail", essMean = "ess_mean", mcseMean = "mcse_mean"
      case mcseSD = "mcse_sd"
    }
  }
  struct QuantileCase: Decodable, Sendable {
    let name: String
    let values, probs, quantiles: [Double]
  }
  struct PSISCase: Decodable, Sendable {
    let name: String
    let logRatios, logWeights: [Double]
    let reff, k: Double
    enum CodingKeys: String, CodingKey { case name, reff, k, logRatios = "log_ratios", logWeights = "log_weights" }
  }
  struct LOOValues: Decodable, Sendable {
    let elpd, se, pLOO: Double
    let pointwiseElpd, paretoK: [Double]
    enum CodingKeys: String, CodingKey { case elpd, se, pLOO = "p_loo", pointwiseElpd = "loo_i", paretoK = "pareto_k" }
  }
  struct LOOCase: Decodable, Sendable {
    let name: String
    let observations, draws: Int
    let y: [Double]
    /// parameter name → chains
    let posterior: [String: [[Double]]]
    let givenReff: LOOValues
    let defaultReffValues: LOOValues
    let defaultReff, lppd: Double
    enum CodingKeys: String, CodingKey {
      case name, observations, draws, y, posterior, lppd, givenReff = "reff0.9", defaultReffValues = "reff_default",
        defaultReff = "default_reff"
    }
  }
  struct CompareCase: Decodable, Sendable {
    let models: [String]
    let reff: Double
    let rank: [String: Int]
    let elpdDiff, dse: [String: Double]
    enum CodingKeys: String, CodingKey { case models, reff, rank, dse, elpdDiff = "elpd_diff" }
  }
  let diagnostics: [DiagnosticsCase]
  let quantiles: [QuantileCase]
  let psis: [PSISCase]
  let loo: [LOOCase]
  let compare: CompareCase

  static let shared: ReferenceFixture = {
    let url = packageRoot.appendingPathComponent("Tests/Fixtures/diagnostics_reference.json")
    let decoder = JSONDecoder()
    decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return try! decoder.decode(ReferenceFixture.self, from: Data(contentsOf: url))
  }()
}

/// Agreement to `tol` relative; NaN matches NaN and infinities match themselves.
func agrees(_ a: Double, _ b: Double, _ tol: Double = 1e-10) -> Bool {
  if b.isNaN { return a.isNaN }
  if b.isInfinite { return a == b }
  return abs(a - b) <= tol * max(abs(b), 1e-300)
}

func relativeError(_ a: Double, _ b: Double) -> Double {
  if a == b || (a.isNaN && b.isNaN) { return 0 }
  return abs(a - b) / abs(b)
}

// MARK: - arviz reference

/// Tolerance 1e-10 relative: arviz computes autocovariances by FFT and means by pairwise
/// summation, this code directly; the differences are round-off. The exception is draws offset
/// by 10⁶ with unit spread, where the chain means carry ~10⁻¹⁰ relative summation error in both
/// implementations (10 digits of the sums go to the offset); there ESS and MCSE agree to ~2e-10,
/// tested at 1e-8.
@Test(arguments: ReferenceFixture.shared.diagnostics.map(\.name))
func diagnosticsAgreeWithArviz(_ name: String) {
  let c = ReferenceFixture.shared.diagnostics.first { $0.name == name }!
  let tol = name == "large_offset_1e6" ? 1e-8 : 1e-10
  let checks: [(String, Double, Double)] = [
    ("rhat", Diagnostics.rhat(c.chains), c.rhat),
    ("ess_bulk", Diagnostics.essBulk(c.chains), c.essBulk),
    ("ess_tail", Diagnostics.essTail(c.chains), c.essTail),
    ("ess_mean", Diagnostics.essMean(c.chains), c.essMean),
    ("mcse_mean", Diagnostics.mcseMean(c.chains), c.mcseMean),
    ("mcse_sd", Diagnostics.mcseSD(c.chains), c.mcseSD),
  ]
  for (what, ours, arviz) in checks {
    #expect(agrees(ours, arviz, tol), "\(name) \(what): \(ours) vs arviz \(arviz), relative difference \(relativeError(ours, arviz))")
  }
}

/// Bit-for-bit agreement with np.quantile (linear), interpolation written as numpy's `_lerp`.
@Test func quantileAgreesWithNumpy() {
  for c in ReferenceFixture.shared.quantiles {
    for (p, q) in zip(c.probs, c.quantiles) {
      #expect(Diagnostics.quantile(c.values, p) == q, "\(c.name) p = \(p)")
    }
  }
  #expect(Diagnostics.quantile([], 0.5).isNaN)
  #expect(Diagnostics.quantile([1, 2], 1.5).isNaN)
}

// MARK: - Special cases

@Test func tooFewChainsOrDrawsOrNaNGiveNaN() {
  let one = [[0.1, 0.5, -0.3, 0.9, 1.2]]
  #expect(Diagnostics.rhat(one).isNaN)  // R̂ needs 2 chains …
  #expect(!Diagnostics.essBulk(one).isNaN)  // … ESS does not
  let short = [[0.1, 0.2, 0.3], [0.3, 0.1, 0.2]]
  #expect(Diagnostics.rhat(short).isNaN)
  #expect(Diagnostics.essBulk(short).isNaN)
  #expect(Diagnostics.mcseMean(short).isNaN)
  let withNaN = [[0.1, .nan, 0.3, 0.4], [0.3, 0.1, 0.2, 0.5]]
  #expect(Diagnostics.rhat(withNaN).isNaN)
  #expect(Diagnostics.essTail(withNaN).isNaN)
}

@Test func constantChainsFollowArviz() {
  let constant = [[Double]](repeating: [Double](repeating: 2, count: 10), count: 3)
  #expect(Diagnostics.rhat(constant).isNaN)
  #expect(Diagnostics.essBulk(constant) == 30)
  #expect(Diagnostics.essTail(constant) == 30)
  #expect(Diagnostics.essMean(constant) == 30)
  #expect(Diagnostics.mcseMean(constant) == 0)
  // each chain constant, chains different: no within-chain variance at all
  #expect(Diagnostics.rhat([[1, 1, 1, 1], [2, 2, 2, 2]]) == .infinity)
}

// MARK: - Properties not relying on arviz

/// iid N(0, 1), 4 chains × 1000 draws (S = 4000). For iid draws every ESS estimates S. Its
/// sampling sd: τ̂ sums the ρ̂_t kept by Geyer's sequence (a few lags T), each with variance
/// ≈ 1/S, so sd(τ̂) ≈ 2√(T/S) ≈ 0.06 for T ≈ 4 — and by simulation with arviz (300 replicates)
/// bulk ESS has mean 3934, sd 174; tail ESS mean 3845, sd 163. The bounds 0.2 S (bulk, mean)
/// and 0.25 S (tail) are about 4.5 sd. R̂ − 1 ≈ (B/W − 1)/(2n) with B/W − 1 of sd √(2/(m − 1))
/// for m = 8 split chains of n = 500: sd ≈ 0.0005 (arviz simulation: 0.00053), so 0.01 is ~20 sd.
/// MCSE ≈ 1/√ESS_mean, 1/√S within ~10%.
@Test func iidNormalDrawsHaveEssNearSAndRhatNearOne() {
  let rng = testStream("iid-normal-diagnostics")
  for replicate in 0..<5 {
    let chains = (0..<4).map { _ in rng.normals(1000) }
    let s = 4000.0
    let bulk = Diagnostics.essBulk(chains)
    let mean = Diagnostics.essMean(chains)
    let tail = Diagnostics.essTail(chains)
    let rhat = Diagnostics.rhat(chains)
    #expect(abs(bulk - s) < 0.2 * s, "replicate \(replicate): bulk ESS \(bulk)")
    #expect(abs(mean - s) < 0.2 * s, "replicate \(replicate): mean ESS \(mean)")
    #expect(abs(tail - s) < 0.25 * s, "replicate \(replicate): tail ESS \(tail)")
    #expect(abs(rhat - 1) < 0.01, "replicate \(replicate): R̂ \(rhat)")
    let mcse = Diagnostics.mcseMean(chains)
    #expect(abs(mcse - 1 / s.squareRoot()) < 0.15 / s.squareRoot(), "replicate \(replicate): MCSE \(mcse)")
  }
}

/// AR(1) with ρ: the integrated autocorrelation time is (1 + ρ)/(1 − ρ), so ESS ≈ S(1 − ρ)/(1 + ρ).
@Test func ar1EssMatchesTheIntegratedAutocorrelationTime() {
  let rng = testStream("ar1-diagnostics")
  let rho = 0.8
  let chains = (0..<4).map { _ -> [Double] in
    var x = rng.normal()
    return (0..<5000).map { _ in
      x = rho * x + (1 - rho * rho).squareRoot() * rng.normal()
      return x
    }
  }
  let expected = 20000 * (1 - rho) / (1 + rho)
  #expect(abs(Diagnostics.essMean(chains) / expected - 1) < 0.15)
  #expect(abs(Diagnostics.essBulk(chains) / expected - 1) < 0.15)
}

/// `summary` shares one sort among the six diagnostics; its fields are the same numbers.
@Test(arguments: ReferenceFixture.shared.diagnostics.map(\.name))
func summaryEqualsTheSingleFunctions(_ name: String) {
  let chains = ReferenceFixture.shared.diagnostics.first { $0.name == name }!.chains
  let s = Diagnostics.summary(chains)
  let same = { (a: Double, b: Double) in a == b || (a.isNaN && b.isNaN) }
  #expect(same(s.rhat, Diagnostics.rhat(chains)))
  #expect(same(s.essBulk, Diagnostics.essBulk(chains)))
  #expect(same(s.essTail, Diagnostics.essTail(chains)))
  #expect(same(s.essMean, Diagnostics.essMean(chains)))
  #expect(same(s.mcseMean, Diagnostics.mcseMean(chains)))
  #expect(same(s.mcseSD, Diagnostics.mcseSD(chains)))
}
