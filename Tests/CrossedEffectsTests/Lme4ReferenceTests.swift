import Estimators
import Foundation
import Testing
import TestSupport

/// lme4 and MixedModels.jl on their classic data sets, fitted from lme4 formulas: random slopes,
/// uncorrelated slopes (`||`), nested factors (`/`) and the wrong crossed specification for a
/// nested design. The data (Tests/Fixtures/sleepstudy.csv, Pastes.csv, Dyestuff.csv) are lme4's
/// data sets as the Rdatasets project exports them (vincentarelbundock/Rdatasets, csv/lme4/,
/// without its row-number column).
///
/// Sources of the published values (lme4/lme4 at commit 32b5bfd, JuliaStats/MixedModels.jl at
/// 2228a9a), cited per test. Objectives are compared to 10⁻⁶ relative: both fits are at the optimum
/// of the same criterion. Parameters are compared within the tolerance the reference's own test
/// asserts, or to the printed digits; where lme4's optimiser stops early on a flat criterion the
/// test also checks that our criterion is no worse than the published one.
@Suite struct Lme4ReferenceTests {
  static func fit(_ file: String, _ formula: String, reml: Bool) throws -> CrossedLMMFit {
    let table = try LongTable(contentsOfCSV: packageRoot.appendingPathComponent("Tests/Fixtures/\(file)"))
    return try CrossedLMM(CrossedDesign(formula: ModelFormula(formula), table: table)).fit(reml: reml)
  }

  func close(_ x: Double?, _ published: Double, relative: Double) -> Bool {
    guard let x else { return false }
    return abs(x - published) <= relative * abs(published)
  }

  func close(_ x: Double?, _ published: Double, absolute: Double) -> Bool {
    guard let x else { return false }
    return abs(x - published) <= absolute
  }

  /// sleepstudy, `Reaction ~ Days + (Days | Subject)` by REML. lme4 tests/REMLdev.R:23 (REML
  /// criterion 1743.6282722424), tests/lmer-1.R:51-52 (fixed effects 251.405104848485 and
  /// 10.467285959595, tolerance 1e-13), docs/reference/utilities.html:323-325 (VarCorr: sds 24.7407,
  /// 5.9221, correlation 0.066, residual 25.5918), docs/reference/lmer.html:258-260 (SEs 6.825, 1.546).
  @Test func sleepstudyCorrelatedSlopeREML() throws {
    let fit = try Self.fit("sleepstudy.csv", "Reaction ~ Days + (Days | Subject)", reml: true)
    #expect(fit.converged && !fit.isSingular)
    #expect(close(fit.objective, 1743.6282722424, relative: 1e-6))
    #expect(fit.objective <= 1743.6282722424 + 1e-6)
    #expect(fit.fixedEffectNames == ["(Intercept)", "Days"])
    #expect(close(fit.fixedEffects[0], 251.405104848485, relative: 1e-10))
    #expect(close(fit.fixedEffects[1], 10.467285959595, relative: 1e-10))
    #expect(close(fit.standardErrors[0], 6.825, absolute: 5e-4))
    #expect(close(fit.standardErrors[1], 1.546, absolute: 5e-4))
    // The criterion is flat in the variance directions: sds to 2·10⁻⁴ of lme4's printed 4 decimals.
    #expect(close(fit.variance(of: "Subject").map { $0.squareRoot() }, 24.7407, absolute: 3e-4))
    #expect(close(fit.variance(of: "Subject", effect: "Days").map { $0.squareRoot() }, 5.9221, absolute: 1e-4))
    #expect(close(fit.correlation(of: "Subject", "(Intercept)", "Days"), 0.066, absolute: 5e-4))
    #expect(close(fit.residualVariance.squareRoot(), 25.5918, absolute: 1e-4))
    // BLUPs by level label, and they add up to the fitted values.
    let blup = try #require(fit.randomEffect(of: "Subject", effect: "Days", level: "308"))
    #expect(fit.randomEffect(of: "Subject", effect: "Days", level: "999") == nil)
    #expect(abs(fit.fitted[0] - (fit.fixedEffects[0] + fit.randomEffect(of: "Subject", level: "308")!)) < 1e-9)
    #expect(abs(fit.fitted[1] - fit.fitted[0] - (fit.fixedEffects[1] + blup)) < 1e-9)
  }

