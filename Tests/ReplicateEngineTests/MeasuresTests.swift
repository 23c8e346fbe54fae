import Foundation
import RandomStreams
import ReplicateEngine
import Testing
import TestSupport

/// The measure called `name`, if present.
private func find(_ values: [MeasureValue], _ name: String) -> MeasureValue? { values.first { $0.measure == name } }

/// True when no estimate and no MCSE is NaN or infinite.
private func allFinite(_ values: [MeasureValue]) -> Bool {
  values.allSatisfy { $0.estimate.isFinite && ($0.mcse?.isFinite ?? true) }
}

// MARK: - Known answers

/// An expected measure: its estimate and MCSE written as closed forms worked out by hand.
struct Expected: Sendable, CustomTestStringConvertible {
  let measure: String
  let estimate: Double
  let mcse: Double?
  init(_ measure: String, _ estimate: Double, _ mcse: Double?) {
    self.measure = measure
    self.estimate = estimate
    self.mcse = mcse
  }
  var testDescription: String { measure }
}

/// Constant truth θ = 1, θ̂ = (0, 1, 3, 4), SE = (1, 1, 2, 2), intervals [−1,1] [0,2] [2,4] [1.5,6.5],
/// p = (0.01, 0.05, 0.2, 0.9).
private let constantTruthRows = [
  ReplicateEstimate(value: 0, truth: 1, se: 1, lower: -1, upper: 1, pValue: 0.01),
  ReplicateEstimate(value: 1, truth: 1, se: 1, lower: 0, upper: 2, pValue: 0.05),
  ReplicateEstimate(value: 3, truth: 1, se: 2, lower: 2, upper: 4, pValue: 0.2),
  ReplicateEstimate(value: 4, truth: 1, se: 2, lower: 1.5, upper: 6.5, pValue: 0.9),
]

/// By hand: θ̄ = 2; deviations −2, −1, 1, 2 so Σ(θ̂−θ̄)² = 10 and EmpSE = √(10/3).
/// Errors d = (−1, 0, 2, 3), d² = (1, 0, 4, 9), MSE = 14/4 = 3.5; d² − MSE = (−2.5, −3.5, 0.5, 5.5)
/// with squares summing to 49, so MCSE(MSE) = √(49/(4·3)).
/// SE² = (1, 1, 4, 4): mean 2.5 = ModSE², sample variance 4·1.5²/3 = 3, so MCSE(ModSE) =
/// √(3/(4·4·2.5)); ModSE/EmpSE = √(2.5·3/10) = √3/2 and Var(SE²)/(4n·ModSE⁴) = 3/(16·6.25) = 0.03.
/// θ = 1 lies in [−1,1] and [0,2] (closed ends) → C = 1/2; θ̄ = 2 lies in [0,2], [2,4], [1.5,6.5]
/// → B = 3/4; p ≤ 0.05 for 0.01 and 0.05 → P = 1/2.
private let constantTruthExpected: [Expected] = [
  Expected("n", 4, nil),
  Expected("bias", 1, (10.0 / 3).squareRoot() / 2),
  Expected("emp_se", (10.0 / 3).squareRoot(), (10.0 / 3).squareRoot() / 6.0.squareRoot()),
  Expected("mse", 3.5, (49.0 / 12).squareRoot()),
  Expected("rmse", 3.5.squareRoot(), (49.0 / 12).squareRoot() / (2 * 3.5.squareRoot())),
  Expected("model_se", 2.5.squareRoot(), (3.0 / 40).squareRoot()),
  Expected(
    "rel_error_model_se", 100 * (3.0.squareRoot() / 2 - 1),
    100 * (3.0.squareRoot() / 2) * (0.03 + 1.0 / 6).squareRoot()),
  Expected("coverage", 0.5, 0.25),
  Expected("be_coverage", 0.75, 3.0.squareRoot() / 8),
  Expected("rejection", 0.5, 0.25),
  Expected("mean", 2, (10.0 / 3).squareRoot() / 2),
]

/// Truth varying by row: θ = (0, 1, 2, 3), θ̂ = (0.5, 1, 3, 2.5), SE = 0.5 throughout, intervals
/// [−0.5,0.1] [0,2] [2.1,4] [1.5,3.1], no p-values.
private let varyingTruthRows = [
  ReplicateEstimate(value: 0.5, truth: 0, se: 0.5, lower: -0.5, upper: 0.1),
  ReplicateEstimate(value: 1, truth: 1, se: 0.5, lower: 0, upper: 2),
  ReplicateEstimate(value: 3, truth: 2, se: 0.5, lower: 2.1, upper: 4),
  ReplicateEstimate(value: 2.5, truth: 3, se: 0.5, lower: 1.5, upper: 3.1),
]

