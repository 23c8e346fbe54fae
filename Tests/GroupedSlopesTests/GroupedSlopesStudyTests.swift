import ReplicateEngine
import Studies
import Testing

@Suite struct GroupedSlopesStudyTests {
  /// One replicate of the default grid's first cell: every method runs and reports its estimands.
  @Test func oneReplicateRunsEveryMethod() throws {
    let study = groupedSlopesStudy
    #expect(study.name == "grouped-slopes" && study.defaultConditions.count == 8)
    let condition = study.defaultConditions[0]
    #expect(condition.canonical == "N=100,T=20,p=2,preset=ssp-static,C=0.6")
    let outcome = try study.replicate(condition, index: 0, seed: study.seed)
    #expect(outcome.generateError == nil)
    #expect(outcome.truth["K"] == 3 && outcome.truth["slope1_g1"] == 0.4 && outcome.truth["slope1_g3"] == 1.6)
    // 0.3·0.4 + 0.3·1 + 0.4·1.6 with the exact shares 30/30/40.
    #expect(abs((outcome.truth["slope1_avg"] ?? 0) - 1.06) < 1e-12)
    for (name, method) in zip(study.methodNames, outcome.methods) {
      #expect(method.status == .ok, "\(name): \(method.message ?? "")")
      let names = Set(method.estimates.map(\.estimand))
      #expect(names.isSuperset(of: ["slope1_g1", "slope1_g2", "slope1_g3", "slope1_avg"]), "\(name)")
      #expect(names.contains("K") == (name == "C-Lasso K̂"))
      #expect(names.contains("accuracy") == name.hasPrefix("C-Lasso"))
      if let accuracy = method.estimates.first(where: { $0.estimand == "accuracy" }) {
        #expect(accuracy.value > 0.5 && accuracy.value <= 1)
      }
    }
    // Same key, same replicate.
    let again = try study.replicate(condition, index: 0, seed: study.seed)
    #expect(again.methods.map { $0.estimates.map(\.value) } == outcome.methods.map { $0.estimates.map(\.value) })
  }

  @Test func impossibleConditionsAreRejected() {
    let study = groupedSlopesStudy
    for bad in [study.grid(overrides: ["p": ["3"]])[0], study.grid(overrides: ["T": ["4"], "preset": ["su-ju"]])[0],
                study.grid(overrides: ["preset": ["nope"]])[0]] {
      #expect(throws: (any Error).self) { try study.validate(bad) }
    }
  }
}
