import Estimators
import Foundation
import LinearAlgebra
import Testing
import TestSupport

/// The random-intercept logit on a general design (`GroupedLogitDesign`): lme4's published cbpp fits,
/// a brute-force likelihood with several covariates and binomial rows, separation, the boundary and
/// the optimiser's tolerance.
///
/// Data: Tests/Fixtures/cbpp.csv is lme4's `cbpp` (contagious bovine pleuropneumonia; 56 rows, 15
/// herds × up to 4 periods; lme4/lme4 data/cbpp.rda, written out as CSV).
@Suite struct GeneralRandomInterceptLogitTests {
  static let cbppFormula = "cbind(incidence, size - incidence) ~ factor(period) + (1 | herd)"

  static func cbpp() throws -> GroupedLogitDesign {
    let table = try LongTable(contentsOfCSV: packageRoot.appendingPathComponent("Tests/Fixtures/cbpp.csv"))
    return try GroupedLogitDesign(frame: ModelFrame(ModelFormula(cbppFormula), table: table))
  }

  /// lme4/lme4 tests/testthat/test-glmer.R lines 45–58, `glmer(cbind(incidence, size - incidence) ~
  /// period + (1 | herd), cbpp, binomial)` (Laplace): fixef (−1.39854982537216, −0.992335519118859,
  /// −1.12867532780426, −1.58030423764517) to relative 5e-4, VarCorr 0.41245527438386 to 6e-4, θ = τ
  /// 0.642226809144453 to 6e-4, extractAIC 194.052674598026 (−2 log L 184.05267459802, with the
  /// binomial coefficients) to 1e-5, all lme4's own tolerances. MixedModels.jl test/pirls.jl
  /// (JuliaStats/MixedModels.jl, the `gm2` cbpp fit): Laplace deviance without the binomial
  /// coefficients 100.095856 (atol 1e-4) and loglikelihood −92.02628 (atol 1e-3). That deviance is
  /// GLM-style, −2(ℓ − ℓ_saturated), ℓ_saturated = Σ log p(y_j | p̂_j = y_j/t_j).
  @Test func cbppLaplaceMatchesLme4() throws {
    let design = try Self.cbpp()
    #expect(design.count == 56 && design.groupCount == 15)
    let fit = try RandomInterceptLogit(integration: .laplace).fit(design)
    let lme4 = [-1.39854982537216, -0.992335519118859, -1.12867532780426, -1.58030423764517]
    for (ours, theirs) in zip(fit.fixedEffects.coefficients, lme4) {
      #expect(abs(ours - theirs) <= 5e-4 * abs(theirs), "fixef \(ours) vs \(theirs)")
    }
    #expect(abs(fit.tau * fit.tau - 0.41245527438386) <= 6e-4 * 0.41245527438386)
    #expect(abs(fit.tau - 0.642226809144453) <= 6e-4 * 0.642226809144453)
    #expect(abs(fit.aic - 194.052674598026) <= 1e-5 * 194.052674598026)
    #expect(fit.parameterCount == 5 && fit.residualDegreesOfFreedom == 51)
    #expect(abs((fit.deviance + 2 * Self.saturatedLogLikelihood(design)) - 100.095856) <= 1e-4)
    #expect(abs(fit.logLikelihood - -92.02628) <= 1e-3)
    // lme4's optimiser stops a little short: its deviance may not be below ours.
    #expect(fit.deviance <= 184.05267459802 + 1e-9)
    #expect(fit.fixedEffects.summary.converged && !fit.onBoundary)
    #expect(fit.tauInterval.lower > 0 && fit.tauInterval.lower < fit.tau && fit.tauInterval.upper > fit.tau)
  }

  /// lme4/lme4 tests/glmer-1.R lines 76–91, the same model with nAGQ = 25: fixef (−1.39922533406847,
  /// −0.991407294757321, −1.12782184600404, −1.57946627431248) to relative 5e-4 and −2 log L =
  /// 100.010030538022 to relative 1e-9. With nAGQ > 1 lme4's logLik leaves out Σ log C(t_j, y_j)
  /// (its Laplace logLik includes it): it is the GLM deviance −2(ℓ − ℓ_saturated), as the
  /// Laplace figure from MixedModels.jl above, and ours is compared on that scale.
  @Test func cbppAdaptiveQuadratureMatchesLme4() throws {
    let design = try Self.cbpp()
    let fit = try RandomInterceptLogit(integration: .adaptiveGaussHermite(nodes: 25)).fit(design)
    let lme4 = [-1.39922533406847, -0.991407294757321, -1.12782184600404, -1.57946627431248]
    for (ours, theirs) in zip(fit.fixedEffects.coefficients, lme4) {
      #expect(abs(ours - theirs) <= 5e-4 * abs(theirs), "fixef \(ours) vs \(theirs)")
    }
    let relative = fit.deviance + 2 * Self.saturatedLogLikelihood(design)
    #expect(abs(relative - 100.010030538022) <= 1e-9 * 100.010030538022, "−2(ℓ − ℓ_sat) \(relative)")
  }

