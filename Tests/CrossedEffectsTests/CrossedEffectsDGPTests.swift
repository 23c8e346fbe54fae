import Foundation
import Testing
import DataGeneration
import LinearAlgebra
import TestSupport

@Suite struct CrossedEffectsDGPTests {
  func variance(_ v: [Double]) -> Double {
    let m = v.reduce(0, +) / Double(v.count)
    return v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(v.count - 1)
  }

  /// The statsmodels preset: 200 students × 5 classes, 50 teachers each teaching exactly 20, and
  /// y = β₀ + u_teacher + v_student + ε row by row.
  @Test func defaultPresetIsBalancedAndAdditive() throws {
    let s = try CrossedEffects.statsmodels.draw(using: testStream("dgp default"))
    #expect(s.rowCount == 1000)
    var load = [Int](repeating: 0, count: 50)
    for t in s.teacher { load[t] += 1 }
    #expect(load.allSatisfy { $0 == 20 })
    var courses = [Int](repeating: 0, count: 200)
    for st in s.student { courses[st] += 1 }
    #expect(courses.allSatisfy { $0 == 5 })
    for i in 0..<s.rowCount {
      let parts = s.teacherEffects[s.teacher[i]] + s.studentEffects[s.student[i]] + s.noise[i]
      #expect(abs(s.response[i] - parts) <= 1e-12)
    }
  }

  /// Sample moments against the variance components. The sample variance of k iid N(0, σ²) draws
  /// has sd σ²√(2/(k−1)); each check allows 4 such sds. var(y) = σ²_t + σ²_s + σ² (= 14 here) is
  /// checked within 4 × (the sum of the three components' sds), a conservative bound.
  @Test func sampleMomentsMatchVarianceComponents() throws {
    let dgp = CrossedEffects(students: 4000, coursesPerStudent: 5, teachers: 2000)
    let s = try dgp.draw(using: testStream("dgp moments"))
    func check(_ v: [Double], _ sigma2: Double) {
      let sd = sigma2 * (2 / Double(v.count - 1)).squareRoot()
      #expect(abs(variance(v) - sigma2) <= 4 * sd, "\(variance(v)) vs \(sigma2)")
      #expect(abs(v.reduce(0, +) / Double(v.count)) <= 4 * (sigma2 / Double(v.count)).squareRoot())
    }
    check(s.teacherEffects, 1)
    check(s.studentEffects, 4)
    check(s.noise, 9)
    let sds: [Double] = [1 * (2.0 / 1999).squareRoot(), 4 * (2.0 / 3999).squareRoot(), 9 * (2.0 / 19999).squareRoot()]
    let bound = 4 * sds.reduce(0, +)
    #expect(abs(variance(s.response) - 14) <= bound)
  }

  /// Teacher slopes: realised slope variance and intercept–slope correlation (sd of a sample
  /// correlation ≈ (1 − ρ²)/√k); covariates and β enter y exactly.
  @Test func randomSlopeAndCovariates() throws {
    let dgp = CrossedEffects(
      students: 500, coursesPerStudent: 4, teachers: 2000, intercept: 1.5,
      covariates: [.init("hours", coefficient: 0.8), .init("prior", coefficient: -0.3)],
      teacherSlope: .init(variance: 0.5, correlation: 0.4))
    let s = try dgp.draw(using: testStream("dgp slopes"))
    let a = try #require(s.teacherSlopes)
    #expect(abs(variance(a) - 0.5) <= 4 * 0.5 * (2.0 / 1999).squareRoot())
    let u = s.teacherEffects
    let mu = u.reduce(0, +) / 2000
    let ma = a.reduce(0, +) / 2000
    let cov = zip(u, a).reduce(0) { $0 + ($1.0 - mu) * ($1.1 - ma) } / 1999
    let corr = cov / (variance(u) * variance(a)).squareRoot()
    #expect(abs(corr - 0.4) <= 4 * (1 - 0.16) / 2000.0.squareRoot())
    #expect(s.covariateNames == ["hours", "prior"])
    for i in 0..<s.rowCount {
      let t = s.teacher[i]
      let expected =
        1.5 + 0.8 * s.covariates[i, 0] - 0.3 * s.covariates[i, 1] + u[t] + a[t] * s.covariates[i, 0]
        + s.studentEffects[s.student[i]] + s.noise[i]
      #expect(abs(s.response[i] - expected) <= 1e-12)
    }
  }

  /// The InstEval-shaped preset: 73 421 rows, every one of 2 972 students and 1 128 teachers used,
  /// 14 departments assigned per teacher.
  @Test func instEvalShapedPreset() throws {
    let s = try CrossedEffects.instEvalShaped.draw(using: testStream("dgp insteval"))
    #expect(s.rowCount == 73_421)
    #expect(Set(s.student).count == 2972)
    #expect(Set(s.teacher).count == 1128)
    let dept = try #require(s.third)
    #expect(s.thirdName == "dept" && s.thirdLevels == 14)
    var deptOf = [Int](repeating: -1, count: 1128)
    for i in 0..<s.rowCount {
      if deptOf[s.teacher[i]] < 0 { deptOf[s.teacher[i]] = dept[i] }
      #expect(deptOf[s.teacher[i]] == dept[i])
    }
    #expect(dept.allSatisfy { $0 >= 0 && $0 < 14 })
  }

  @Test func drawsAreReproducibleFromTheStreamKey() throws {
    let a = try CrossedEffects.statsmodels.draw(using: testStream("dgp repeat"))
    let b = try CrossedEffects.statsmodels.draw(using: testStream("dgp repeat"))
    let c = try CrossedEffects.statsmodels.draw(using: testStream("dgp repeat", 1))
    #expect(a.response == b.response && a.teacher == b.teacher)
    #expect(a.response != c.response)
  }

  @Test func impossibleDesignsThrow() {
    #expect(throws: DesignError.self) { try CrossedEffects(teachers: 0).draw(using: testStream("bad")) }
    #expect(throws: DesignError.self) { try CrossedEffects(teacherVariance: -1).draw(using: testStream("bad")) }
    #expect(throws: DesignError.self) {
      try CrossedEffects(teacherSlope: .init(variance: 1, correlation: 0)).draw(using: testStream("bad"))
    }
    #expect(throws: DesignError.self) { try CrossedEffects(observations: 10).draw(using: testStream("bad")) }
  }
}
