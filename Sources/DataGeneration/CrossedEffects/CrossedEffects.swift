import Foundation
import LinearAlgebra
import RandomStreams

/// Students × teachers with crossed (not nested) random effects (Docs/CrossedEffects.md §1):
///
///   y_i = β₀ + x_i'β + u_{t(i)} + v_{s(i)} [+ w_{g(i)}] [+ x_{i1}·a_{t(i)}] + ε_i,
///   u_t ~ N(0, σ²_teacher), v_s ~ N(0, σ²_student), w_g ~ N(0, σ²_third), ε_i ~ N(0, σ²),
///
/// where observation i is one class a student s(i) takes from a teacher t(i) assigned at random.
/// Covariates x ~ N(0, 1) iid. With a random slope, (u_t, a_t) is bivariate normal with the given
/// slope variance and intercept–slope correlation.
///
/// **Assignment.** Balanced (default): every student takes `coursesPerStudent` classes and the
/// n = students × coursesPerStudent classes are dealt to teachers as a shuffled deck in which each
/// teacher appears ⌊n/T⌋ or ⌈n/T⌉ times, so each teacher teaches n/T classes (a student may meet
/// the same teacher twice, as in the statsmodels example). Unbalanced: students' class counts and
/// teachers' loads are drawn with log-normal(0, 0.75²) popularity weights (each student and teacher
/// at least one class when there are enough classes), totalling `observations` rows when given,
/// otherwise students × coursesPerStudent.
///
/// **Presets.** `statsmodels` (the default): 200 students × 5 courses, 50 teachers, σ²_teacher = 1,
/// σ²_student = 4, σ² = 9, intercept only (β₀ = 0). `instEvalShaped`: the size of lme4's InstEval
/// data — 73 421 rows, 2 972 students, 1 128 teachers, 14 departments as a third factor assigned per
/// teacher, one covariate — with variances of InstEval's magnitude.
public struct CrossedEffects: DataGeneratingProcess {
  /// A fixed-effect covariate x ~ N(0, 1) with coefficient β.
  public struct Covariate: Sendable, Equatable {
    public var name: String
    public var coefficient: Double
    public init(_ name: String, coefficient: Double) {
      self.name = name
      self.coefficient = coefficient
    }
  }

  /// How the levels of the third factor are assigned.
  public enum ThirdFactorAssignment: String, Sendable { case perStudent, perTeacher, perObservation }

  /// A third crossed grouping factor (e.g. school or department) with its own variance.
  public struct ThirdFactor: Sendable, Equatable {
    public var name: String
    public var levels: Int
    public var variance: Double
    public var assignment: ThirdFactorAssignment
    public init(_ name: String, levels: Int, variance: Double, assignment: ThirdFactorAssignment) {
      self.name = name
      self.levels = levels
      self.variance = variance
      self.assignment = assignment
    }
  }

  /// A teacher-level random slope on the first covariate, correlated with the teacher intercept.
  public struct RandomSlope: Sendable, Equatable {
    public var variance: Double
    public var correlation: Double
    public init(variance: Double, correlation: Double) {
      self.variance = variance
      self.correlation = correlation
    }
  }

  public var students: Int
  public var coursesPerStudent: Int
  public var teachers: Int
  public var teacherVariance: Double
  public var studentVariance: Double
  public var residualVariance: Double
  public var intercept: Double
  public var covariates: [Covariate]
  public var unbalanced: Bool
  /// Total rows for an unbalanced design (nil: students × coursesPerStudent); when set,
  /// `coursesPerStudent` is not used.
  public var observations: Int?
  public var thirdFactor: ThirdFactor?
  public var teacherSlope: RandomSlope?

  public init(
    students: Int = 200, coursesPerStudent: Int = 5, teachers: Int = 50, teacherVariance: Double = 1,
    studentVariance: Double = 4, residualVariance: Double = 9, intercept: Double = 0, covariates: [Covariate] = [],
    unbalanced: Bool = false, observations: Int? = nil, thirdFactor: ThirdFactor? = nil, teacherSlope: RandomSlope? = nil
  ) {
    self.students = students
    self.coursesPerStudent = coursesPerStudent
    self.teachers = teachers
    self.teacherVariance = teacherVariance
    self.studentVariance = studentVariance
    self.residualVariance = residualVariance
    self.intercept = intercept
    self.covariates = covariates
    self.unbalanced = unbalanced
    self.observations = observations
    self.thirdFactor = thirdFactor
    self.teacherSlope = teacherSlope
  }

  /// The statsmodels crossed-effects example (the default).
  public static let statsmodels = CrossedEffects()

  /// An InstEval-sized design (lme4's InstEval: 73 421 ratings of 1 128 lecturers by 2 972
  /// students in 14 departments; one covariate standing in for `service`).
  public static let instEvalShaped = CrossedEffects(
    students: 2972, coursesPerStudent: 25, teachers: 1128, teacherVariance: 0.26, studentVariance: 0.1,
    residualVariance: 1.4, intercept: 3.2, covariates: [Covariate("service", coefficient: -0.07)], unbalanced: true,
    observations: 73_421, thirdFactor: ThirdFactor("dept", levels: 14, variance: 0.01, assignment: .perTeacher))

  /// Rows this design draws.
  public var rowCount: Int { observations ?? students * coursesPerStudent }

