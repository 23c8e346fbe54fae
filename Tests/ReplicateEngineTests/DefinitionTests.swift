import Estimators
import Foundation
import ReplicateEngine
import Testing
import TestSupport

/// A small normal-mean study whose parts a test can get wrong on purpose.
private func study(
  estimands: [EstimandSpec] = [EstimandSpec("mu", .continuous)],
  columns: [TableColumn] = [TableColumn("mu", .bias)],
  methods: [StudyMethod<[Double]>]? = nil,
  reference: String? = nil,
  factor: String = "n",
  truth: String? = "mu"
) -> Study {
  Study(
    name: "def", aim: "definition checks", seed: 3,
    factors: [Factor("n", integers: [10]), Factor("mu", reals: [0.5])],
    estimands: estimands, columns: columns,
    generate: { c, rng in
      let mu = try c.double("mu")
      return Draw(rng.normals(try c.int(factor), mean: mu), truth: truth.map { [$0: mu] } ?? [:])
    },
    methods: methods ?? [
      StudyMethod("mean") { x, _ in MethodOutput([Estimate(estimand: "mu", value: x.reduce(0, +) / Double(x.count))]) }
    ],
    reference: reference)
}

private func definitionProblem(_ s: Study) -> String? {
  do {
    try s.checkDefinition()
    return nil
  } catch {
    return error.problem
  }
}

/// Runs the study through the engine; returns the error and how many items reached the sink.
private func runThroughEngine(_ s: Study) -> (error: (any Error)?, stored: Int) {
  let sink = MemorySink(conditions: 1)
  do {
    _ = try Engine.execute(
      s, conditions: s.defaultConditions, work: WorkList(s, conditions: s.defaultConditions, reps: 20),
      options: RunOptions(reps: 20, seed: 1, threads: 2), sink: sink)
    return (nil, sink.sorted.rows[0].count)
  } catch {
    return (error, sink.sorted.rows[0].count)
  }
}

@Suite struct DefinitionTests {
  @Test func aWellFormedStudyPasses() throws {
    try study().checkDefinition()
    let (error, stored) = runThroughEngine(study())
    #expect(error == nil && stored == 20)
  }

  /// Author mistakes in the definition itself: each is one sentence naming the study and the fix.
  @Test(arguments: [
    (study(columns: [TableColumn("mu", "biass")]), "names the measure 'biass', which continuous estimand mu does not have (did you mean 'bias'?)"),
    (study(columns: [TableColumn("muu", "bias")]), "names the estimand 'muu', which is not declared (did you mean 'mu'?)"),
    (study(columns: [TableColumn("mu", "share_correct")]), "names the measure 'share_correct', which continuous estimand mu does not have"),
    (study(columns: [TableColumn("mu", "freq_3")]), "names the measure 'freq_3'"),
    (study(columns: [TableColumn("mu", .biasDiff)]), "shows bias_diff, which needs a reference method"),
    (study(reference: "meen"), "the reference 'meen' is not one of its methods (did you mean 'mean'?)"),
    (study(estimands: [EstimandSpec("mu", .continuous), EstimandSpec("mu", .discrete)]), "two estimands are named 'mu'"),
    (study(estimands: [EstimandSpec("mu", .discrete, measures: [.robust])]),
     "estimand mu is discrete, but its measures median_bias, median_abs_error, mad, iqr are for continuous estimands"),
    (study(estimands: [EstimandSpec("mu", .continuous, measures: [.custom("rmse") { _ in 0 }])]),
     "estimand mu's own measure 'rmse' has the name of a standard measure"),
    (study(methods: [
      StudyMethod("m") { _, _ in MethodOutput([]) }, StudyMethod("m") { _, _ in MethodOutput([]) },
    ]), "two methods are named 'm'"),
  ])
  func definitionMistakesAreOneSentence(_ s: Study, _ expected: String) {
    let problem = definitionProblem(s)
    #expect(problem?.contains(expected) == true, "got: \(problem ?? "no problem")")
    let (error, stored) = runThroughEngine(s)
    #expect(error is DefinitionError && stored == 0)
  }

