import DataGeneration
import Estimators
import LinearAlgebra
import RandomStreams
import ReplicateEngine

/// Crossed random effects (Docs/CrossedEffects.md §1–§5): 200 students, each taking `courses`
/// classes from teachers assigned at random, y = β₀ + u_teacher + v_student + ε with
/// σ²_student = 4, σ² = 9, β₀ = 0. How well do REML and ML recover the three variance
/// components, does the mixed model's interval for β₀ cover, and how badly does OLS that ignores
/// the grouping understate the SE of β₀? σ²_teacher = 0 is the boundary case, where fits are
/// often singular.
///
/// Estimands: `teacher_var`, `student_var`, `residual_var`, `intercept` (continuous), and
/// `singular` — a per-replicate score, 1 when the fit is singular (some diagonal θ < 10⁻⁴, lme4's
/// rule) and 0 otherwise, so its mean is the singular-fit rate. OLS identifies only the intercept.
public let crossedEffectsStudy = Study(
  name: "crossed-effects",
  aim: "crossed teacher × student random effects: REML vs ML variance components, and the intercept's SE against OLS",
  seed: 20_260_404,
  factors: [
    Factor("teachers", integers: [20, 50], help: "Number of teachers the classes are dealt to."),
    Factor("courses", integers: [3, 5], help: "Classes each of the 200 students takes."),
    Factor("teacher_var", reals: [0, 1], help: "The teacher variance σ²_teacher; 0 is the boundary case."),
  ],
  estimands: [
    EstimandSpec("teacher_var", .continuous, help: "σ²_teacher"),
    EstimandSpec("student_var", .continuous, help: "σ²_student (4)"),
    EstimandSpec("residual_var", .continuous, help: "σ² (9)"),
    EstimandSpec("intercept", .continuous, help: "β₀ (0)"),
    EstimandSpec("singular", .score, help: "1 if the fit is singular (a diagonal θ < 1e-4), else 0; mean = singular-fit rate"),
  ],
  columns: [
    TableColumn("teacher_var", "bias"), TableColumn("teacher_var", "rmse"),
    TableColumn("student_var", "bias"), TableColumn("student_var", "rmse"),
    TableColumn("residual_var", "bias"), TableColumn("residual_var", "rmse"),
    TableColumn("intercept", "coverage"), TableColumn("intercept", "model_se"), TableColumn("intercept", "emp_se"),
    TableColumn("singular", "mean", heading: "singular rate"),
  ],
  cost: { condition in Double((try? condition.int("courses")) ?? 1) },
  validate: { condition in
    let teachers = try condition.int("teachers")
    let courses = try condition.int("courses")
    let variance = try condition.double("teacher_var")
    guard teachers >= 2, courses >= 1, variance >= 0 else {
      throw StudyError.impossibleCondition(
        condition: condition.canonical, reason: "need at least 2 teachers, 1 course and a non-negative teacher_var")
    }
  },
  generate: { condition, rng in
    let teacherVariance = try condition.double("teacher_var")
    let dgp = CrossedEffects(
      students: 200, coursesPerStudent: try condition.int("courses"), teachers: try condition.int("teachers"),
      teacherVariance: teacherVariance)
    let model = try CrossedLMM(try dgp.draw(using: rng).design())
    return Draw(
      model,
      truth: [
        "teacher_var": teacherVariance, "student_var": dgp.studentVariance, "residual_var": dgp.residualVariance,
        "intercept": dgp.intercept,
      ])
  },
  methods: [
    StudyMethod<CrossedLMM>("reml", settings: "CrossedLMM, REML, default options") { model, _ in
      crossedEffectsOutput(try model.fit(reml: true))
    },
    StudyMethod<CrossedLMM>("ml", settings: "CrossedLMM, ML, default options") { model, _ in
      crossedEffectsOutput(try model.fit(reml: false))
    },
    StudyMethod<CrossedLMM>("ols", settings: "OLS of y on 1 ignoring the grouping, classical SE") { model, _ in
      try olsIgnoringGrouping(model.design)
    },
  ])

/// The study's estimates from a mixed-model fit.
func crossedEffectsOutput(_ fit: CrossedLMMFit) -> MethodOutput {
  func variance(_ factor: String) -> Estimate {
    let v = fit.varianceComponents.first { $0.factor == factor }?.variances[0] ?? .nan
    return Estimate(estimand: "\(factor)_var", value: v)
  }
  var intercept = fit.coefficients[0]
  intercept.estimand = "intercept"
  return MethodOutput(
    [
      variance("teacher"), variance("student"), Estimate(estimand: "residual_var", value: fit.residualVariance),
      intercept, Estimate(estimand: "singular", value: fit.isSingular ? 1 : 0),
    ], fit: fit.summary)
}

/// OLS of y on X ignoring the random effects: β̂ = argmin‖y − Xβ‖ (QR), classical covariance
/// s²(X'X)⁻¹ with s² = RSS/(n − p); only the intercept is an estimand it identifies.
func olsIgnoringGrouping(_ design: CrossedDesign) throws -> MethodOutput {
  let x = design.fixed
  let y = design.response
  let beta = try x.leastSquares(y)
  let fitted = x.multiplied(byVector: beta)
  let rss = zip(y, fitted).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
  let s2 = rss / Double(y.count - x.cols)
  let covariance = try Cholesky(x.gram()).inverse()
  return MethodOutput([
    .notIdentified("teacher_var"), .notIdentified("student_var"), .notIdentified("residual_var"),
    .wald("intercept", value: beta[0], se: (s2 * covariance[0, 0]).squareRoot()), .notIdentified("singular"),
  ])
}

extension CrossedEffectsSample {
  /// The sample as a long table: `y`, the covariates by name, and the factors `teacher`, `student`
  /// (and the third factor, if any) as numeric level codes.
  public var table: LongTable {
    get throws {
      var columns: [(String, LongTable.Column)] = [("y", .numeric(response))]
      for (j, name) in covariateNames.enumerated() { columns.append((name, .numeric(covariates.column(j)))) }
      columns.append(("teacher", .numeric(teacher.map(Double.init))))
      columns.append(("student", .numeric(student.map(Double.init))))
      if let g = third { columns.append((thirdName ?? "third", .numeric(g.map(Double.init)))) }
      return try LongTable(columns)
    }
  }

  /// The mixed model of this sample in lme4's syntax:
  /// `y ~ 1 + covariates + (1 [+ x₁] | teacher) + (1 | student) [+ (1 | third)]`, with a teacher
  /// slope on the first covariate when `teacherSlope` is true.
  public func formula(teacherSlope: Bool = false) -> String {
    let fixed = (["1"] + covariateNames.map { "`\($0)`" }).joined(separator: " + ")
    let teacherTerm = teacherSlope ? "(1 + `\(covariateNames[0])` | teacher)" : "(1 | teacher)"
    let third = third == nil ? "" : " + (1 | `\(thirdName ?? "third")`)"
    return "y ~ \(fixed) + \(teacherTerm) + (1 | student)\(third)"
  }

  /// The design of `formula(teacherSlope:)` on `table`.
  public func design(teacherSlope: Bool = false) throws -> CrossedDesign {
    try CrossedDesign(formula: ModelFormula(formula(teacherSlope: teacherSlope)), table: table)
  }
}
