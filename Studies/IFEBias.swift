import DataGeneration
import Estimators
import LinearAlgebra
import ReplicateEngine

/// ife-bias: Bai (2009)'s covariate design, where X loads on the factors and loadings, so the
/// two-way fixed-effects and pooled OLS slopes are biased and the IFE estimator is not. The
/// infeasible "oracle F" regression, with the true factors known, is exactly unbiased; the gap
/// between it and IFE is the finite-sample cost of estimating F, shown paired against the oracle as
/// the reference method ("β1 − ref": the bias difference with its paired MCSE).
public let ifeBiasStudy = Study(
  name: "ife-bias",
  aim: "Are IFE slopes unbiased with valid intervals when regressors load on the factors, unlike two-way FE and pooled OLS?",
  seed: 20_091_105,
  factors: [
    Factor("N", integers: [50, 100], help: "units"),
    Factor("T", integers: [50, 100], help: "periods"),
  ],
  estimands: [
    EstimandSpec("beta1", .continuous, help: "First slope; truth 1."),
    EstimandSpec("beta2", .continuous, help: "Second slope; truth 3."),
  ],
  columns: [
    TableColumn("beta1", "bias", heading: "β1 bias"),
    TableColumn("beta1", "bias_diff", heading: "β1 − ref"),
    TableColumn("beta1", "emp_se", heading: "β1 emp SE"),
    TableColumn("beta1", "model_se", heading: "β1 model SE"),
    TableColumn("beta1", "coverage", heading: "β1 coverage"),
    TableColumn("beta2", "bias", heading: "β2 bias"),
    TableColumn("beta2", "coverage", heading: "β2 coverage"),
  ],
  cost: { c in Double((try? c.int("N")) ?? 1) * Double((try? c.int("T")) ?? 1) },
  // Y and two covariates, their demeaned copies and the fits' working panels, plus a Gram matrix.
  memory: { c in
    let n = Double((try? c.int("N")) ?? 0), t = Double((try? c.int("T")) ?? 0)
    return 8 * (16 * n * t + 2 * min(n, t) * min(n, t))
  },
  validate: { c in try FactorPanel.bai2009(n: try c.int("N"), t: try c.int("T")).validate() },
  generate: { c, rng in
    let design = FactorPanel.bai2009(n: try c.int("N"), t: try c.int("T"))
    return Draw(try design.draw(using: rng), truth: ["beta1": design.beta[0], "beta2": design.beta[1]])
  },
  methods: [
    StudyMethod<FactorPanel.Sample>("IFE", settings: "r=2, force=twoWay, Bai (2009) iteration from two starts") { s, _ in
      try InteractiveFixedEffects(rank: 2, force: .twoWay).fit(s.y, covariates: s.covariates).output
    },
    StudyMethod<FactorPanel.Sample>("oracle F", settings: "infeasible: the true factors known, force=twoWay") { s, _ in
      try KnownFactorsRegression(force: .twoWay).fit(s.y, covariates: s.covariates, factors: s.factors).output
    },
    StudyMethod<FactorPanel.Sample>("two-way FE", settings: "within, classical SE") { s, _ in
      try TwoWayFixedEffects().fit(s.y, covariates: s.covariates).output
    },
    StudyMethod<FactorPanel.Sample>("pooled OLS", settings: "intercept, classical SE") { s, _ in
      try PooledOLS().fit(s.y, covariates: s.covariates).output
    },
  ],
  reference: "oracle F")