/// By hand: d = (0.5, 0, 1, −0.5), d̄ = 0.25, deviations ±0.25, ±0.75 → Σ = 1.25, sd(d) = √(1.25/3).
/// θ̂ mean 1.75, deviations (−1.25, −0.75, 1.25, 0.75) → Σ = 4.25, EmpSE = √(4.25/3).
/// d² = (0.25, 0, 1, 0.25), MSE = 0.375, deviations (−0.125, −0.375, 0.625, −0.125) → Σ squares
/// = 0.5625, MCSE(MSE) = √(0.5625/12) = 0.75/√12. SE² constant → ModSE = 0.5 with MCSE 0.
/// Own truths 0, 1, 3 are covered, 2 is not → 3/4; θᵢ + d̄ = 0.25, 1.25, 2.25, 3.25: the 2nd and
/// 3rd are covered → 1/2.
private let varyingTruthExpected: [Expected] = [
  Expected("n", 4, nil),
  Expected("bias", 0.25, (1.25 / 3).squareRoot() / 2),
  Expected("emp_se", (4.25 / 3).squareRoot(), (4.25 / 3).squareRoot() / 6.0.squareRoot()),
  Expected("mse", 0.375, 0.75 / 12.0.squareRoot()),
  Expected("rmse", 0.375.squareRoot(), 0.75 / 12.0.squareRoot() / (2 * 0.375.squareRoot())),
  Expected("model_se", 0.5, 0),
  Expected(
    "rel_error_model_se", 100 * (0.5 / (4.25 / 3).squareRoot() - 1),
    100 * (0.5 / (4.25 / 3).squareRoot()) * (1.0 / 6).squareRoot()),
  Expected("coverage", 0.75, (0.75 * 0.25 / 4).squareRoot()),
  Expected("be_coverage", 0.5, 0.25),
  Expected("mean", 1.75, (4.25 / 3).squareRoot() / 2),
]

/// Discrete: values (2, 3, 3, 10, 3, 1, 3), truth 3. x̄ = 25/7; deviations −11/7, −4/7 (×4), 45/7,
/// −18/7, so Σ(x−x̄)² = (121 + 64 + 2025 + 324)/49 = 2534/49 and s² = 2534/294;
/// m₄ = (11⁴ + 4·4⁴ + 45⁴ + 18⁴)/(7⁴·7) = 4221266/16807; Var(s²) = (m₄ − s⁴·4/6)/7.
private let discreteValues: [Double] = [2, 3, 3, 10, 3, 1, 3]
private let discreteS2 = 2534.0 / 294
private let discreteVarS2 = (4_221_266.0 / 16807 - discreteS2 * discreteS2 * 4 / 6) / 7
private let discreteExpected: [Expected] = [
  Expected("n", 7, nil),
  Expected("share_correct", 4.0 / 7, (4.0 / 7 * 3 / 7 / 7).squareRoot()),
  Expected("mean", 25.0 / 7, (discreteS2 / 7).squareRoot()),
  Expected("emp_se", discreteS2.squareRoot(), discreteVarS2.squareRoot() / (2 * discreteS2.squareRoot())),
  Expected("freq_1", 1.0 / 7, (1.0 / 7 * 6 / 7 / 7).squareRoot()),
  Expected("freq_2", 1.0 / 7, (1.0 / 7 * 6 / 7 / 7).squareRoot()),
  Expected("freq_3", 4.0 / 7, (4.0 / 7 * 3 / 7 / 7).squareRoot()),
  Expected("freq_10", 1.0 / 7, (1.0 / 7 * 6 / 7 / 7).squareRoot()),
]

/// Score: (1, 2, 3, 4, 10): mean 4, deviations (−3, −2, −1, 0, 6) → Σ = 50, s² = 12.5.
private let scoreValues: [Double] = [1, 2, 3, 4, 10]
private let scoreExpected: [Expected] = [
  Expected("n", 5, nil),
  Expected("mean", 4, (12.5 / 5).squareRoot()),
  Expected("emp_se", 12.5.squareRoot(), 12.5.squareRoot() / 8.0.squareRoot()),
]

private func check(_ got: [MeasureValue], _ e: Expected) {
  guard let m = find(got, e.measure) else {
    Issue.record("measure \(e.measure) missing")
    return
  }
  #expect(close(m.estimate, e.estimate, 1e-12), "\(e.measure): \(m.estimate) vs \(e.estimate)")
  switch (m.mcse, e.mcse) {
  case (nil, nil): break
  case (let a?, let b?): #expect(close(a, b, 1e-12), "\(e.measure) MCSE: \(a) vs \(b)")
  default: Issue.record("\(e.measure) MCSE: \(String(describing: m.mcse)) vs \(String(describing: e.mcse))")
  }
}

