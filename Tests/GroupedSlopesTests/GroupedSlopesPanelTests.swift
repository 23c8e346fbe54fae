import DataGeneration
import LinearAlgebra
import RandomStreams
import Testing
import TestSupport

@Suite struct GroupedSlopesPanelTests {
  /// SSP (2016) DGP 1: α = (0.4, 1.6), (1, 1), (1.6, 0.4); the p = 4 variant appends the negatives.
  @Test func publishedSlopesAtSeparationPointSix() throws {
    let two = try GroupedSlopesPanel(units: 10, periods: 5).slopes
    let expected2: [[Double]] = [[0.4, 1.6], [1, 1], [1.6, 0.4]]
    let four = try GroupedSlopesPanel(units: 10, periods: 5, regressors: 4).slopes
    let expected4: [[Double]] = [[0.4, 1.6, -0.4, -1.6], [1, 1, -1, -1], [1.6, 0.4, -1.6, -0.4]]
    for (a, b) in zip(two.flatMap { $0 } + four.flatMap { $0 }, expected2.flatMap { $0 } + expected4.flatMap { $0 }) {
      #expect(abs(a - b) < 1e-15)
    }
    // The knob: C = 0.2 gives (0.8, 1.2), (1, 1), (1.2, 0.8).
    let c = try GroupedSlopesPanel(units: 10, periods: 5, separation: 0.2).slopes
    #expect(abs(c[0][0] - 0.8) < 1e-15 && abs(c[2][1] - 0.8) < 1e-15 && c[1] == [1, 1])
  }

  @Test func groupSizesFollowTheShares() throws {
    let sample = try GroupedSlopesPanel(units: 100, periods: 4).draw(using: testStream("sizes"))
    #expect(sample.groupSizes == [30, 30, 40])
    // Largest remainders: 7·(0.3, 0.3, 0.4) = (2.1, 2.1, 2.8) → (2, 2, 3).
    #expect(try GroupedSlopesPanel(units: 7, periods: 4).groupSizes == [2, 2, 3])
    #expect(try GroupedSlopesPanel(units: 9, periods: 4, groups: 2, shares: [0.5, 0.5]).groupSizes.reduce(0, +) == 9)
    // Membership is random in i: two keys give different assignments with the same sizes.
    let other = try GroupedSlopesPanel(units: 100, periods: 4).draw(using: testStream("sizes", 1))
    #expect(other.groupSizes == [30, 30, 40] && other.group != sample.group)
  }

  @Test func sameKeySameDraw() throws {
    let dgp = try GroupedSlopesPanel(preset: .suJu, units: 12, periods: 6)
    let a = try dgp.draw(using: testStream("repeat"))
    let b = try dgp.draw(using: testStream("repeat"))
    #expect(a.y == b.y && a.x == b.x && a.group == b.group && a.factors == b.factors)
  }

  @Test func impossibleDesignsAreRejected() {
    #expect(throws: DesignError.self) { try GroupedSlopesPanel(units: 10, periods: 5, regressors: 3) }
    #expect(throws: DesignError.self) { try GroupedSlopesPanel(units: 10, periods: 5, shares: [0.5, 0.6, -0.1]) }
    #expect(throws: DesignError.self) { try GroupedSlopesPanel(preset: .sspStatic, units: 10, periods: 5, factors: 1) }
    #expect(throws: DesignError.self) { try GroupedSlopesPanel(preset: .suJu, units: 10, periods: 3, factors: 3) }
  }

  /// y − α_g'x − μ_i = ε ~ N(0, σ²) and x_k − 0.2μ_i (k ≤ 2), x_k − 0.3μ_i (k > 2) ~ N(0, 1).
  /// With n = N·T = 10⁴ draws the sample mean has SE 1/√n = 0.01 and the sample variance of
  /// N(0, s²) has SE s²√(2/n) ≈ 0.014·s²; tolerances are 4.5 SEs.
  @Test func sspStaticStructure() throws {
    let sd = 0.5
    let s = try GroupedSlopesPanel(units: 100, periods: 100, regressors: 4, errorSD: sd).draw(using: testStream("ssp"))
    var errors: [Double] = []
    var noise: [Double] = []
    for i in 0..<s.units {
      let a = s.slopes[s.group[i]]
      for t in 0..<s.periods {
        var e = s.y[t, i] - s.fixedEffects[i]
        for k in 0..<4 {
          let x = s.x[t, i * 4 + k]
          e -= a[k] * x
          noise.append(x - (k < 2 ? 0.2 : 0.3) * s.fixedEffects[i])
        }
        errors.append(e)
      }
    }
    checkNormal(errors, sd: sd)
    checkNormal(Array(noise[0..<10_000]), sd: 1)
    #expect(s.factors.cols == 0)
  }

  /// su-ju: x_k − 1 − λ_i'F_t ~ N(0, 1), y − α_g'x − λ_i'F_t ~ N(0, σ²); F and Λ are N(0, 1).
  @Test func suJuStructure() throws {
    let s = try GroupedSlopesPanel(preset: .suJu, units: 100, periods: 100).draw(using: testStream("suju"))
    #expect(s.factors.rows == 100 && s.factors.cols == 2 && s.loadings.rows == 100 && s.fixedEffects.allSatisfy { $0 == 0 })
    var errors: [Double] = []
    var noise: [Double] = []
    for i in 0..<s.units {
      let a = s.slopes[s.group[i]]
      for t in 0..<s.periods {
        let common = s.loadings[i, 0] * s.factors[t, 0] + s.loadings[i, 1] * s.factors[t, 1]
        var e = s.y[t, i] - common
        for k in 0..<2 {
          let x = s.x[t, i * 2 + k]
          e -= a[k] * x
          noise.append(x - 1 - common)
        }
        errors.append(e)
      }
    }
    checkNormal(errors, sd: 1)
    checkNormal(Array(noise[0..<10_000]), sd: 1)
    checkNormal(s.loadings.elements + s.factors.elements, sd: 1, tolerance: 4.5 / 20)  // n = 400: SE 0.05
  }

  private func checkNormal(_ v: [Double], sd: Double, tolerance: Double = 0.045) {
    let n = Double(v.count)
    let mean = v.reduce(0, +) / n
    let variance = v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)
    #expect(abs(mean) < tolerance * sd)
    #expect(abs(variance / (sd * sd) - 1) < 1.5 * tolerance)
  }
}