  /// Σ_j log [C(t_j, y_j) p̂^{y_j}(1 − p̂)^{t_j − y_j}] at p̂ = y_j/t_j (0 log 0 = 0).
  static func saturatedLogLikelihood(_ design: GroupedLogitDesign) -> Double {
    var total = 0.0
    for j in 0..<design.count {
      let y = design.successes[j]
      let t = design.trials?[j] ?? 1
      total += lgamma(t + 1) - lgamma(y + 1) - lgamma(t - y + 1)
      if y > 0 { total += y * log(y / t) }
      if y < t { total += (t - y) * log((t - y) / t) }
    }
    return total
  }

  /// The standard errors are the β block of the inverse observed information over (β, τ) — lme4's
  /// `vcov` with its finite-difference Hessian (lme4/lme4 R/lmer.R, `vcov.merMod`). Checked here
  /// against an independent route: second differences of the log-likelihood's values (no
  /// gradient), inverted by Gauss–Jordan.
  @Test func cbppStandardErrorsAreTheInverseInformation() throws {
    let design = try Self.cbpp()
    let model = RandomInterceptLogit(integration: .adaptiveGaussHermite(nodes: 9))
    let fit = try model.fit(design)
    let theta = fit.fixedEffects.coefficients + [fit.tau]
    let k = theta.count
    let h = 1e-4
    func f(_ t: [Double]) throws -> Double { try model.logLikelihood(design, parameters: t) }
    var info = [[Double]](repeating: [Double](repeating: 0, count: k), count: k)
    let f0 = try f(theta)
    for i in 0..<k {
      for j in i..<k {
        var pp = theta, pm = theta, mp = theta, mm = theta
        pp[i] += h; pp[j] += h
        pm[i] += h; pm[j] -= h
        mp[i] -= h; mp[j] += h
        mm[i] -= h; mm[j] -= h
        let value = i == j
          ? -(try f(pp) - 2 * f0 + f(mm)) / (4 * h * h)
          : -(try f(pp) - f(pm) - f(mp) + f(mm)) / (4 * h * h)
        info[i][j] = value
        info[j][i] = value
      }
    }
    let inverse = gaussJordanInverse(info)
    for i in 0..<(k - 1) {
      let se = inverse[i][i].squareRoot()
      let ours = fit.fixedEffects.covariance[i, i].squareRoot()
      #expect(abs(ours - se) <= 1e-4 * se, "SE \(i): \(ours) vs \(se)")
    }
    #expect(abs(fit.tauStandardError! - inverse[k - 1][k - 1].squareRoot()) <= 1e-3 * fit.tauStandardError!)
  }

  /// An independent implementation of the same Laplace fit: glmmTMB 1.1.5 (R 4.2.2, Debian 12),
  /// whose standard errors come from the exact (automatic-differentiation) Hessian of the Laplace
  /// approximation, prints for `glmmTMB(cbind(incidence, size - incidence) ~ period + (1 | herd),
  /// cbpp, family = binomial)` (scripts/reference/lme4_reference.R): estimates −1.39853247,
  /// −0.99233229, −1.12867130, −1.58031369 with SEs 0.23247205, 0.30664249, 0.32663781, 0.42743660.
  /// lme4 1.1-31 prints SEs 0.2312, 0.3032, 0.3228, 0.4220 from its finite-difference Hessian, about
  /// 1 % smaller; the exact Hessian is the reference here.
  @Test func cbppLaplaceMatchesGlmmTMB() throws {
    let fit = try RandomInterceptLogit(integration: .laplace).fit(try Self.cbpp())
    let estimates = [-1.39853247, -0.99233229, -1.12867130, -1.58031369]
    let standardErrors = [0.23247205, 0.30664249, 0.32663781, 0.42743660]
    for i in 0..<4 {
      let se = fit.fixedEffects.covariance[i, i].squareRoot()
      // glmmTMB's optimiser (nlminb, rel.tol 1e-10 on a log-likelihood of −92) locates β to about
      // √(2·92·1e-10) ≈ 1.4e-4 SE; ours stops within 1e-8 SE. Each side's Hessian is taken at its
      // optimiser's stopping point (ours where BFGS stopped, ≤ 1e-4 SE away), so the SEs may differ
      // by about that relative amount: 2.5e-4, against lme4's 1 % (which would fail).
      #expect(abs(fit.fixedEffects.coefficients[i] - estimates[i]) <= 1.4e-4 * standardErrors[i], "β\(i)")
      #expect(abs(se - standardErrors[i]) <= 2.5e-4 * standardErrors[i], "SE \(i): \(se)")
    }
  }

