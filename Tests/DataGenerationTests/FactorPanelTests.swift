import DataGeneration
import Foundation
import LinearAlgebra
import Testing
import TestSupport

@Suite struct FactorPanelTests {
  private func meanVar(_ x: [Double]) -> (Double, Double) {
    let m = x.reduce(0, +) / Double(x.count)
    return (m, x.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(x.count - 1))
  }

  /// Y − signal is the error: mean 0 and variance s² within 4 standard errors (SE of a sample
  /// variance of n normals ≈ s²√(2/n)); the signal is exactly FΛ' + μ without additive effects.
  @Test func gaussianDesignHasTheStatedParts() throws {
    let dgp = FactorPanel.baiNg(n: 200, t: 100, r: 3, theta: 2.25)
    let s = try dgp.draw(using: testStream("fp-gauss"))
    let e = (s.y - s.signal).elements
    let (m, v) = meanVar(e)
    let n = Double(e.count)
    #expect(abs(m) < 4 * (2.25 / n).squareRoot())
    #expect(abs(v - 2.25) < 4 * 2.25 * (2 / n).squareRoot())
    #expect(s.signal.maxAbsDifference(s.factors.multiplied(by: s.loadings, transposeOther: true)) == 0)
    let (lm, lv) = meanVar(s.loadings.elements)
    #expect(abs(lm) < 4 * (1 / 600.0).squareRoot() && abs(lv - 1) < 4 * (2 / 600.0).squareRoot())
  }

  @Test func smoothExampleMatchesThePackageExample() throws {
    let dgp = FactorPanel.smoothExample(n: 30, t: 41, r: 3)
    let s = try dgp.draw(using: testStream("fp-smooth"))
    for t in 0..<41 {
      let x = Double.pi * Double(t) / 40
      #expect(s.factors[t, 0] == sin(2.4 * x))
      #expect(s.factors[t, 1] == cos(1.8 * x))
      #expect(abs(s.factors[t, 2] - sin(3.6 * x)) < 1e-12)
    }
    // signal − FΛ' = α_i + 0.04t + 0.35 sin(t/5): differences across t are the same for every unit.
    let additive = s.signal - s.factors.multiplied(by: s.loadings, transposeOther: true)
    for i in 1..<30 {
      for t in 0..<41 {
        let xi = 0.04 * Double(t) + 0.35 * sin(Double(t) / 5)
        #expect(abs((additive[t, i] - xi) - (additive[0, i] - 0)) < 1e-12)
      }
    }
    let (_, sd2) = meanVar((s.y - s.signal).elements)
    #expect(abs(sd2 - 0.01) < 4 * 0.01 * (2 / 1230.0).squareRoot())
  }

  /// Bai (2009): X_k − (1 + FΛ' + Σλ_i + ΣF_t) is N(0, 1) noise, and the signal is μ + FΛ' + Σβ_k X_k.
  @Test func bai2009CovariatesFollowTheFormula() throws {
    let dgp = FactorPanel.bai2009(n: 80, t: 60)
    let s = try dgp.draw(using: testStream("fp-bai"))
    #expect(s.covariates.count == 2)
    let common = s.factors.multiplied(by: s.loadings, transposeOther: true)
    var eta: [Double] = []
    for x in s.covariates {
      for i in 0..<80 {
        for t in 0..<60 {
          eta.append(x[t, i] - 1 - common[t, i] - s.loadings[i, 0] - s.loadings[i, 1] - s.factors[t, 0] - s.factors[t, 1])
        }
      }
    }
    let (m, v) = meanVar(eta)
    let n = Double(eta.count)
    #expect(abs(m) < 4 / n.squareRoot() && abs(v - 1) < 4 * (2 / n).squareRoot())
    let expected = Matrix(rows: 60, cols: 80) { t, i in 5 + common[t, i] + s.covariates[0][t, i] + 3 * s.covariates[1][t, i] }
    #expect(s.signal.maxAbsDifference(expected) < 1e-12)
  }

  /// Bai & Ng heteroskedastic errors: variance 2s² in even periods and s² in odd ones.
  @Test func heteroskedasticErrorsAlternate() throws {
    let dgp = FactorPanel.baiNg(n: 400, t: 50, r: 1, theta: 1, errors: .heteroskedastic)
    let s = try dgp.draw(using: testStream("fp-het"))
    let e = s.y - s.signal
    let even = (0..<400).flatMap { i in stride(from: 0, to: 50, by: 2).map { e[$0, i] } }
    let odd = (0..<400).flatMap { i in stride(from: 1, to: 50, by: 2).map { e[$0, i] } }
    let n = Double(even.count)
    #expect(abs(meanVar(even).1 - 2) < 4 * 2 * (2 / n).squareRoot())
    #expect(abs(meanVar(odd).1 - 1) < 4 * (2 / n).squareRoot())
  }

  /// AR(ρ) with cross-sectional spill-over: for an interior unit far into the series the variance
  /// is s²(1 + 2J b²)/(1 − ρ²), J = max(N/20, 10); the lag-1 autocorrelation is ρ.
  @Test func correlatedErrorsHaveTheirStationaryVariance() throws {
    let rho = 0.5
    let b = 0.1
    let dgp = FactorPanel.baiNg(n: 200, t: 60, r: 1, theta: 1, errors: .correlated(rho: rho, b: b))
    var late: [Double] = []
    var pairs: [(Double, Double)] = []
    for rep in 0..<5 {
      let s = try dgp.draw(using: testStream("fp-corr", rep))
      let e = s.y - s.signal
      for i in 20..<180 {
        for t in 30..<60 {
          late.append(e[t, i])
          pairs.append((e[t, i], e[t - 1, i]))
        }
      }
    }
    let expected = (1 + 2 * 10 * b * b) / (1 - rho * rho)
    let v = meanVar(late).1
    // Observations are dependent (AR and shared neighbours), so allow a wider 10% band (the
    // effective sample is still > 10⁴; 10% is > 8 effective standard errors).
    #expect(abs(v / expected - 1) < 0.1)
    let r1 = pairs.map { $0.0 * $0.1 }.reduce(0, +) / Double(pairs.count) / expected
    #expect(abs(r1 - rho) < 0.05)
  }

  @Test func sameStreamSamePanel() throws {
    let dgp = FactorPanel.smoothExample()
    #expect(try dgp.draw(using: testStream("fp-rep")).y == (try dgp.draw(using: testStream("fp-rep")).y))
  }

  @Test(arguments: [
    (FactorPanel.smoothExample(n: 10, t: 5, r: 5), "r = 5 must be below min(N, T) = 5"),
    (FactorPanel.smoothExample(n: 1, t: 5, r: 0), "N ≥ 2"),
    (FactorPanel.smoothExample(n: 10, t: 10, r: 1, noiseSD: -1), "noise sd"),
  ])
  func impossibleDesignsAreRefused(_ dgp: FactorPanel, _ message: String) {
    #expect(throws: DesignError.self) { try dgp.validate() }
    do { try dgp.validate() } catch { #expect(error.message.contains(message)) }
  }
}