@Suite struct KnownAnswerTests {
  @Test(arguments: constantTruthExpected) func constantTruth(_ e: Expected) {
    check(PerformanceMeasures.continuous(constantTruthRows), e)
  }

  @Test func constantTruthGivesExactlyTheNamedMeasuresInOrder() {
    #expect(PerformanceMeasures.continuous(constantTruthRows).map(\.measure) == constantTruthExpected.map(\.measure))
  }

  @Test(arguments: varyingTruthExpected) func varyingTruth(_ e: Expected) {
    check(PerformanceMeasures.continuous(varyingTruthRows), e)
  }

  @Test func varyingTruthWithoutPValuesHasNoRejection() {
    #expect(PerformanceMeasures.continuous(varyingTruthRows).map(\.measure) == varyingTruthExpected.map(\.measure))
  }

  /// p = 0.05 counts as a rejection at alpha 0.05 but not at 0.049; at alpha 0.2 three of four reject.
  @Test(arguments: [(0.05, 0.5), (0.049, 0.25), (0.2, 0.75), (0.0, 0.0)])
  func rejectionAtAlpha(_ alpha: Double, _ share: Double) {
    #expect(find(PerformanceMeasures.continuous(constantTruthRows, alpha: alpha), "rejection")?.estimate == share)
  }

  @Test(arguments: discreteExpected) func discrete(_ e: Expected) {
    check(PerformanceMeasures.discrete(values: discreteValues, truth: 3), e)
  }

  /// The distribution is ordered by value (10 after 3, not after 1 as text would sort).
  @Test func discreteDistributionIsInNumericOrder() {
    let names = PerformanceMeasures.discrete(values: discreteValues, truth: 3).map(\.measure)
    #expect(names == discreteExpected.map(\.measure))
  }

  @Test(arguments: scoreExpected) func score(_ e: Expected) {
    check(PerformanceMeasures.score(scoreValues), e)
  }

  @Test(arguments: [
    (3, 10, 0.3, (0.3 * 0.7 / 10).squareRoot() as Double?), (0, 10, 0, 0), (10, 10, 1, 0), (0, 0, 0, nil),
    (1, 1, 1, nil),
  ])
  func rate(_ count: Int, _ total: Int, _ estimate: Double, _ mcse: Double?) {
    let r = PerformanceMeasures.rate("failure_rate", count: count, of: total)
    #expect(r.measure == "failure_rate" && close(r.estimate, estimate, 1e-15))
    #expect(r.mcse.map { close($0, mcse ?? .nan, 1e-15) } ?? (mcse == nil))
  }

  /// The engine relies on bit-identical output for identical row order: the mean and bias are the
  /// plain left-to-right sum divided by n (not a pairwise or reordered sum, which would round
  /// differently on these values spanning 16 orders of magnitude).
  @Test func sumsRunInRowOrder() {
    let values: [Double] = [1e16, 1, -1e16, 1, 3.3, 1e-3, 7, -2.2, 1e16, -1e16]
    var sum = 0.0
    for v in values { sum += v }
    let rows = values.map { ReplicateEstimate(value: $0, truth: 0.5) }
    let out = PerformanceMeasures.continuous(rows)
    #expect(find(out, "mean")?.estimate == sum / 10)
    #expect(find(out, "bias")?.estimate == sum / 10 - 0.5)
    #expect(find(PerformanceMeasures.score(values), "mean")?.estimate == sum / 10)
  }
}

// MARK: - Edge cases

@Suite struct EdgeCaseTests {
  @Test func noRowsGiveOnlyTheCount() {
    let zero = [MeasureValue("n", 0, mcse: nil)]
    #expect(PerformanceMeasures.continuous([]) == zero)
    #expect(PerformanceMeasures.discrete(values: [], truth: 2) == zero)
    #expect(PerformanceMeasures.score([]) == zero)
  }