  /// A tiny data set: 4 groups, binomial rows, two individual covariates and a group covariate.
  static func tiny() throws -> GroupedLogitDesign {
    let group = ["b", "a", "c", "a", "b", "d", "c", "a", "d", "b", "c", "d", "a"]
    let x1 = [0.3, -1.2, 0.8, 0.5, -0.4, 1.1, -0.9, 0.2, -0.3, 1.4, 0.1, 0.6, -0.7]
    let x2 = [1.0, 0.0, 2.0, 1.0, 3.0, 0.0, 1.0, 2.0, 1.0, 0.0, 3.0, 2.0, 3.0]
    let z: [String: Double] = ["a": -0.5, "b": 0.7, "c": 0.1, "d": 1.3]
    let trials = [3.0, 1, 4, 2, 5, 1, 3, 2, 6, 2, 1, 4, 3]
    let successes = [1.0, 0, 3, 1, 2, 1, 0, 2, 3, 1, 1, 2, 1]
    let n = group.count
    let fixed = Matrix(rows: n, cols: 4) { i, k in [1, x1[i], x2[i], z[group[i]]!][k] }
    return try GroupedLogitDesign(
      successes: successes, trials: trials, fixed: fixed, fixedNames: ["(Intercept)", "x1", "x2", "z"], group: group,
      groupingFactor: "g")
  }

  /// Brute force: Σ_g log ∫ Π_j C(t_j, y_j) p_j^{y_j}(1 − p_j)^{t_j − y_j} φ(b) db by Simpson's rule
  /// on 8000 intervals of b ∈ [−12, 12], p_j = logistic(x_jᵀβ + τb), with the rows regrouped here
  /// from the inputs (not from the design's sorted order). AGQ with 30 nodes matches it to 1e-9;
  /// the analytic gradient matches central differences.
  @Test func multiCovariateBinomialLikelihoodMatchesBruteForce() throws {
    let design = try Self.tiny()
    let theta = [-0.4, 0.8, -0.3, 0.5, 1.1]
    var total = 0.0
    for g in 0..<design.groupCount {
      let rows = Array(design.range(g))
      var logTerms: [Double] = []
      let steps = 8000
      let width = 24.0 / Double(steps)
      for i in 0...steps {
        let b = -12 + Double(i) * width
        var l = -b * b / 2 - 0.5 * log(2 * Double.pi)
        for j in rows {
          var eta = theta[4] * b
          for k in 0..<4 { eta += design.fixed[j, k] * theta[k] }
          let y = design.successes[j]
          let t = design.trials![j]
          l += lgamma(t + 1) - lgamma(y + 1) - lgamma(t - y + 1) + y * eta - t * log(1 + exp(eta))
        }
        let simpson = (i == 0 || i == steps) ? 1.0 : (i % 2 == 1 ? 4.0 : 2.0)
        logTerms.append(l + log(simpson * width / 3))
      }
      total += logSumExp(logTerms)
    }
    let model = RandomInterceptLogit(integration: .adaptiveGaussHermite(nodes: 30))
    let ours = try model.logLikelihood(design, parameters: theta)
    #expect(abs(ours - total) <= 1e-9 * abs(total), "AGQ \(ours) vs brute force \(total)")
    // Laplace is an approximation: close, not equal.
    let laplace = try RandomInterceptLogit(integration: .laplace).logLikelihood(design, parameters: theta)
    #expect(abs(laplace - total) < 0.05 && abs(laplace - total) > 1e-6)

    for integration in [RandomEffectIntegration.laplace, .adaptiveGaussHermite(nodes: 7)] {
      let m = RandomInterceptLogit(integration: integration)
      let gradient = try m.logLikelihoodGradient(design, parameters: theta)
      for i in theta.indices {
        let h = 1e-5
        var up = theta, down = theta
        up[i] += h
        down[i] -= h
        let numeric = (try m.logLikelihood(design, parameters: up) - m.logLikelihood(design, parameters: down)) / (2 * h)
        #expect(abs(gradient[i] - numeric) <= 1e-6 * max(1, abs(numeric)), "\(integration) ∂θ\(i): \(gradient[i]) vs \(numeric)")
      }
    }
  }

