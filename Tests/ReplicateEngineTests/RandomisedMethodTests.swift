import Estimators
import RandomStreams
import ReplicateEngine
import Testing

/// A study whose one method draws from its own stream: it reports the first uniform of its stream,
/// so each stored value can be checked against a stream made independently from the documented key
/// (replicate key + "method" + method name).
private func randomisedStudy() -> Study {
  Study(
    name: "randomised", aim: "a method with its own stream", seed: 19,
    factors: [Factor("n", integers: [3])],
    estimands: [EstimandSpec("u", .continuous)],
    columns: [TableColumn("u", "bias")],
    generate: { c, rng in Draw(rng.normals(try c.int("n")), truth: ["u": 0.5]) },
    methods: [
      StudyMethod("draw-one", randomised: { _, _, key in
        let own = try RandomStream(key: key)
        return MethodOutput([Estimate(estimand: "u", value: own.uniform())])
      })
    ])
}

@Test func randomisedMethodDrawsFromItsOwnDocumentedStream() throws {
  let study = randomisedStudy()
  let condition = study.defaultConditions[0]
  let one = try Engine.run(study, conditions: [condition], options: RunOptions(reps: 20, seed: study.seed, threads: 1))
  let two = try Engine.run(study, conditions: [condition], options: RunOptions(reps: 20, seed: study.seed, threads: 2))
  #expect(one.rows == two.rows)
  var values = Set<Double>()
  for row in one.rows[0] {
    let key = StreamKey(seed: study.seed, condition: condition.canonical, replicate: Int(row.replicate))
      .appending("method").appending("draw-one")
    #expect(row.value == (try RandomStream(key: key)).uniform())
    // The method's stream is not the data's: the data stream's first uniform differs.
    #expect(row.value != (try RandomStream(key: StreamKey(seed: study.seed, condition: condition.canonical, replicate: Int(row.replicate)))).uniform())
    values.insert(row.value ?? .nan)
  }
  #expect(values.count == 20)
}