  /// One row: the measures defined from one replicate, none with an MCSE; no emp_se/rel error.
  @Test func oneRow() {
    let out = PerformanceMeasures.continuous([
      ReplicateEstimate(value: 2, truth: 1, se: 0.5, lower: 1.5, upper: 2.5, pValue: 0.01)
    ])
    #expect(
      out.map(\.measure) == ["n", "bias", "mse", "rmse", "model_se", "coverage", "be_coverage", "rejection", "mean"])
    #expect(out.allSatisfy { $0.mcse == nil } && allFinite(out))
    #expect(out.map(\.estimate) == [1, 1, 1, 1, 0.5, 0, 1, 1, 2])
    let d = PerformanceMeasures.discrete(values: [4], truth: 4)
    #expect(d.map(\.measure) == ["n", "share_correct", "mean", "freq_4"])
    #expect(d.map(\.estimate) == [1, 1, 4, 1] && d.allSatisfy { $0.mcse == nil })
    let s = PerformanceMeasures.score([2.5])
    #expect(s.map(\.measure) == ["n", "mean"] && s.map(\.estimate) == [1, 2.5] && s.allSatisfy { $0.mcse == nil })
  }

  /// Identical estimates: EmpSE 0 and every spread-based MCSE 0; the relative error (÷ EmpSE) is omitted.
  @Test func constantEstimates() {
    let rows = (0..<5).map { _ in ReplicateEstimate(value: 2, truth: 1, se: 0.5, lower: 1, upper: 3, pValue: 0.3) }
    let out = PerformanceMeasures.continuous(rows)
    #expect(allFinite(out) && find(out, "rel_error_model_se") == nil)
    for (name, estimate) in [("bias", 1.0), ("emp_se", 0), ("mse", 1), ("rmse", 1), ("model_se", 0.5), ("mean", 2)] {
      #expect(find(out, name)?.estimate == estimate && find(out, name)?.mcse == 0, "\(name)")
    }
  }

  /// Exact estimates: RMSE 0 with MCSE 0, not 0/0.
  @Test func exactEstimatesHaveZeroRMSEAndZeroMCSE() {
    let out = PerformanceMeasures.continuous([1, 2, 3].map { ReplicateEstimate(value: $0, truth: $0) })
    #expect(find(out, "rmse")?.estimate == 0 && find(out, "rmse")?.mcse == 0 && allFinite(out))
    #expect(find(out, "bias")?.mcse == 0)
  }

  /// Every SE zero: ModSE 0 with MCSE 0, relative error −100% with MCSE 0.
  @Test func zeroModelSEs() {
    let out = PerformanceMeasures.continuous([1, 2, 4].map { ReplicateEstimate(value: $0, truth: 2, se: 0) })
    #expect(find(out, "model_se") == MeasureValue("model_se", 0, mcse: 0))
    #expect(find(out, "rel_error_model_se") == MeasureValue("rel_error_model_se", -100, mcse: 0))
  }

  /// All intervals cover (or none does): coverage 1 (or 0) with binomial MCSE 0.
  @Test(arguments: [(0.0, 10.0, 1.0), (5.0, 10.0, 0.0)])
  func allOrNoneCovered(_ lower: Double, _ upper: Double, _ share: Double) {
    let out = PerformanceMeasures.continuous(
      [1, 2, 3, 4].map { ReplicateEstimate(value: $0 * 0.1 + 1, truth: 1, se: 1, lower: lower, upper: upper) })
    #expect(find(out, "coverage") == MeasureValue("coverage", share, mcse: 0))
  }

  /// A measure needing a field that one row lacks is omitted.
  @Test(arguments: [
    (ReplicateEstimate(value: 1, truth: 1, lower: 0, upper: 2, pValue: 0.5), ["model_se", "rel_error_model_se"]),
    (ReplicateEstimate(value: 1, truth: 1, se: 1, upper: 2, pValue: 0.5), ["coverage", "be_coverage"]),
    (ReplicateEstimate(value: 1, truth: 1, se: 1, lower: 0, pValue: 0.5), ["coverage", "be_coverage"]),
    (ReplicateEstimate(value: 1, truth: 1, se: 1, lower: 0, upper: 2), ["rejection"]),
  ])
  func missingFieldOmitsItsMeasures(_ partial: ReplicateEstimate, _ omitted: [String]) {
    let out = PerformanceMeasures.continuous(constantTruthRows + [partial])
    let expected = constantTruthExpected.map(\.measure).filter { !omitted.contains($0) }
    #expect(out.map(\.measure) == expected)
  }

  @Test func discreteConstantAndUnobservedTruth() {
    let out = PerformanceMeasures.discrete(values: [2, 2, 2], truth: 3)
    #expect(out.map(\.measure) == ["n", "share_correct", "mean", "emp_se", "freq_2"])
    #expect(find(out, "share_correct") == MeasureValue("share_correct", 0, mcse: 0))
    #expect(find(out, "emp_se") == MeasureValue("emp_se", 0, mcse: 0))
    #expect(find(out, "mean")?.mcse == 0 && find(out, "freq_2")?.estimate == 1)
  }

  @Test func discreteLabels() {
    let out = PerformanceMeasures.discrete(values: [-1, 0, 2.5, 0], truth: 0)
    #expect(out.filter { $0.measure.hasPrefix("freq_") }.map(\.measure) == ["freq_-1", "freq_0", "freq_2.5"])
  }

  @Test func scoreConstant() {
    #expect(PerformanceMeasures.score([3, 3, 3]) == [
      MeasureValue("n", 3, mcse: nil), MeasureValue("mean", 3, mcse: 0), MeasureValue("emp_se", 0, mcse: 0),
    ])
  }
}