  /// Throws `DesignError` for an impossible design.
  public func validate() throws(DesignError) {
    guard students >= 1, teachers >= 1, coursesPerStudent >= 1 else {
      throw DesignError("need at least one student, one teacher and one course per student")
    }
    guard [teacherVariance, studentVariance, residualVariance].allSatisfy({ $0 >= 0 && $0.isFinite }) else {
      throw DesignError("variances must be finite and non-negative")
    }
    if let o = observations, o < 1 { throw DesignError("the number of observations must be positive") }
    if observations != nil && !unbalanced { throw DesignError("a total number of observations needs an unbalanced design") }
    if let g = thirdFactor, g.levels < 1 || !(g.variance >= 0) {
      throw DesignError("the third factor needs at least one level and a non-negative variance")
    }
    if let s = teacherSlope {
      guard !covariates.isEmpty else { throw DesignError("a random slope needs at least one covariate") }
      guard s.variance >= 0, abs(s.correlation) <= 1 else {
        throw DesignError("the slope variance must be non-negative and the correlation in [−1, 1]")
      }
    }
  }

  public func draw(using rng: RandomStream) throws -> CrossedEffectsSample {
    try validate()
    let n = rowCount
    // Who takes which class from whom.
    var student = [Int](repeating: 0, count: n)
    var teacher = [Int](repeating: 0, count: n)
    if unbalanced {
      student = Self.allocate(n, among: students, rng)
      teacher = Self.allocate(n, among: teachers, rng)
    } else {
      for i in 0..<n { student[i] = i / coursesPerStudent }
      for i in 0..<n { teacher[i] = i % teachers }
      rng.shuffle(&teacher)
    }
    // Effects.
    let sdT = teacherVariance.squareRoot()
    var teacherEffects = [Double](repeating: 0, count: teachers)
    var teacherSlopes: [Double]? = nil
    if let slope = teacherSlope {
      var slopes = [Double](repeating: 0, count: teachers)
      let sdA = slope.variance.squareRoot()
      let r = slope.correlation
      for t in 0..<teachers {
        let z1 = rng.normal()
        let z2 = rng.normal()
        teacherEffects[t] = sdT * z1
        slopes[t] = sdA * (r * z1 + (1 - r * r).squareRoot() * z2)
      }
      teacherSlopes = slopes
    } else {
      teacherEffects = rng.normals(teachers, sd: sdT)
    }
    let studentEffects = rng.normals(students, sd: studentVariance.squareRoot())
    var third: [Int]? = nil
    var thirdEffects: [Double]? = nil
    if let g = thirdFactor {
      let perUnit: (Int) -> [Int] = { count in (0..<count).map { _ in rng.uniformInt(g.levels) } }
      switch g.assignment {
      case .perStudent:
        let of = perUnit(students)
        third = student.map { of[$0] }
      case .perTeacher:
        let of = perUnit(teachers)
        third = teacher.map { of[$0] }
      case .perObservation:
        third = perUnit(n)
      }
      thirdEffects = rng.normals(g.levels, sd: g.variance.squareRoot())
    }
    var x = Matrix(rows: n, cols: covariates.count)
    for j in 0..<covariates.count { x.setColumn(j, rng.normals(n)) }
    let noise = rng.normals(n, sd: residualVariance.squareRoot())
    var y = [Double](repeating: intercept, count: n)
    for i in 0..<n {
      for j in 0..<covariates.count { y[i] += covariates[j].coefficient * x[i, j] }
      y[i] += teacherEffects[teacher[i]] + studentEffects[student[i]] + noise[i]
      if let a = teacherSlopes { y[i] += a[teacher[i]] * x[i, 0] }
      if let g = third, let w = thirdEffects { y[i] += w[g[i]] }
    }
    return CrossedEffectsSample(
      response: y, covariateNames: covariates.map(\.name), covariates: x, student: student, teacher: teacher,
      third: third, thirdName: thirdFactor?.name, students: students, teachers: teachers,
      thirdLevels: thirdFactor?.levels ?? 0, teacherEffects: teacherEffects, teacherSlopes: teacherSlopes,
      studentEffects: studentEffects, thirdEffects: thirdEffects, noise: noise)
  }

  /// Assigns n rows to `units` with log-normal(0, 0.75²) weights: every unit gets one row first when
  /// n ≥ units, the rest by inverse-CDF draws on the cumulative weights (O(n log units)); then the
  /// rows are shuffled so units are not in blocks.
  static func allocate(_ n: Int, among units: Int, _ rng: RandomStream) -> [Int] {
    var weights = (0..<units).map { _ in exp(0.75 * rng.normal()) }
    for k in 1..<max(units, 1) { weights[k] += weights[k - 1] }
    let total = weights[units - 1]
    var out: [Int] = n >= units ? Array(0..<units) : []
    out.reserveCapacity(n)
    while out.count < n {
      let u = rng.uniform() * total
      var lo = 0
      var hi = units - 1
      while lo < hi {
        let mid = (lo + hi) / 2
        if weights[mid] > u { hi = mid } else { lo = mid + 1 }
      }
      out.append(lo)
    }
    rng.shuffle(&out)
    return out
  }
}

/// One draw of `CrossedEffects`: the long table's columns and the realised effects.
public struct CrossedEffectsSample: Sendable {
  public let response: [Double]
  public let covariateNames: [String]
  /// n×K covariates.
  public let covariates: Matrix
  /// Level codes per row (0-based).
  public let student: [Int]
  public let teacher: [Int]
  public let third: [Int]?
  public let thirdName: String?
  public let students: Int
  public let teachers: Int
  public let thirdLevels: Int
  /// The realised effects and noise (for checks; y is their sum plus the fixed part).
  public let teacherEffects: [Double]
  public let teacherSlopes: [Double]?
  public let studentEffects: [Double]
  public let thirdEffects: [Double]?
  public let noise: [Double]

  public var rowCount: Int { response.count }
}