  /// The single-x/z path (`GroupedBinaryData`, the studies' fast path) and the general design agree
  /// on the same data: same integrals, same optimum.
  @Test func singleCovariatePathAgreesWithGeneralDesign() throws {
    let rng = testStream("general-logit-single")
    let groups = 12
    var y: [Double] = [], x: [Double] = [], group: [Int] = []
    let z = (0..<groups).map { _ in rng.normal() }
    let a = (0..<groups).map { _ in 0.8 * rng.normal() }
    for j in 0..<240 {
      let g = j % groups
      let xj = rng.normal()
      let eta = -0.3 + 0.7 * xj + 0.5 * z[g] + a[g]
      x.append(xj)
      group.append(g)
      y.append(rng.uniform() < 1 / (1 + exp(-eta)) ? 1 : 0)
    }
    let data = try GroupedBinaryData(y: y, x: x, group: group, z: z)
    let fixed = Matrix(rows: y.count, cols: 3) { i, k in [1, x[i], z[group[i]]][k] }
    let design = try GroupedLogitDesign(
      successes: y, trials: nil, fixed: fixed, fixedNames: ["(Intercept)", "x", "z"], group: group.map(String.init),
      groupingFactor: "g")
    for integration in [RandomEffectIntegration.laplace, .adaptiveGaussHermite(nodes: 7)] {
      let model = RandomInterceptLogit(integration: integration)
      let fast = try model.fit(data)
      let general = try model.fit(design)
      for i in 0..<3 {
        let se = fast.covariance[i, i].squareRoot()
        #expect(abs(fast.coefficients[i] - general.fixedEffects.coefficients[i]) <= 1e-6 * se)
        #expect(abs(se - general.fixedEffects.covariance[i, i].squareRoot()) <= 1e-6 * se)
      }
      #expect(abs(fast.coefficients[3] - general.tau) <= 1e-6 * fast.covariance[3, 3].squareRoot())
      #expect(abs(fast.logLikelihood - general.logLikelihood) <= 1e-9 * abs(fast.logLikelihood))
    }
  }