  /// The same model by ML. MixedModels.jl test/pls.jl:405-412 (objective 1751.9393444636682;
  /// θ [0.9292297167514472, 0.01816466496782548, 0.22264601131030412], atol 5e-5; SEs
  /// [6.632295312722272, 1.5022387911441102], atol 1e-4; random-effect sds [23.78066438213187,
  /// 5.7168446983832775], atol 0.01).
  @Test func sleepstudyCorrelatedSlopeML() throws {
    let fit = try Self.fit("sleepstudy.csv", "Reaction ~ Days + (Days | Subject)", reml: false)
    #expect(close(fit.objective, 1751.9393444636682, relative: 1e-6))
    for (ours, theirs) in zip(fit.theta, [0.9292297167514472, 0.01816466496782548, 0.22264601131030412]) {
      #expect(close(ours, theirs, absolute: 5e-5))
    }
    #expect(close(fit.standardErrors[0], 6.632295312722272, absolute: 1e-4))
    #expect(close(fit.standardErrors[1], 1.5022387911441102, absolute: 1e-4))
    #expect(close(fit.variance(of: "Subject").map { $0.squareRoot() }, 23.78066438213187, absolute: 0.01))
    #expect(close(fit.variance(of: "Subject", effect: "Days").map { $0.squareRoot() }, 5.7168446983832775, absolute: 0.01))
  }

  /// `(Days || Subject)`: two terms on one factor, no correlation. REML: lme4
  /// docs/reference/lmer.html:397 and 424-426 (criterion 1743.669; variances 627.56905, 35.85838,
  /// residual 653.58350 printed to 7 digits). ML: MixedModels.jl test/pls.jl:493-500 (objective
  /// 1752.003255140962; θ [0.9458043022417869, 0.22692740996014607], atol 1e-4; sds
  /// [24.171269957611873, 5.79939919963132], atol 5e-4; residual sd 25.55613836753517, atol 1e-4).
  @Test func sleepstudyUncorrelatedSlope() throws {
    let reml = try Self.fit("sleepstudy.csv", "Reaction ~ Days + (Days || Subject)", reml: true)
    #expect(reml.varianceComponents.count == 2 && reml.varianceComponents.allSatisfy { $0.effectNames.count == 1 })
    #expect(reml.correlation(of: "Subject", "(Intercept)", "Days") == nil)
    #expect(close(reml.objective, 1743.669, absolute: 5e-4))
    #expect(close(reml.variance(of: "Subject"), 627.56905, relative: 1e-4))
    #expect(close(reml.variance(of: "Subject", effect: "Days"), 35.85838, relative: 1e-4))
    #expect(close(reml.residualVariance, 653.58350, relative: 1e-5))

    let ml = try Self.fit("sleepstudy.csv", "Reaction ~ Days + (Days || Subject)", reml: false)
    #expect(close(ml.objective, 1752.003255140962, relative: 1e-6))
    #expect(close(ml.theta[0], 0.9458043022417869, absolute: 1e-4))
    #expect(close(ml.theta[1], 0.22692740996014607, absolute: 1e-4))
    #expect(close(ml.variance(of: "Subject").map { $0.squareRoot() }, 24.171269957611873, absolute: 5e-4))
    #expect(close(ml.variance(of: "Subject", effect: "Days").map { $0.squareRoot() }, 5.79939919963132, absolute: 5e-4))
    #expect(close(ml.residualVariance.squareRoot(), 25.55613836753517, absolute: 1e-4))
  }

