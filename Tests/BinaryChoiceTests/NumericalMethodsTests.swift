import Foundation
import LinearAlgebra
import NumericalMethods
import Testing
import TestSupport

@Suite struct GaussHermiteTests {
  /// ∫ t^{2m} e^{−t²} dt = Γ(m + ½), and the n-point rule is exact for degree ≤ 2n − 1.
  @Test(arguments: [1, 2, 3, 7, 20])
  func integratesEvenMomentsExactly(order: Int) throws {
    let rule = try GaussHermiteRule(order: order)
    #expect(rule.order == order)
    for m in 0..<order {  // degree 2m ≤ 2n − 2
      let quadrature = zip(rule.nodes, rule.weights).reduce(0.0) { $0 + $1.1 * pow($1.0, Double(2 * m)) }
      #expect(close(quadrature, tgamma(Double(m) + 0.5), 1e-12))
    }
    let odd = zip(rule.nodes, rule.weights).reduce(0.0) { $0 + $1.1 * pow($1.0, 3) }
    #expect(abs(odd) < 1e-12)
    #expect(rule.nodes == rule.nodes.sorted())
  }

  /// The one-point rule is t = 0 with weight √π: adaptive quadrature with it is Laplace.
  @Test func onePointRuleIsTheLaplaceRule() throws {
    let rule = try GaussHermiteRule(order: 1)
    #expect(abs(rule.nodes[0]) < 1e-15)
    #expect(close(rule.weights[0], Double.pi.squareRoot(), 1e-15))
  }

  @Test func rejectsImpossibleOrders() {
    #expect(throws: QuadratureError.invalidOrder(0)) { try GaussHermiteRule(order: 0) }
    #expect(throws: QuadratureError.invalidOrder(101)) { try GaussHermiteRule(order: 101) }
  }
}

@Suite struct QuasiNewtonTests {
  /// Rosenbrock's function has its unique minimum 0 at (1, 1).
  @Test func minimisesRosenbrock() {
    let result = QuasiNewton.minimise(start: [-1.2, 1], options: QuasiNewtonOptions(relativeTolerance: 1e-16)) {
      (x: [Double], g: inout [Double]) -> Double in
      let a = x[1] - x[0] * x[0]
      let b = 1 - x[0]
      g[0] = -400 * x[0] * a - 2 * b
      g[1] = 200 * a
      return 100 * a * a + b * b
    }
    #expect(result.converged)
    #expect(abs(result.minimiser[0] - 1) < 1e-6 && abs(result.minimiser[1] - 1) < 1e-6)
  }

  /// Hitting the iteration cap is reported, not silent.
  @Test func reportsTheIterationCap() {
    let result = QuasiNewton.minimise(start: [-1.2, 1], options: QuasiNewtonOptions(maxIterations: 3)) {
      (x: [Double], g: inout [Double]) -> Double in
      let a = x[1] - x[0] * x[0]
      g[0] = -400 * x[0] * a - 2 * (1 - x[0])
      g[1] = 200 * a
      return 100 * a * a + (1 - x[0]) * (1 - x[0])
    }
    #expect(!result.converged)
    #expect(result.iterations == 3)
    #expect(result.message.contains("cap"))
  }

  /// f = exp(x₀) + x₀²x₁ + x₁⁴ has Hessian [[e^{x₀} + 2x₁, 2x₀], [2x₀, 12x₁²]].
  @Test func numericalHessianMatchesTheAnalyticOne() {
    let x = [0.3, -1.7]
    let h = NumericalDerivatives.hessian(at: x) { (p: [Double]) -> [Double] in
      [exp(p[0]) + 2 * p[0] * p[1], p[0] * p[0] + 4 * pow(p[1], 3)]
    }
    let exact = Matrix([[exp(0.3) + 2 * -1.7, 0.6], [0.6, 12 * 1.7 * 1.7]])
    #expect(h.maxAbsDifference(exact) < 1e-8)
  }
}

/// χ²₂ has survival function exp(−x/2) exactly; the 95 % point of χ²₉ is 16.919 (any χ² table,
/// e.g. NIST/SEMATECH e-Handbook §1.3.6.7.4, to the 3 decimals printed there).
@Test func chiSquaredMatchesClosedFormAndTable() {
  for x in [0.1, 1.0, 3.7, 12.0] {
    #expect(abs(ChiSquared.survival(x, degreesOfFreedom: 2) - exp(-x / 2)) < 1e-14)
    #expect(abs(ChiSquared.cdf(x, degreesOfFreedom: 2) - (1 - exp(-x / 2))) < 1e-14)
  }
  #expect(abs(ChiSquared.survival(16.919, degreesOfFreedom: 9) - 0.05) < 2e-5)
}
