import DataGeneration
import Estimators
import RandomStreams
import ReplicateEngine

/// Grouped slopes (Docs/GroupedSlopes.md §1–§5): can classifier-Lasso recover latent groups of
/// slopes, and how close do its post-Lasso estimates come to the oracle that knows the groups?
///
/// Design: `GroupedSlopesPanel` with G = 3 groups (shares 0.3/0.3/0.4), slopes
/// (1−C, 1+C), (1, 1), (1+C, 1−C) (C = 0.6: SSP's DGP 1), preset `ssp-static` (fixed effects
/// correlated with the regressors) or `su-ju` (R = 2 common factors in y and in the regressors).
///
/// Methods:
/// - `C-Lasso`: K = 3 known, post-Lasso within OLS with Bartlett-HAC SEs (`CLasso`, defaults).
/// - `C-Lasso K̂`: K̂ by SSP's information criterion over K = 1..5, then as above.
/// - `C-Lasso-IFE`: Su & Ju (2018) with K = 3 and R factors: the design's R for `su-ju`, and one
///   (spurious) factor for `ssp-static`, which shows what the robustness costs.
/// - `oracle`: the true groups; pooled within OLS (`ssp-static`) or interactive effects with the
///   true R (`su-ju`) — the infeasible best for each design.
/// - `pooled FE`: one slope for everyone (within OLS), ignoring the groups.
///
/// Estimands: `accuracy` (share of units whose estimated group is the one matched to their true
/// group; groups matched by their post-Lasso slopes, `GroupMatching`), `K` (the selected number of
/// groups; truth 3), `slope1_g1..3` (each true group's first slope component, through its matched
/// estimated group; not identified when no estimated group is matched to it) and `slope1_avg`
/// (Σ_g (N_g/N)·α_g1 with the true shares; its SE from the joint covariance of the group estimates).
/// Note that the RMSE of `slope1_avg` is the RMSE of the weighted-average slope, not SSP's weighted
/// average of the per-group RMSEs (errors of opposite sign partly cancel); the per-group rows give
/// the latter.
public let groupedSlopesStudy = Study(
  name: "grouped-slopes",
  aim: "Classifier-Lasso (SSP 2016) and its interactive-effects variant (Su & Ju 2018): latent slope groups, K̂, post-Lasso inference",
  seed: 20_160_623,
  factors: [
    Factor("N", integers: [100, 200], help: "Number of units."),
    Factor("T", integers: [20, 40], help: "Number of periods."),
    Factor("p", integers: [2], help: "Number of regressors (2 or 4)."),
    Factor("preset", texts: ["ssp-static", "su-ju"], help: "The data-generating design."),
    Factor("C", reals: [0.6], help: "Separation of the group slopes (0.6 is SSP's design)."),
  ],
  estimands: [
    EstimandSpec("accuracy", .score, help: "Share of units classified into the group matched to their true group."),
    EstimandSpec("K", .discrete, help: "The selected number of groups (truth 3)."),
    EstimandSpec("slope1_g1", .continuous, help: "First slope component of true group 1."),
    EstimandSpec("slope1_g2", .continuous, help: "First slope component of true group 2."),
    EstimandSpec("slope1_g3", .continuous, help: "First slope component of true group 3."),
    EstimandSpec("slope1_avg", .continuous, help: "The N_g/N-weighted average of the groups' first slope components."),
  ],
  columns: [
    TableColumn("accuracy", "mean", heading: "accuracy"),
    TableColumn("K", "share_correct", heading: "K̂ = 3"),
    TableColumn("slope1_avg", "bias", heading: "avg bias"),
    TableColumn("slope1_avg", "rmse", heading: "avg RMSE"),
    TableColumn("slope1_avg", "coverage", heading: "avg cover"),
    TableColumn("slope1_g1", "rmse", heading: "g1 RMSE"),
    TableColumn("slope1_g1", "coverage", heading: "g1 cover"),
  ],
  cost: { c in
    let n = (try? c.int("N")) ?? 100, t = (try? c.int("T")) ?? 20
    return Double(n * t) * ((try? c.string("preset")) == "su-ju" ? 4 : 1)
  },
  // The panel's regressors and responses, C-Lasso's per-unit slopes and Gram blocks, and the
  // interactive-effects variant's T×T / N×N working matrices.
  memory: { c in
    let n = Double((try? c.int("N")) ?? 0), t = Double((try? c.int("T")) ?? 0), p = Double((try? c.int("p")) ?? 0)
    return 8 * (20 * n * t * (p + 1) + 4 * max(n, t) * max(n, t) + 4 * n * p * p)
  },
  validate: { c in _ = try GroupedSlopesStudyDesign(c) },
  generate: { c, rng in
    let design = try GroupedSlopesStudyDesign(c)
    let sample = try design.panel.draw(using: rng)
    var truth: [String: Double] = ["K": Double(sample.slopes.count)]
    let sizes = sample.groupSizes
    var average = 0.0
    for (g, alpha) in sample.slopes.enumerated() {
      truth["slope1_g\(g + 1)"] = alpha[0]
      average += Double(sizes[g]) / Double(sample.units) * alpha[0]
    }
    truth["slope1_avg"] = average
    return Draw(sample, truth: truth)
  },
  methods: [
    StudyMethod("C-Lasso", settings: "K = 3, λ = 1.5·T^(−1/3), tol 1e-4, ≤ 80 sweeps, gap 1e-10, HAC ⌈T^(1/4)⌉") { s, _ in
      let fit = try CLasso().fit(try slopePanel(s), groups: s.slopes.count)
      return MethodOutput(classified(fit.postLasso, fit.classification, s), fit: fit.summary)
    },
    StudyMethod("C-Lasso K̂", settings: "K̂ = argmin ln σ̂² + (2/3)(NT)^(−1/2)·p·K over 1..5; C-Lasso defaults") { s, _ in
      let selection = try CLasso().selectGroups(try slopePanel(s), maxGroups: 5)
      let fit = selection.fit
      let estimates = [Estimate(estimand: "K", value: Double(selection.selected))]
        + classified(fit.postLasso, fit.classification, s)
      return MethodOutput(estimates, fit: fit.summary)
    },
    StudyMethod("C-Lasso-IFE", settings: "K = 3, R = design's (1 for ssp-static), C-Lasso defaults, post IFE tol 1e-10") { s, c in
      let design = try GroupedSlopesStudyDesign(c)
      let fit = try CLassoIFE(factors: design.methodFactors).fit(try slopePanel(s), groups: s.slopes.count)
      return MethodOutput(classified(fit.postLasso.groupSlopes, fit.classification, s), fit: fit.summary)
    },
    StudyMethod("oracle", settings: "true groups; within OLS + HAC (ssp-static) or IFE with true R (su-ju)") { s, c in
      let design = try GroupedSlopesStudyDesign(c)
      let panel = try slopePanel(s)
      let fit: GroupSlopeFit
      if design.panel.factors == 0 {
        fit = try GroupedSlopes.pooledWithin(panel, groups: s.group, count: s.slopes.count)
      } else {
        fit = try GroupedSlopes.interactiveEffects(panel, groups: s.group, count: s.slopes.count, factors: design.panel.factors)
          .groupSlopes
      }
      return MethodOutput(slopeEstimates(fit, mapping: s.slopes.indices.map { $0 }, s), fit: fit.summary)
    },
    StudyMethod("pooled FE", settings: "one slope vector, within OLS + HAC") { s, _ in
      let panel = try slopePanel(s)
      let fit = try GroupedSlopes.pooledWithin(panel, groups: [Int](repeating: 0, count: s.units), count: 1)
      return MethodOutput(slopeEstimates(fit, mapping: s.slopes.map { _ in 0 }, s), fit: fit.summary)
    },
  ],
  // Each method's slopes against the true-group oracle on the same draws: bias_diff is the cost
  // of not knowing the groups (misclassification, K̂), with a paired MCSE.
  reference: "oracle"
)

