import SimStudy

/// template-study: replace the aim, the grid, the data-generating step and the methods with your own.
/// Run it with `swift run study template-study --reps 200`; `swift run study list -v` shows what it declares.
public let templateStudy = Study(
  name: "template-study",
  aim: "Does the sample mean or the sample median estimate a normal mean better?",
  // The study seed: replicate i of a condition draws from a stream keyed by (seed, condition, i).
  seed: 1,
  // The grid: every combination of factor values is one condition (`--set n=50,500` overrides).
  factors: [
    Factor("n", integers: [20, 100], help: "sample size"),
    Factor("mu", reals: [0, 1], help: "true mean"),
  ],
  // What the data-generating step knows the truth of. A continuous estimand gets bias, emp_se,
  // mse, rmse, model_se, coverage, rejection … each with its Monte Carlo SE; `.robust` adds
  // median_bias, median_abs_error, mad and iqr; `.custom(name) { rows in … }` adds your own.
  estimands: [EstimandSpec("mu", .continuous, help: "the normal mean", measures: [.robust])],
  // The headline table: (estimand, measure) columns, checked when the study is built.
  columns: [
    TableColumn("mu", .bias), TableColumn("mu", .rmse), TableColumn("mu", .coverage),
    TableColumn("mu", "median_abs_error"),
  ],
  // Conditions that cannot run are refused with one sentence before anything runs.
  validate: { c in
    if try c.int("n") < 2 { throw StudyError.impossibleCondition(condition: c.canonical, reason: "n must be at least 2") }
  },
  // One replicate's data, drawn only from `rng` (this replicate's own stream), with the truth.
  generate: { c, rng in
    let mu = try c.double("mu")
    return Draw(rng.normals(try c.int("n"), mean: mu), truth: ["mu": mu])
  },
  // Every method sees the same draw. A method returns its estimates (a value, and an SE,
  // interval and p-value where it has them); it throws when it cannot estimate, which is
  // recorded as its failure on that replicate while the run goes on.
  methods: [
    StudyMethod("mean") { x, _ in
      let n = Double(x.count)
      return MethodOutput([Estimate.wald("mu", value: x.reduce(0, +) / n, se: 1 / n.squareRoot())])
    },
    StudyMethod("median") { x, _ in
      let s = x.sorted()
      let k = s.count / 2
      let median = s.count % 2 == 1 ? s[k] : (s[k - 1] + s[k]) / 2
      // The large-sample SE of a normal sample's median: √(π/2)·σ/√n with σ = 1.
      return MethodOutput([Estimate.wald("mu", value: median, se: (Double.pi / 2 / Double(s.count)).squareRoot())])
    },
  ])
