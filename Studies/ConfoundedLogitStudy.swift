import DataGeneration
import Estimators
import RandomStreams
import ReplicateEngine

/// The design of one condition of the confounded-logit studies (the other DGP options at their
/// defaults, Docs/BinaryChoice.md §1).
func confoundedLogitDesign(_ condition: Condition) throws -> ConfoundedLogit {
  ConfoundedLogit(groups: try condition.int("groups"), individuals: try condition.int("individuals"))
}

/// Refuses a condition whose design cannot be drawn, in the design's own words.
func validateConfoundedLogit(_ condition: Condition) throws {
  do {
    try confoundedLogitDesign(condition).validate()
  } catch let error as DesignError {
    throw StudyError.impossibleCondition(condition: condition.canonical, reason: error.message)
  }
}

/// One replicate's data of the design of `condition`, and that design (for the truth).
func drawConfoundedLogit(_ condition: Condition, _ rng: RandomStream) throws -> (data: GroupedBinaryData, design: ConfoundedLogit) {
  let design = try confoundedLogitDesign(condition)
  let sample = try design.draw(using: rng)
  return (try GroupedBinaryData(y: sample.y, x: sample.x, group: sample.group, z: sample.z), design)
}

/// The six methods of the confounded-logit study, each fit reported for bxy (the coefficient of
/// x) and bzy (the coefficient of z; not identified under group fixed effects or conditioning).
let confoundedLogitMethods: [StudyMethod<GroupedBinaryData>] = {
  let pairs = [(estimand: "bxy", coefficient: "x"), (estimand: "bzy", coefficient: "z")]
  let naive = NaiveLogit()
  let fixedEffects = FixedEffectsLogit()
  let conditional = ConditionalLogit()
  let randomIntercept = RandomInterceptLogit()
  let mundlak = RandomInterceptLogit.mundlak()
  let latent = LatentMundlakLogit()
  return [
    StudyMethod("naive", settings: "logit y ~ 1 + x + z; IRLS, tol 1e-10") { data, _ in
      try naive.fit(data).output(pairs)
    },
    StudyMethod("fixed-effects", settings: "group dummies; all-0/all-1 groups dropped; IRLS, tol 1e-10") { data, _ in
      try fixedEffects.fit(data).output(pairs)
    },
    StudyMethod("conditional", settings: "conditional likelihood by recursion; Newton, tol 1e-10") { data, _ in
      try conditional.fit(data).output(pairs)
    },
    StudyMethod("random-intercept", settings: "\(randomIntercept.integration); BFGS, tol 1e-10") { data, _ in
      try randomIntercept.fit(data).output(pairs)
    },
    StudyMethod("mundlak", settings: "random intercept + group mean of x; \(mundlak.integration); BFGS, tol 1e-10") {
      data, _ in try mundlak.fit(data).output(pairs)
    },
    StudyMethod("latent-mundlak", settings: "joint x–y model, latent u; \(latent.integration); BFGS, tol 1e-10") {
      data, _ in try latent.fit(data).output(pairs)
    },
  ]
}()

/// Naive, fixed-effects, conditional, random-intercept, Mundlak and latent-Mundlak logits on a
/// binary outcome with a group-level confounder (Docs/BinaryChoice.md §1–§8). The truth is
/// bxy = 0, bzy = 1: the naive and random-intercept slopes of x are biased away from 0 and their
/// intervals under-cover; the within-group methods (fixed effects, conditional, Mundlak, latent
/// Mundlak) are not; fixed effects and conditional logit cannot identify bzy.
public let confoundedLogitStudy = Study(
  name: "confounded-logit",
  aim: "Binary outcome with a group confounder: naive and random-intercept logits are biased for x, within-group logits are not.",
  seed: 0x1061_7C0F_0000_0004,
  factors: [
    Factor("groups", integers: [10, 30, 100], help: "Number of groups G."),
    Factor("individuals", integers: [500, 2000], help: "Number of individuals n, assigned to groups uniformly at random."),
  ],
  estimands: [
    EstimandSpec("bxy", .continuous, help: "The slope of the individual covariate x (truth 0)."),
    EstimandSpec("bzy", .continuous, help: "The slope of the group covariate z (truth 1)."),
  ],
  columns: [
    TableColumn("bxy", "bias"), TableColumn("bxy", "coverage"), TableColumn("bxy", "rejection", heading: "bxy size"),
    TableColumn("bzy", "bias"), TableColumn("bzy", "coverage"),
  ],
  cost: { condition in Double((try? condition.int("individuals")) ?? 1) },
  // Per individual: outcome, covariates, group index and each fit's weights and working vectors.
  memory: { condition in 8 * 40 * Double((try? condition.int("individuals")) ?? 0) },
  validate: validateConfoundedLogit,
  generate: { condition, rng in
    let (data, design) = try drawConfoundedLogit(condition, rng)
    return Draw(data, truth: ["bxy": design.bxy, "bzy": design.bzy])
  },
  methods: confoundedLogitMethods)