  /// Pastes, casks nested in batches. lme4 docs/reference/Pastes.html:123-142: `(1 | batch/cask)`,
  /// `(1 | batch) + (1 | batch:cask)` and `(1 | batch) + (1 | sample)` all give REML criterion
  /// 246.9907 with sds cask:batch 2.9041, batch 1.2874, residual 0.8234; the crossed
  /// `(1 | batch) + (1 | cask)` is a different model, REML 301.4709 with sds 1.8341, 0.3856, 2.7030
  /// (Pastes.html:198-203). ML: MixedModels.jl test/pls.jl:242-250 (objective 247.9944658624955,
  /// SE 0.6421355774401101 atol 1e-4, sds 2.90407793598792 (atol 1e-3) and 1.0950608007768226,
  /// residual 0.8234073887751603).
  @Test func pastesNestedSpellingsAgreeAndTheCrossedOneDiffers() throws {
    for formula in [
      "strength ~ 1 + (1 | batch/cask)", "strength ~ 1 + (1 | batch) + (1 | batch:cask)",
      "strength ~ 1 + (1 | batch) + (1 | sample)",
    ] {
      let fit = try Self.fit("Pastes.csv", formula, reml: true)
      #expect(close(fit.objective, 246.9907, absolute: 5e-5), "\(formula)")
      #expect(fit.levelCounts == [10, 30], "\(formula)")
      #expect(fit.objective <= 246.9907 + 5e-5)
      let inner = fit.varianceComponents[1].factor
      #expect(close(fit.variance(of: inner).map { $0.squareRoot() }, 2.9041, absolute: 5e-5))
      // The criterion is flat along the batch sd: 1.28732 here, 1.2874 printed by lme4, whose
      // optimiser stops earlier (the ML fit below agrees with MixedModels.jl's batch sd to 4·10⁻⁶).
      #expect(close(fit.variance(of: "batch").map { $0.squareRoot() }, 1.2874, absolute: 2e-4))
      #expect(close(fit.residualVariance.squareRoot(), 0.8234, absolute: 5e-5))
    }
    let crossed = try Self.fit("Pastes.csv", "strength ~ 1 + (1 | batch) + (1 | cask)", reml: true)
    #expect(crossed.levelCounts == [10, 3])
    #expect(close(crossed.objective, 301.4709, absolute: 5e-5))
    #expect(close(crossed.variance(of: "batch").map { $0.squareRoot() }, 1.8341, absolute: 5e-5))
    #expect(close(crossed.variance(of: "cask").map { $0.squareRoot() }, 0.3856, absolute: 5e-5))
    #expect(close(crossed.residualVariance.squareRoot(), 2.7030, absolute: 5e-5))

    let ml = try Self.fit("Pastes.csv", "strength ~ 1 + (1 | batch/cask)", reml: false)
    #expect(close(ml.objective, 247.9944658624955, relative: 1e-6))
    #expect(close(ml.standardErrors[0], 0.6421355774401101, absolute: 1e-4))
    #expect(close(ml.variance(of: "batch:cask").map { $0.squareRoot() }, 2.90407793598792, absolute: 1e-3))
    #expect(close(ml.variance(of: "batch").map { $0.squareRoot() }, 1.0950608007768226, absolute: 1e-3))
    #expect(close(ml.residualVariance.squareRoot(), 0.8234073887751603, absolute: 1e-4))
  }

  /// Dyestuff, one random intercept. lme4 tests/testthat/test-lmer.R:38-58 (REML criterion
  /// 319.654276842342; Batch variance 1764.0375195, tolerance 1e-5; σ 49.5101272946856, tolerance
  /// 1e-6; ML deviance 327.327059881135). lme4 states its tolerances relative to its own optimiser
  /// (bobyqa gives 1764.050060 where Nelder–Mead gives 1764.0375195): the criterion is flat there, so
  /// the variance is compared within twice that spread and the fixed-effect variance within
  /// MixedModels.jl's tolerance (test/pls.jl:143: 375.7167103872769, rtol 1e-3).
  @Test func dyestuff() throws {
    let reml = try Self.fit("Dyestuff.csv", "Yield ~ 1 + (1 | Batch)", reml: true)
    #expect(close(reml.objective, 319.654276842342, relative: 1e-9))
    #expect(close(reml.variance(of: "Batch"), 1764.0375195, relative: 2e-5))
    #expect(close(reml.residualVariance.squareRoot(), 49.5101272946856, relative: 1e-5))
    #expect(close(reml.fixedEffectCovariance[0, 0], 375.7167103872769, relative: 1e-3))
    #expect(reml.fixedEffects[0] == 1527.5 || close(reml.fixedEffects[0], 1527.5, relative: 1e-12))
    let ml = try Self.fit("Dyestuff.csv", "Yield ~ 1 + (1 | Batch)", reml: false)
    #expect(close(ml.objective, 327.327059881135, relative: 1e-9))
  }
}