  /// Columns that exist: a discrete estimand's distribution, an extra measure, a relative measure
  /// with a reference.
  @Test func columnsThatExistPass() throws {
    try study(estimands: [EstimandSpec("mu", .discrete)], columns: [TableColumn("mu", "freq_3"), TableColumn("mu", .shareCorrect)])
      .checkDefinition()
    try study(
      estimands: [EstimandSpec("mu", .continuous, measures: [.robust, .custom("p_above") { _ in 0 }])],
      columns: [TableColumn("mu", "median_bias"), TableColumn("mu", "p_above")]
    ).checkDefinition()
    try study(
      columns: [TableColumn("mu", .relPrecision)],
      methods: [
        StudyMethod("a") { x, _ in MethodOutput([Estimate(estimand: "mu", value: x[0])]) },
        StudyMethod("b") { x, _ in MethodOutput([Estimate(estimand: "mu", value: x[1])]) },
      ], reference: "a"
    ).checkDefinition()
  }

  /// Mistakes only the study's code shows: the engine runs replicate 0 of the first condition
  /// before anything else and stops with one sentence; nothing reaches the sink.
  @Test(arguments: [
    (study(methods: [StudyMethod("mean") { x, _ in MethodOutput([Estimate(estimand: "muu", value: x[0])]) }]),
     "method 'mean' reports the estimand 'muu', which the study does not declare (did you mean 'mu'?)"),
    (study(factor: "nn"), "generate reads the factor 'nn', which the study does not have (did you mean 'n'?)"),
    (study(methods: [StudyMethod("mean") { x, c in MethodOutput([Estimate(estimand: "mu", value: Double(try c.int("mu")))]) }]),
     "method 'mean' reads factor mu as an integer, but its value is '0.5'"),
    (study(truth: nil), "generate gives no truth for the continuous estimand mu"),
    (study(truth: "sigma"), "generate gives no truth for the continuous estimand mu"),
  ])
  func codeMistakesStopTheRunBeforeItStarts(_ s: Study, _ expected: String) {
    try? s.checkDefinition()
    let (error, stored) = runThroughEngine(s)
    #expect((error as? DefinitionError)?.problem.contains(expected) == true, "got: \(error.map { "\($0)" } ?? "no error")")
    #expect(stored == 0)
  }

  /// A truth for an estimand the study does not declare is a mistake too.
  @Test func undeclaredTruthIsNamed() {
    let s = Study(
      name: "def", aim: "", seed: 1, factors: [Factor("n", integers: [5])], estimands: [EstimandSpec("mu", .continuous)],
      columns: [],
      generate: { _, rng in Draw(rng.normals(5), truth: ["mu": 0, "sigmaa": 1]) },
      methods: [StudyMethod("m") { x, _ in MethodOutput([Estimate(estimand: "mu", value: x[0])]) }])
    #expect(throws: DefinitionError(study: "def", problem: "generate gives a truth for 'sigmaa', which is not a declared estimand (it has: mu)")) {
      try s.preflight(s.defaultConditions[0], seed: 1)
    }
  }

  /// The typed measure set is what the measures really emit: on input with SEs, intervals and
  /// p-values, each kind's standard measures are exactly the names `PerformanceMeasures` returns
  /// (besides a discrete estimand's freq_k).
  @Test func measureSetMatchesWhatIsComputed() {
    var rows: [ReplicateEstimate] = []
    for i in 0..<20 {
      let x = Double(i % 5)
      rows.append(ReplicateEstimate(value: x, truth: 2, se: 1 + Double(i) / 10, lower: x - 2, upper: x + 2, pValue: Double(i) / 20))
    }
    #expect(PerformanceMeasures.continuous(rows).map(\.measure) == Measure.standard(for: .continuous).map(\.rawValue))
    #expect(
      PerformanceMeasures.discrete(values: rows.map(\.value), truth: 2).map(\.measure).filter { !$0.hasPrefix(Measure.frequencyPrefix) }
        == Measure.standard(for: .discrete).map(\.rawValue))
    #expect(PerformanceMeasures.score(rows.map(\.value)).map(\.measure) == Measure.standard(for: .score).map(\.rawValue))
    let pairs = rows.map { (method: $0.value, reference: $0.value * 0.5 + Double($0.se ?? 0)) }
    #expect(PerformanceMeasures.relative(pairs).map(\.measure) == Measure.relative.map(\.rawValue))
  }
}