// MARK: - Discrete properties

@Suite struct DiscretePropertyTests {
  /// Random rank-like data: frequencies sum to 1, share_correct equals freq_<truth> exactly (or 0
  /// when the truth never occurs), and there is one frequency per distinct value in increasing order.
  @Test(arguments: 0..<8) func distributionProperties(_ seed: Int) {
    let rng = testStream("discrete-properties", seed)
    let n = 2 + rng.uniformInt(60)
    let values = (0..<n).map { _ in Double(rng.categorical([0.1, 0.1, 0.5, 0.2, 0.05, 0.05])) }
    let truth = Double(rng.uniformInt(7))
    let out = PerformanceMeasures.discrete(values: values, truth: truth)
    let freqs = out.filter { $0.measure.hasPrefix("freq_") }
    let keys = freqs.map { Int($0.measure.dropFirst(5))! }
    #expect(keys == Set(values.map { Int($0) }).sorted())
    #expect(abs(freqs.map(\.estimate).reduce(0, +) - 1) < 1e-12)
    let share = find(out, "share_correct")!.estimate
    #expect(share == (find(out, "freq_\(Int(truth))")?.estimate ?? 0))
    #expect(allFinite(out))
  }
}

// MARK: - Relative measures against a reference method

@Suite struct RelativeMeasureTests {
  /// By hand: pairs (method, reference) = (1, 0), (2, 2), (4, 3), (5, 7). Differences 1, 0, 1, −2:
  /// D̄ = 0, Σ(dᵢ − D̄)² = 6, MCSE √(6/3)/√4 = √2/2. Method deviations −2, −1, 1, 2 (Σ² = 10);
  /// reference deviations −3, −1, 0, 4 (Σ² = 26); cross products 6 + 1 + 0 + 8 = 15, so
  /// ρ² = 225/260 and (EmpSE_ref/EmpSE)² = 26/10: rel_precision = 100(2.6 − 1) = 160 with MCSE
  /// 200·2.6·√((1 − 225/260)/3) = 520·√(35/780).
  @Test func knownAnswer() {
    let out = PerformanceMeasures.relative([(1, 0), (2, 2), (4, 3), (5, 7)])
    #expect(out.map(\.measure) == ["n_paired", "bias_diff", "rel_precision"])
    #expect(out[0].estimate == 4 && out[0].mcse == nil)
    #expect(abs(out[1].estimate) < 1e-15 && abs(out[1].mcse! - 2.0.squareRoot() / 2) < 1e-15)
    #expect(abs(out[2].estimate - 160) < 1e-12)
    #expect(abs(out[2].mcse! - 520 * (35.0 / 780).squareRoot()) < 1e-12)
  }

  /// Edge cases follow the conventions of `PerformanceMeasures`: no pairs gives only the count, one
  /// pair a difference without MCSE, a constant method no relative precision.
  @Test func edgeCases() {
    #expect(PerformanceMeasures.relative([]).map(\.measure) == ["n_paired"])
    let one = PerformanceMeasures.relative([(2, 0.5)])
    #expect(one.map(\.measure) == ["n_paired", "bias_diff"] && one[1].estimate == 1.5 && one[1].mcse == nil)
    #expect(PerformanceMeasures.relative([(1, 0), (1, 2), (1, 5)]).map(\.measure) == ["n_paired", "bias_diff"])
  }
}

// MARK: - MCSE formulas against a bootstrap of replicate rows

