import Testing
import ReplicateEngine
import Studies

/// The study runs on every grid condition: a few replicates each, no method failing, every estimand
/// reported (OLS: intercept only), and a replicate is reproducible from its key.
@Suite struct CrossedEffectsStudyTests {
  @Test func everyConditionRunsWithoutFailures() throws {
    let study = crossedEffectsStudy
    #expect(study.name == "crossed-effects")
    #expect(study.defaultConditions.count == 8)
    for condition in study.defaultConditions {
      try study.validate(condition)
      for rep in 0..<2 {
        let outcome = try study.replicate(condition, index: rep, seed: study.seed)
        #expect(outcome.generateError == nil)
        #expect(outcome.truth["student_var"] == 4 && outcome.truth["intercept"] == 0)
        for (name, m) in zip(study.methodNames, outcome.methods) {
          #expect(m.status == .ok, "\(condition) rep \(rep) \(name): \(m.message ?? "")")
          let identified = m.estimates.filter(\.identified).map(\.estimand)
          #expect(identified == (name == "ols" ? ["intercept"] : ["teacher_var", "student_var", "residual_var", "intercept", "singular"]))
          let intercept = m.estimates.first { $0.estimand == "intercept" }
          #expect(intercept?.se.map { $0 > 0 } == true)
        }
      }
    }
    let c = study.defaultConditions[0]
    let a = try study.replicate(c, index: 7, seed: study.seed)
    let b = try study.replicate(c, index: 7, seed: study.seed)
    #expect(a.methods.map { $0.estimates.map(\.value) } .description == b.methods.map { $0.estimates.map(\.value) }.description)
  }
}
