import DataGeneration
import Estimators
import Foundation
import LinearAlgebra
import NumericalMethods
import Testing
import TestSupport

/// log Σ exp(terms), for brute-force integrals on a grid.
func logSumExp(_ terms: [Double]) -> Double {
  let m = terms.max()!
  return m + log(terms.reduce(0) { $0 + exp($1 - m) })
}

/// log p(y | e) for a logit: y e − log(1 + e^e).
func logBernoulli(_ y: Double, _ e: Double) -> Double {
  y * e - (e > 0 ? e + log1p(exp(-e)) : log1p(exp(e)))
}

func draw(_ design: ConfoundedLogit, _ name: String) throws -> GroupedBinaryData {
  let s = try design.draw(using: testStream(name))
  return try GroupedBinaryData(y: s.y, x: s.x, group: s.group, z: s.z)
}

/// Central-difference Hessian of a scalar function from function values only (a different route
/// from the library's differences of analytic gradients), step h.
func valueHessian(_ f: ([Double]) throws -> Double, at x: [Double], h: Double) rethrows -> [[Double]] {
  let p = x.count
  var out = [[Double]](repeating: [Double](repeating: 0, count: p), count: p)
  func at(_ i: Int, _ di: Double, _ j: Int, _ dj: Double) throws -> Double {
    var y = x
    y[i] += di
    y[j] += dj
    return try f(y)
  }
  for i in 0..<p {
    for j in i..<p {
      let v = try (at(i, h, j, h) - at(i, h, j, -h) - at(i, -h, j, h) + at(i, -h, j, -h)) / (4 * h * h)
      out[i][j] = v
      out[j][i] = v
    }
  }
  return out
}

@Suite struct RandomInterceptLogitTests {
  /// Five groups of eight individuals from the design of Docs/BinaryChoice.md §1.
  static let data = try! draw(ConfoundedLogit(groups: 5, individuals: 40, groupSizes: .equal), "ri-tiny")
  static let theta = [-1.5, 0.4, 0.8, 1.3]  // (Intercept), x, z, τ

  /// Σ_g log ∫ Π_j p(y_j | η_j + τb) φ(b) db by Simpson's rule on b ∈ [−12, 12] with 8000
  /// intervals (h = 0.003; the integrand is analytic with width ≈ 0.5, so the error is far below 1e-12).
  static func bruteForce(_ theta: [Double]) -> Double {
    let d = data
    let steps = 8000
    let h = 24.0 / Double(steps)
    var total = 0.0
    for g in 0..<d.groupCount {
      var logTerms: [Double] = []
      for i in 0...steps {
        let b = -12 + Double(i) * h
        var l = -b * b / 2 - 0.5 * log(2 * Double.pi)
        for j in d.range(g) {
          l += logBernoulli(d.y[j], theta[0] + theta[1] * d.x[j] + theta[2] * d.z[g] + theta[3] * b)
        }
        let simpson = (i == 0 || i == steps) ? 1.0 : (i % 2 == 1 ? 4.0 : 2.0)
        logTerms.append(l + log(simpson * h / 3))
      }
      total += logSumExp(logTerms)
    }
    return total
  }

  @Test func quadratureConvergesToTheBruteForceIntegral() throws {
    let exact = Self.bruteForce(Self.theta)
    var values: [Int: Double] = [:]
    let orders = [1, 5, 10, 15, 25, 40]
    for nodes in orders {
      let model = RandomInterceptLogit(integration: .adaptiveGaussHermite(nodes: nodes))
      values[nodes] = try model.logLikelihood(Self.data, parameters: Self.theta)
    }
    let errors = orders.map { abs(values[$0]! - exact) }
    let laplace = try RandomInterceptLogit(integration: .laplace).logLikelihood(Self.data, parameters: Self.theta)
    // One adaptive node is the Laplace approximation (GSL's 1-point rule vs the closed form).
    #expect(abs(laplace - values[1]!) < 1e-12)
    // Most of these groups of eight have no ones, a skewed integrand: Laplace is visibly off, and
    // from 5 nodes on the error falls steadily to the brute force's own accuracy.
    #expect(errors[0] > 1e-3)
    for i in 2..<orders.count { #expect(errors[i] < errors[i - 1]) }
    #expect(errors[4] < 1e-8)
    #expect(errors[5] < 1e-11)
  }

  @Test func oneAdaptiveNodeEqualsLaplace() throws {
    for theta in [Self.theta, [0.3, -0.7, 1.1, 0.2], [-2, 0.1, 0.5, -2.4]] {
      let laplace = try RandomInterceptLogit(integration: .laplace).logLikelihood(Self.data, parameters: theta)
      let agq1 = try RandomInterceptLogit(integration: .adaptiveGaussHermite(nodes: 1))
        .logLikelihood(Self.data, parameters: theta)
      #expect(abs(laplace - agq1) < 1e-12)
    }
  }

  /// The fit is a maximum of the public likelihood (zero slope in SE units), and its standard
  /// errors equal those from a function-value Hessian of that likelihood computed here.
  @Test(arguments: [false, true])
  func fitMaximisesTheLikelihoodAndItsSEsMatchAValueHessian(mundlak: Bool) throws {
    let data = try draw(ConfoundedLogit(groups: 12, individuals: 360), "ri-fit")
    let model = RandomInterceptLogit(
      integration: .adaptiveGaussHermite(nodes: 5), groupMeanOfX: mundlak,
      options: QuasiNewtonOptions(relativeTolerance: 1e-15))
    let fit = try model.fit(data)
    #expect(fit.summary.converged)
    let f = { (t: [Double]) throws -> Double in try model.logLikelihood(data, parameters: t) }
    #expect(abs(try f(fit.coefficients) - fit.logLikelihood) < 1e-9)
    let h = 1e-4
    let information = try valueHessian(f, at: fit.coefficients, h: h).map { $0.map { -$0 } }
    let covariance = gaussJordanInverse(information)
    for i in fit.coefficients.indices {
      var up = fit.coefficients
      var down = fit.coefficients
      up[i] += h
      down[i] -= h
      let slope = (try f(up) - f(down)) / (2 * h)
      let se = covariance[i][i].squareRoot()
      #expect(abs(slope) * se < 1e-5, "parameter \(fit.names[i]) is not at a stationary point")
      #expect(close(fit.covariance[i, i].squareRoot(), se, 1e-4))
    }
  }
}

@Suite struct LatentMundlakLogitTests {
  /// Three groups of 4–6 individuals.
  static let data = try! draw(ConfoundedLogit(groups: 3, individuals: 15, groupSizes: .unequal(ratio: 2)), "latent-tiny")
  /// a_x, b_ux, log σ_x, ā, τ, bxy, bzy, buy.
  static let theta = [0.2, 1.1, -0.1, -0.5, 0.7, 0.3, 0.8, 1.2]