/// How each MCSE formula is checked. A condition's n replicate rows are resampled with replacement
/// B times; the SD of a measure over the resamples is the nonparametric bootstrap MCSE. The formula
/// MCSE (on the full rows), times a factor f explained below, must agree with it within
///
///   |boot/(f·formula) − 1| ≤ 4·√((κ_B − 1)/(4B)) + 3/n.
///
/// - 4·√((κ_B − 1)/(4B)): the bootstrap SD is itself a Monte Carlo estimate from B draws; its
///   relative SD is √((κ_B − 1)/(4B)) with κ_B the kurtosis of the B bootstrap values (= 1/√(2B)
///   for normal ones: 1.1% at B = 4000), computed from the draws; 4 of them.
/// - 3/n: the bootstrap resamples the empirical distribution (variance ×(n−1)/n, so SDs ×(1 − 1/(2n)))
///   and the formulas drop the O(1/n) terms of their delta-method expansions (0.6% at n = 500).
/// - f = 1 for the formulas that hold for any distribution of the rows (bias, mean, MSE, RMSE, model
///   SE, the binomial shares, the discrete emp_se). Table 6's MCSE of EmpSE and the 1/(2(n−1)) term
///   of the relative error are normal theory: they assume kurtosis 3 and an SE uncorrelated with
///   (θ̂ᵢ − θ̄)². The bootstrap sees the rows' own sample kurtosis k̂ (3 ± √(24/n) ≈ 3 ± 0.22 for
///   normal rows) and correlation, which moves it by O(1/√n), more than the tolerance. f is that
///   ratio, computed from the rows by the general delta method (`continuousComparisons`); for EmpSE
///   f = √((k̂−1)/2). That the rows are as normal as the formula assumes is checked separately: f
///   must lie within 1 ± √(24/n), four SDs of the EmpSE factor's sampling spread √(24/n)/4 (the
///   relative error's factor varies less, its EmpSE part being only part of its variance).
/// With ~40 checks at 4 SDs a false failure would be rare (≈ 40·6e-5) for a random seed; the seeds
/// are fixed, so the outcome is reproducible.
/// Bias-eliminated coverage: the formula treats θ̄ as fixed; with estimates symmetric about θ̄ the
/// share's derivative in the centre is 0 at first order, so resampling θ̄ adds only O(1/n).
///
/// n = 500 and B = 4000 keep the whole suite to a few seconds in debug while a formula off by 10%
/// fails (a dropped factor is off by 29–100%): see `wrongFormulasAreRejected`.
private let bootstrapRows = 500
private let bootstrapResamples = 4000

struct BootstrapComparison: Sendable {
  var formula: [String: Double] = [:]
  var bootstrap: [String: Double] = [:]
  /// Relative Monte Carlo SD of each bootstrap SD.
  var monteCarlo: [String: Double] = [:]
  /// The normal-theory factor f (see above); 1 when absent.
  var normalTheoryFactor: [String: Double] = [:]
  /// The measures' estimates on the full rows.
  var estimate: [String: Double] = [:]

  func tolerance(_ name: String) -> Double {
    4 * monteCarlo[name]! + 3 / Double(bootstrapRows)
  }

  /// |boot/(f·MCSE) − 1| for the formula's MCSE or another value.
  func relativeError(_ name: String, formula value: Double? = nil) -> Double {
    abs(bootstrap[name]! / ((value ?? formula[name]!) * (normalTheoryFactor[name] ?? 1)) - 1)
  }

  /// Resamples `0..<n` B times from `rng`; `measures` maps row indices to measures.
  init(n: Int, b: Int, rng: RandomStream, _ measures: ([Int]) -> [MeasureValue]) {
    for m in measures(Array(0..<n)) {
      estimate[m.measure] = m.estimate
      if let mcse = m.mcse { formula[m.measure] = mcse }
    }
    var draws: [String: [Double]] = formula.mapValues { _ in [] }
    for _ in 0..<b {
      let resample = measures((0..<n).map { _ in rng.uniformInt(n) })
      for name in formula.keys {
        // A value absent from a resample has frequency 0.
        draws[name]!.append(find(resample, name)?.estimate ?? 0)
      }
    }
    for (name, x) in draws {
      let mean = x.reduce(0, +) / Double(b)
      let m2 = x.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(b)
      let m4 = x.map { pow($0 - mean, 4) }.reduce(0, +) / Double(b)
      bootstrap[name] = (m2 * Double(b) / Double(b - 1)).squareRoot()
      monteCarlo[name] = ((m4 / (m2 * m2) - 1) / (4 * Double(b))).squareRoot()
    }
  }
}

/// Sample kurtosis m₄/m₂² and central moments of `x`, by explicit loops.
private func centralMoments(_ x: [Double]) -> (mean: Double, m2: Double, kurtosis: Double) {
  let n = Double(x.count)
  let mean = x.reduce(0, +) / n
  var m2 = 0.0
  var m4 = 0.0
  for v in x {
    m2 += (v - mean) * (v - mean) / n
    m4 += pow(v - mean, 4) / n
  }
  return (mean, m2, m4 / (m2 * m2))
}

enum TruthScenario: String, CaseIterable, Sendable { case constant, varying }

/// Replicate rows from a known model: θᵢ = 1 (or 1 + 0.5·vᵢ), θ̂ᵢ = θᵢ + 0.2 + 0.5·zᵢ (bias 0.2),
/// SEᵢ = 0.45·exp(0.4·uᵢ) (varying, independent of θ̂ᵢ, slightly too small on average), Wald
/// intervals θ̂ᵢ ± 1.96·SEᵢ (coverage ≈ 0.9) and two-sided p-values of θ̂ᵢ/SEᵢ (power ≈ 0.6).
private func simulatedRows(_ scenario: TruthScenario) -> [ReplicateEstimate] {
  let rng = testStream("measures-rows-\(scenario.rawValue)")
  return (0..<bootstrapRows).map { _ in
    let truth = scenario == .constant ? 1 : 1 + 0.5 * rng.normal()
    let value = truth + 0.2 + 0.5 * rng.normal()
    let se = 0.45 * exp(0.4 * rng.normal())
    return ReplicateEstimate(
      value: value, truth: truth, se: se, lower: value - 1.96 * se, upper: value + 1.96 * se,
      pValue: erfc(abs(value / se) / 2.0.squareRoot()))
  }
}

