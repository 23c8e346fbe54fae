import Estimators
import ReplicateEngine

/// A toy study with a known answer: x₁…x_n iid N(μ, 1); the sample mean with its exact SE 1/√n
/// (so its 95% Wald interval covers μ with probability exactly 0.95); a method that fails on
/// every replicate whose first draw is above 1.5 (P = 1 − Φ(1.5 − μ)); and a method whose fit
/// reports non-convergence on every third replicate.
public func toyStudy(failing: Bool = true) -> Study {
  var methods: [StudyMethod<[Double]>] = [
    StudyMethod("mean") { x, _ in
      let m = x.reduce(0, +) / Double(x.count)
      return MethodOutput([Estimate.wald("mu", value: m, se: 1 / Double(x.count).squareRoot())])
    },
    StudyMethod("median") { x, _ in
      let s = x.sorted()
      return MethodOutput([Estimate(estimand: "mu", value: s[s.count / 2])])
    },
  ]
  if failing {
    methods.append(
      StudyMethod("fragile") { x, _ in
        if x[0] > 1.5 { throw EstimationError.numerical("first draw above 1.5") }
        return MethodOutput([Estimate(estimand: "mu", value: x[0])], fit: FitSummary(converged: Int(x[1] * 1e6) % 3 != 0, iterations: 5, message: "cap"))
      })
  }
  return Study(
    name: "toy", aim: "toy", seed: 7,
    factors: [Factor("n", integers: [5, 20]), Factor("mu", reals: [0, 0.5])],
    estimands: [EstimandSpec("mu", .continuous)],
    columns: [TableColumn("mu", "bias"), TableColumn("mu", "coverage")],
    cost: { c in Double((try? c.int("n")) ?? 1) },
    validate: { c in
      if try c.int("n") < 2 { throw StudyError.impossibleCondition(condition: c.canonical, reason: "n must be at least 2") }
    },
    generate: { c, rng in
      let mu = try c.double("mu")
      return Draw(rng.normals(try c.int("n"), mean: mu), truth: ["mu": mu])
    },
    methods: methods)
}