  /// The original 2-D integral per group,
  /// ∫∫ Π_j p(y_j | ā + τc + bxy x_j + bzy z_g + buy u) N(x_j; a_x + b_ux u, σ_x²) φ(c) φ(u) dc du,
  /// by the trapezoid rule on a 361 × 361 grid over [−9, 9]² (spacing 0.05; for analytic, rapidly
  /// decaying integrands the trapezoid rule converges geometrically, error ≪ 1e-10 here).
  static func bruteForce(_ t: [Double]) -> Double {
    let (ax, bux, sigma, abar, tau, bxy, bzy, buy) = (t[0], t[1], exp(t[2]), t[3], t[4], t[5], t[6], t[7])
    let d = data
    let grid = (0...360).map { -9 + Double($0) * 0.05 }
    let logNormal = { (v: Double) in -v * v / 2 - 0.5 * log(2 * Double.pi) }
    var total = 0.0
    for g in 0..<d.groupCount {
      let r = d.range(g)
      var logTerms: [Double] = []
      for u in grid {
        var xPart = logNormal(u)
        for j in r { xPart += logNormal((d.x[j] - ax - bux * u) / sigma) - log(sigma) }
        for c in grid {
          var l = xPart + logNormal(c)
          for j in r { l += logBernoulli(d.y[j], abar + tau * c + bxy * d.x[j] + bzy * d.z[g] + buy * u) }
          logTerms.append(l + 2 * log(0.05))
        }
      }
      total += logSumExp(logTerms)
    }
    return total
  }

  @Test func jointLikelihoodEqualsABruteForce2DIntegral() throws {
    let exact = Self.bruteForce(Self.theta)
    let agq = try LatentMundlakLogit(integration: .adaptiveGaussHermite(nodes: 30))
      .logLikelihood(Self.data, parameters: Self.theta)
    #expect(abs(agq - exact) < 1e-8)
    let laplace = try LatentMundlakLogit(integration: .laplace).logLikelihood(Self.data, parameters: Self.theta)
    #expect(abs(laplace - exact) > abs(agq - exact))
    #expect(abs(laplace - exact) < 0.1)
  }

  @Test func fitMaximisesTheLikelihood() throws {
    let data = try draw(ConfoundedLogit(groups: 15, individuals: 450), "latent-fit")
    // A tight tolerance, so that a wrong analytic gradient would show as a non-zero slope.
    let model = LatentMundlakLogit(
      integration: .adaptiveGaussHermite(nodes: 5), options: QuasiNewtonOptions(relativeTolerance: 1e-15))
    let fit = try model.fit(data)
    #expect(fit.summary.converged)
    #expect(fit.coefficient("x: loading")! >= 0 && fit.coefficient("tau")! >= 0)
    let f = { (t: [Double]) throws -> Double in try model.logLikelihood(data, parameters: t) }
    let h = 1e-4
    for i in fit.coefficients.indices {
      var up = fit.coefficients
      var down = fit.coefficients
      up[i] += h
      down[i] -= h
      let slope = (try f(up) - f(down)) / (2 * h)
      #expect(abs(slope) * fit.covariance[i, i].squareRoot() < 1e-5, "parameter \(fit.names[i]) is not at a stationary point")
    }
  }
}