  /// Refitting from the reported optimum moves no estimate by more than 1e-6 of its SE (the Newton
  /// polish's decrement bound), for Laplace and AGQ, on cbpp and on the tiny design.
  @Test(arguments: [RandomEffectIntegration.laplace, .adaptiveGaussHermite(nodes: 9)])
  func refitFromTheOptimumDoesNotMove(_ integration: RandomEffectIntegration) throws {
    let model = RandomInterceptLogit(integration: integration)
    for design in [try Self.cbpp(), try Self.tiny()] {
      let fit = try model.fit(design)
      let again = try model.fit(design, start: fit.fixedEffects.coefficients + [fit.tau])
      for i in fit.fixedEffects.names.indices {
        let se = fit.fixedEffects.covariance[i, i].squareRoot()
        let moved = abs(again.fixedEffects.coefficients[i] - fit.fixedEffects.coefficients[i]) / se
        #expect(moved < 1e-6, "\(fit.fixedEffects.names[i]) moved \(moved) SE")
      }
      #expect(again.onBoundary == fit.onBoundary)
      if let se = fit.tauStandardError { #expect(abs(again.tau - fit.tau) / se < 1e-6) }
    }
  }

  /// Within-group separation by a combination of two covariates (neither separates alone, x1 + x2
  /// does in every group with both outcomes) is refused with the reason, never fitted; so is a
  /// single separating covariate next to a group-level one.
  @Test func withinGroupSeparationIsRefused() throws {
    // In each group the successes have x1 + x2 ≥ 1 and the failures x1 + x2 ≤ 0; x1 alone overlaps.
    let group = ["a", "a", "a", "a", "b", "b", "b", "b", "c", "c", "c", "c"]
    let x1 = [2.0, -1.0, 0.0, -1.5, 0.5, 1.0, -2.0, 1.5, -1.0, 3.0, 1.0, -3.0]
    let x2 = [-1.0, 2.5, -0.5, 1.0, 0.5, -2.0, 3.0, -3.0, 2.0, -2.0, -1.5, 2.0]
    let y = [1.0, 1, 0, 0, 1, 0, 1, 0, 1, 1, 0, 0]
    for j in y.indices { #expect((x1[j] + x2[j] >= 1) == (y[j] == 1) && (x1[j] + x2[j] <= 0) == (y[j] == 0)) }
    let fixed = Matrix(rows: y.count, cols: 3) { i, k in [1, x1[i], x2[i]][k] }
    let design = try GroupedLogitDesign(
      successes: y, trials: nil, fixed: fixed, fixedNames: ["(Intercept)", "x1", "x2"], group: group, groupingFactor: "g")
    for integration in [RandomEffectIntegration.laplace, .adaptiveGaussHermite(nodes: 7)] {
      #expect {
        _ = try RandomInterceptLogit(integration: integration).fit(design)
      } throws: { error in
        guard case EstimationError.separation(let reason) = error else { return false }
        return reason.contains("within-group separation") && reason.contains("x1, x2")
      }
      #expect(throws: EstimationError.self) { _ = try RandomInterceptLogit(integration: integration).fit(design.addingGroupMeans()) }
    }
    #expect(throws: EstimationError.self) { _ = try design.fixedEffectsLogit() }
    // Data without separation pass the check.
    for other in [try Self.cbpp(), try Self.tiny()] {
      #expect(throws: Never.self) { try other.checkWithinGroupSeparation(model: "test") }
    }
  }

  /// No group variation at all (every group has the same rows and outcomes): τ̂ is on the boundary,
  /// reported as 0 with no Wald SE, β̂ is the ordinary logit's, and the profile interval is [0, u]
  /// with u where 2(ℓ̂ − ℓ_p(u)) = 3.84 — checked independently for this intercept-only model, whose
  /// profile over β₀ is one-dimensional (golden-section search on the marginal likelihood).
  @Test func boundaryGivesProfileInterval() throws {
    var y: [Double] = [], group: [String] = []
    for g in 0..<8 { for k in 0..<10 {
      y.append(k < 3 ? 1 : 0)
      group.append("g\(g)")
    } }
    let design = try GroupedLogitDesign(
      successes: y, trials: nil, fixed: Matrix(rows: y.count, cols: 1) { _, _ in 1 }, fixedNames: ["(Intercept)"],
      group: group, groupingFactor: "g")
    let model = RandomInterceptLogit(integration: .adaptiveGaussHermite(nodes: 9))
    let fit = try model.fit(design)
    #expect(fit.onBoundary && fit.tau == 0 && fit.tauStandardError == nil)
    #expect(abs(fit.fixedEffects.coefficients[0] - log(3.0 / 7)) <= 1e-7)
    #expect(abs(fit.fixedEffects.covariance[0, 0] - 1 / (80 * 0.3 * 0.7)) <= 1e-6 / (80 * 0.21))
    #expect(fit.tauInterval.lower == 0 && fit.tauZeroPValue == 0.5)
    let upper = fit.tauInterval.upper
    #expect(upper > 0.1 && upper < 3)
    func profile(_ tau: Double) throws -> Double {
      var (a, b) = (-3.0, 2.0)
      let r = (5.0.squareRoot() - 1) / 2
      for _ in 0..<80 {
        let c = b - r * (b - a), d = a + r * (b - a)
        if try model.logLikelihood(design, parameters: [c, tau]) > model.logLikelihood(design, parameters: [d, tau]) {
          b = d
        } else {
          a = c
        }
      }
      return try model.logLikelihood(design, parameters: [(a + b) / 2, tau])
    }
    let statistic = 2 * (fit.logLikelihood - (try profile(upper)))
    #expect(abs(statistic - 3.841458820694124) <= 1e-4, "2(ℓ̂ − ℓ_p(upper)) = \(statistic)")
  }

  /// Only `(1 | g)` is accepted as the random part; anything else is one sentence.
  @Test(arguments: [
    "y ~ x + (1 + x | g)", "y ~ x + (1 | g) + (1 | h)", "y ~ x", "y ~ x + (0 + x | g)",
  ])
  func otherRandomTermsAreRefused(_ formula: String) throws {
    let table = try LongTable(csv: "y,x,g,h\n1,0.5,a,u\n0,1.5,a,v\n1,-0.5,b,u\n0,0.1,b,v\n")
    #expect {
      _ = try GroupedLogitDesign(frame: ModelFrame(ModelFormula(formula), table: table))
    } throws: { error in
      guard case EstimationError.invalidInput(let message) = error else { return false }
      return message.contains("exactly one random term")
    }
  }
}