private let continuousComparisons: [TruthScenario: BootstrapComparison] = Dictionary(
  uniqueKeysWithValues: TruthScenario.allCases.map { scenario in
    let rows = simulatedRows(scenario)
    var c = BootstrapComparison(
      n: rows.count, b: bootstrapResamples, rng: testStream("measures-bootstrap-\(scenario.rawValue)")
    ) { idx in PerformanceMeasures.continuous(idx.map { rows[$0] }) }
    // The general delta method for s = EmpSE: Var(log s) ≈ (k̂ − 1)/(4n); Table 6 uses 1/(2(n−1)).
    let n = Double(rows.count)
    let est = centralMoments(rows.map(\.value))
    c.normalTheoryFactor["emp_se"] = ((est.kurtosis - 1) / 2).squareRoot()
    // Relative error R = ModSE/EmpSE: with Sᵢ = SEᵢ², Dᵢ = (θ̂ᵢ − θ̄)²,
    // Var(log R) ≈ Var(S)/(4n·S̄²) + Var(D)/(4n·D̄²) − 2·Cov(S, D)/(4n·S̄·D̄), where Var(D)/D̄² = k̂ − 1;
    // Table 6 has the first term and 1/(2(n−1)) for the second, and no covariance.
    let s = rows.map { $0.se! * $0.se! }
    let d = rows.map { ($0.value - est.mean) * ($0.value - est.mean) }
    let sm = centralMoments(s)
    var cov = 0.0
    for i in 0..<rows.count { cov += (s[i] - sm.mean) * (d[i] - est.m2) / n }
    let first = sm.m2 / (4 * n * sm.mean * sm.mean)
    let general = first + (est.kurtosis - 1) / (4 * n) - 2 * cov / (4 * n * sm.mean * est.m2)
    let table6 = first + 1 / (2 * (n - 1))
    c.normalTheoryFactor["rel_error_model_se"] = (general / table6).squareRoot()
    return (scenario, c)
  })

private let continuousMCSEMeasures = [
  "bias", "emp_se", "mse", "rmse", "model_se", "rel_error_model_se", "coverage", "be_coverage", "rejection", "mean",
]

/// Rank-like values on 1…5, mostly right (truth 3): kurtosis ≈ 7, far from normal.
private let discreteComparison: BootstrapComparison = {
  let rng = testStream("measures-rows-discrete")
  let values = (0..<bootstrapRows).map { _ in Double(1 + rng.categorical([0.03, 0.07, 0.8, 0.06, 0.04])) }
  return BootstrapComparison(n: values.count, b: bootstrapResamples, rng: testStream("measures-bootstrap-discrete")) {
    idx in PerformanceMeasures.discrete(values: idx.map { values[$0] }, truth: 3)
  }
}()

/// A fit RMSE-like score: normal around 2 with SD 0.3; its emp_se MCSE is normal theory.
private let scoreComparison: BootstrapComparison = {
  let values = testStream("measures-rows-score").normals(bootstrapRows, mean: 2, sd: 0.3)
  var c = BootstrapComparison(n: values.count, b: bootstrapResamples, rng: testStream("measures-bootstrap-score")) {
    idx in PerformanceMeasures.score(idx.map { values[$0] })
  }
  c.normalTheoryFactor["emp_se"] = ((centralMoments(values).kurtosis - 1) / 2).squareRoot()
  return c
}()

