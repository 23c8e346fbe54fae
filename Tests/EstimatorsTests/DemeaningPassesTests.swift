import Estimators
import Foundation
import LinearAlgebra
import Testing
import TestSupport

/// The fused demeaning is bit-identical to one sequential pass per effect (the previous code).
@Suite struct DemeaningPassesTests {
  private func sequential(_ y: Matrix, _ force: AdditiveEffects) -> (e: [Double], mu: Double, alpha: [Double], xi: [Double]) {
    let t = y.rows, n = y.cols
    var e = y.elements
    var alpha = [Double](repeating: 0, count: n)
    var xi = [Double](repeating: 0, count: t)
    var s = 0.0
    for k in 0..<(n * t) { s += e[k] }
    let grand = s / Double(n * t)
    for k in 0..<(n * t) { e[k] -= grand }
    if force.removesUnitEffects {
      for i in 0..<n {
        var si = 0.0
        for p in 0..<t { si += e[i * t + p] }
        alpha[i] = si / Double(t)
        for p in 0..<t { e[i * t + p] -= alpha[i] }
      }
    }
    if force.removesPeriodEffects {
      for i in 0..<n { for p in 0..<t { xi[p] += e[i * t + p] } }
      for p in 0..<t { xi[p] *= 1 / Double(n) }
      for i in 0..<n { for p in 0..<t { e[i * t + p] -= xi[p] } }
    }
    return (e, grand, alpha, xi)
  }

  @Test(arguments: AdditiveEffects.allCases)
  func fusedDemeaningIsBitIdentical(force: AdditiveEffects) throws {
    for (t, n) in [(12, 31), (31, 12), (25, 25)] {
      var y = randomMatrix(t, n, testStream("demean-\(force)", t))
      for k in y.elements.indices { y.elements[k] = 3 + 2 * y.elements[k] + Double(k % 7) }
      let s = try PanelSpectrum(panel: y, force: force, kmax: 2)
      let r = sequential(y, force)
      #expect(s.demeaned.elements == r.e)
      #expect(s.mu == r.mu && s.alpha == r.alpha && s.xi == r.xi)
    }
  }
}
