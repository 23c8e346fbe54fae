import SimStudy

/// nickell: the within (LSDV) estimator's Nickell bias against the Anderson–Hsiao IV estimator in
/// the AR(1) panel with individual effects, y_it = α_i + ρ·y_i,t−1 + ε_it, started from its
/// stationary distribution (``DynamicPanelDGP``).
///
/// What to expect: the within bias sits at Nickell's probability limit (``NickellBias``:
/// −0.331 at T = 5, ρ = 0.5; −0.120 at T = 20, ρ = 0.9), does not shrink with N, and with it the
/// within intervals' coverage collapses as N grows. Anderson–Hsiao is consistent for fixed T, but
/// it is a ratio with no finite moments and a weak instrument as ρ → 1: its median bias is near 0
/// while its mean, empirical SE and RMSE are dominated by a few replicates with a denominator near
/// 0, so the robust measures (median bias, median absolute error, MAD, IQR) are the ones to read.
public let nickellStudy = Study(
  name: "nickell",
  aim: "How large is the within estimator's Nickell bias in a dynamic panel, and does Anderson–Hsiao IV remove it at an acceptable cost in precision?",
  seed: 19_811_417,  // Nickell (1981), Econometrica 49, p. 1417
  factors: [
    Factor("N", integers: [100, 500], help: "units"),
    Factor("T", integers: [5, 10, 20], help: "periods after the initial condition y_i0"),
    Factor("rho", reals: [0.5, 0.9, 0.99], help: "autoregressive coefficient, strictly between −1 and 1"),
  ],
  estimands: [
    EstimandSpec(
      "rho", .continuous, help: "The autoregressive coefficient ρ; truth = the condition's rho.", measures: [.robust]),
  ],
  columns: [
    TableColumn("rho", .bias, heading: "ρ bias"),
    TableColumn("rho", "median_bias", heading: "ρ median bias"),
    TableColumn("rho", "median_abs_error", heading: "ρ MAE"),
    TableColumn("rho", "iqr", heading: "ρ IQR"),
    TableColumn("rho", .coverage, heading: "ρ coverage"),
  ],
  cost: { c in Double((try? c.int("N")) ?? 1) * Double((try? c.int("T")) ?? 1) },
  validate: { c in
    let rho = try c.double("rho"), t = try c.int("T"), n = try c.int("N")
    guard abs(rho) < 1 else {
      throw StudyError.impossibleCondition(
        condition: c.canonical, reason: "rho must lie strictly between −1 and 1 for the stationary start y_i0 = α_i/(1−ρ) + ε_i0/√(1−ρ²)")
    }
    guard t >= 3 else {
      throw StudyError.impossibleCondition(
        condition: c.canonical, reason: "T must be at least 3 so that Anderson–Hsiao has two differenced equations per unit (t = 2, 3)")
    }
    guard n >= 2 else {
      throw StudyError.impossibleCondition(condition: c.canonical, reason: "N must be at least 2 for the cluster-robust standard error")
    }
  },
  generate: { c, rng in
    let dgp = DynamicPanelDGP(units: try c.int("N"), periods: try c.int("T"), rho: try c.double("rho"))
    return Draw(try dgp.draw(using: rng), truth: ["rho": dgp.rho])
  },
  methods: [
    StudyMethod<DynamicPanelSample>("within", settings: WithinEstimator.settings) { s, _ in
      try WithinEstimator().fit(s).output
    },
    StudyMethod<DynamicPanelSample>("anderson-hsiao", settings: AndersonHsiao.settings) { s, _ in
      try AndersonHsiao().fit(s).output
    },
  ])