/// A condition of the study turned into its DGP (and the factor count the IFE method assumes).
struct GroupedSlopesStudyDesign {
  let panel: GroupedSlopesPanel
  let methodFactors: Int

  init(_ c: Condition) throws {
    let name = try c.string("preset")
    guard let preset = GroupedSlopesPanel.Preset(rawValue: name) else {
      throw StudyError.badValue(factor: "preset", value: name, expected: "one of ssp-static, su-ju")
    }
    let n = try c.int("N"), t = try c.int("T"), p = try c.int("p"), separation = try c.double("C")
    do {
      panel = try GroupedSlopesPanel(preset: preset, units: n, periods: t, regressors: p, separation: separation)
    } catch {
      throw StudyError.impossibleCondition(condition: c.canonical, reason: error.message)
    }
    methodFactors = max(1, panel.factors)
    // Unit-by-unit starts need T − 1 − R ≥ p after demeaning and projecting out R factors.
    guard t - 1 - max(methodFactors, panel.factors) >= p, n >= 10 else {
      throw StudyError.impossibleCondition(
        condition: c.canonical, reason: "the unit-by-unit fits need T ≥ p + R + 1 periods (R = \(methodFactors)) and N ≥ 10")
    }
  }
}

private func slopePanel(_ s: GroupedSlopesSample) throws -> SlopePanel {
  try SlopePanel(y: s.y, x: s.x, regressors: s.regressors)
}

/// Accuracy and slope estimates of a method that classifies units.
private func classified(_ fit: GroupSlopeFit, _ classification: [Int], _ s: GroupedSlopesSample) -> [Estimate] {
  let mapping = GroupMatching.match(estimated: fit.slopes, truth: s.slopes)
  let accuracy = GroupMatching.accuracy(estimated: classification, truth: s.group, mapping: mapping)
  return [Estimate(estimand: "accuracy", value: accuracy)] + slopeEstimates(fit, mapping: mapping, s)
}

/// `slope1_g*` and `slope1_avg` from group estimates, with `mapping[g]` the estimated group standing
/// for true group g (several true groups may share one, as for pooled FE).
private func slopeEstimates(_ fit: GroupSlopeFit, mapping: [Int?], _ s: GroupedSlopesSample) -> [Estimate] {
  let p = s.regressors
  var out: [Estimate] = []
  for (g, m) in mapping.enumerated() {
    let name = "slope1_g\(g + 1)"
    out.append(m.map { fit.estimate(name, group: $0, component: 0) } ?? .notIdentified(name))
  }
  let matched = mapping.compactMap { $0 }
  guard matched.count == mapping.count, matched.allSatisfy({ fit.slopes[$0][0].isFinite }) else {
    return out + [.notIdentified("slope1_avg")]
  }
  let sizes = s.groupSizes
  let weights = sizes.map { Double($0) / Double(s.units) }
  var value = 0.0, variance = 0.0
  for g in matched.indices {
    value += weights[g] * fit.slopes[matched[g]][0]
    for h in matched.indices { variance += weights[g] * weights[h] * fit.covariance[matched[g] * p, matched[h] * p] }
  }
  return out + [.wald("slope1_avg", value: value, se: variance.squareRoot())]
}