/// Pairs from a bivariate normal model: reference θ̂ᵢ^ref = 1 + 0.5·zᵢ, method θ̂ᵢ = 1.1 + 0.4·zᵢ +
/// 0.3·wᵢ (correlation 0.8, EmpSE ratio 1, so rel_precision ≈ 0). The rel_precision MCSE is normal
/// theory; its factor f compares the general delta method for R = s²_ref/s², Var(log R) ≈
/// [(k̂_ref − 1) + (k̂ − 1) − 2(m̂₂₂/(m̂₂m̂₂^ref) − 1)]/n with m̂₂₂ the mean product of the squared
/// deviations, against Table 6's 4(1 − ρ²)/(n − 1).
private let relativeComparison: BootstrapComparison = {
  let rng = testStream("measures-rows-relative")
  let pairs: [(method: Double, reference: Double)] = (0..<bootstrapRows).map { _ in
    let z = rng.normal()
    return (1.1 + 0.4 * z + 0.3 * rng.normal(), 1 + 0.5 * z)
  }
  var c = BootstrapComparison(n: pairs.count, b: bootstrapResamples, rng: testStream("measures-bootstrap-relative")) {
    idx in PerformanceMeasures.relative(idx.map { pairs[$0] })
  }
  let n = Double(pairs.count)
  let a = centralMoments(pairs.map(\.method))
  let r = centralMoments(pairs.map(\.reference))
  var m22 = 0.0
  var cross = 0.0
  for (x, y) in pairs {
    m22 += (x - a.mean) * (x - a.mean) * (y - r.mean) * (y - r.mean) / n
    cross += (x - a.mean) * (y - r.mean) / n
  }
  let rho2 = cross * cross / (a.m2 * r.m2)
  let general = ((r.kurtosis - 1) + (a.kurtosis - 1) - 2 * (m22 / (a.m2 * r.m2) - 1)) / n
  c.normalTheoryFactor["rel_precision"] = (general / (4 * (1 - rho2) / (n - 1))).squareRoot()
  return c
}()

@Suite struct BootstrapMCSETests {
  private func expectAgreement(_ c: BootstrapComparison, _ name: String) {
    guard c.formula[name] != nil else {
      Issue.record("no MCSE for \(name)")
      return
    }
    let tol = c.tolerance(name)
    // The rows are as normal as the formula assumes, and the tolerance is tight enough to tell a
    // wrong formula from a right one.
    #expect(abs((c.normalTheoryFactor[name] ?? 1) - 1) <= (24 / Double(bootstrapRows)).squareRoot())
    #expect(tol < 0.06, "\(name): tolerance \(tol)")
    #expect(
      c.relativeError(name) <= tol,
      "\(name): formula \(c.formula[name]!) vs bootstrap \(c.bootstrap[name]!) (tolerance \(tol))")
  }

  @Test(arguments: TruthScenario.allCases, continuousMCSEMeasures)
  func continuous(_ scenario: TruthScenario, _ name: String) {
    expectAgreement(continuousComparisons[scenario]!, name)
  }

  @Test(arguments: ["share_correct", "mean", "emp_se", "freq_1", "freq_2", "freq_3", "freq_4", "freq_5"])
  func discrete(_ name: String) {
    expectAgreement(discreteComparison, name)
  }

  @Test(arguments: ["mean", "emp_se"]) func score(_ name: String) {
    expectAgreement(scoreComparison, name)
  }

  @Test(arguments: ["bias_diff", "rel_precision"]) func relative(_ name: String) {
    expectAgreement(relativeComparison, name)
  }

  /// Negative controls: plausible wrong MCSE formulas (each a dropped or misplaced factor) fall
  /// outside the same tolerance, so the checks above can fail.
  @Test(arguments: [
    "emp_se/√(n−1)", "rmse without ½", "model_se without 4", "rel_error without ModSE term",
    "discrete emp_se by normal theory", "rel_precision without the correlation", "bias_diff unpaired",
  ])
  func wrongFormulasAreRejected(_ variant: String) {
    let c = continuousComparisons[.constant]!
    let twoDF = 2 * Double(bootstrapRows - 1)
    let (comparison, name, wrong): (BootstrapComparison, String, Double) =
      switch variant {
      case "emp_se/√(n−1)": (c, "emp_se", c.estimate["emp_se"]! / (twoDF / 2).squareRoot())
      case "rmse without ½": (c, "rmse", 2 * c.formula["rmse"]!)
      case "model_se without 4": (c, "model_se", 2 * c.formula["model_se"]!)
      case "rel_error without ModSE term":
        (c, "rel_error_model_se", (c.estimate["rel_error_model_se"]! + 100) / twoDF.squareRoot())
      case "rel_precision without the correlation":
        (relativeComparison, "rel_precision", 200 * (relativeComparison.estimate["rel_precision"]! / 100 + 1) / (twoDF / 2).squareRoot())
      case "bias_diff unpaired":  // the two biases' MCSEs combined as if the methods were independent
        (relativeComparison, "bias_diff", (0.4 * 0.4 + 0.3 * 0.3 + 0.5 * 0.5).squareRoot() / Double(bootstrapRows).squareRoot())
      default: (discreteComparison, "emp_se", discreteComparison.estimate["emp_se"]! / twoDF.squareRoot())
      }
    let tol = comparison.tolerance(name)
    #expect(
      comparison.relativeError(name, formula: wrong) > tol,
      "\(variant): \(wrong) vs bootstrap \(comparison.bootstrap[name]!)")
  }
}
