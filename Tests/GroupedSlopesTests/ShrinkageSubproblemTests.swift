import LinearAlgebra
import RandomStreams
import Testing
import TestSupport

@testable import Estimators

/// The C-Lasso convex subproblem min_{β, a} (1/NT)Σ‖y_i − X_iβ_i‖² + Σ w_i‖β_i − a‖ against an
/// independent solve: ADMM on the splitting z_i = β_i − a, written here with 2×2 closed-form
/// inverses and block soft-thresholding (no root finding, no Newton, no library solver).
@Suite struct ShrinkageSubproblemTests {
  /// Tiny data: N = 5 units, T = 6, p = 2, with unit-specific slopes.
  static func tinyPanel() throws -> SlopePanel {
    let rng = testStream("shrinkage")
    let n = 5, t = 6
    var y = Matrix(rows: t, cols: n)
    var x = Matrix(rows: t, cols: n * 2)
    for i in 0..<n {
      let b = [0.5 + 0.3 * Double(i), 1.5 - 0.25 * Double(i)]
      for s in 0..<t {
        let x1 = rng.normal(), x2 = rng.normal() + 0.3 * x1
        x[s, 2 * i] = x1
        x[s, 2 * i + 1] = x2
        y[s, i] = b[0] * x1 + b[1] * x2 + 0.5 * rng.normal()
      }
    }
    return try SlopePanel(y: y, x: x, regressors: 2)
  }

  /// (A_i, g_i, c_i) of f_i(β) = ½β'A_iβ − g_i'β + c_i, computed directly from the data.
  static func quadratics(_ panel: SlopePanel) -> [(a: [[Double]], g: [Double], c: Double)] {
    let n = panel.units, t = panel.periods, scale = 2 / Double(n * t)
    return (0..<n).map { i in
      var a: [[Double]] = [[0, 0], [0, 0]]
      var g: [Double] = [0, 0]
      var c = 0.0
      for s in 0..<t {
        let xs = [panel.x[s, 2 * i], panel.x[s, 2 * i + 1]], ys = panel.y[s, i]
        for r in 0..<2 {
          g[r] += scale * xs[r] * ys
          for k in 0..<2 { a[r][k] += scale * xs[r] * xs[k] }
        }
        c += scale / 2 * ys * ys
      }
      return (a, g, c)
    }
  }

  static func objective(_ q: [(a: [[Double]], g: [Double], c: Double)], _ w: [Double], beta: [[Double]], center: [Double]) -> Double {
    var total = 0.0
    for (i, unit) in q.enumerated() {
      let b = beta[i]
      let quad = 0.5 * (b[0] * (unit.a[0][0] * b[0] + unit.a[0][1] * b[1]) + b[1] * (unit.a[1][0] * b[0] + unit.a[1][1] * b[1]))
      total += quad - unit.g[0] * b[0] - unit.g[1] * b[1] + unit.c
      total += w[i] * ((b[0] - center[0]) * (b[0] - center[0]) + (b[1] - center[1]) * (b[1] - center[1])).squareRoot()
    }
    return total
  }

  /// Unit i's series of a T×N outcome and T×2N regressor panel (unit i's regressors in columns 2i
  /// and 2i + 1), each demeaned by its own time mean: (T rows of the two regressors, T responses).
  static func demeanedUnit(_ y: Matrix, _ x: Matrix, unit i: Int) -> (x: [[Double]], y: [Double]) {
    let t = y.rows
    let my = (0..<t).map { y[$0, i] }.reduce(0, +) / Double(t)
    let m1 = (0..<t).map { x[$0, 2 * i] }.reduce(0, +) / Double(t)
    let m2 = (0..<t).map { x[$0, 2 * i + 1] }.reduce(0, +) / Double(t)
    return ((0..<t).map { [x[$0, 2 * i] - m1, x[$0, 2 * i + 1] - m2] }, (0..<t).map { y[$0, i] - my })
  }

  static func inverse2(_ m: [[Double]]) -> [[Double]] {
    let det = m[0][0] * m[1][1] - m[0][1] * m[1][0]
    return [[m[1][1] / det, -m[0][1] / det], [-m[1][0] / det, m[0][0] / det]]
  }

  static func times(_ m: [[Double]], _ v: [Double]) -> [Double] {
    [m[0][0] * v[0] + m[0][1] * v[1], m[1][0] * v[0] + m[1][1] * v[1]]
  }

  /// ADMM (Boyd et al. 2011, §3.1) for min Σ f_i(β_i) + Σ w_i‖z_i‖ s.t. z_i = β_i − a, penalty ρ:
  /// the (β, a) step is an exact joint minimisation of the quadratic (β eliminated:
  /// a = [Σ(I − ρB_i)]⁻¹ Σ[B_i g_i − (I − ρB_i)v_i], B_i = (A_i + ρI)⁻¹, v_i = z_i − u_i), the z step
  /// is block soft-thresholding, u the scaled dual.
  static func admm(_ q: [(a: [[Double]], g: [Double], c: Double)], _ w: [Double], rho: Double, iterations: Int)
    -> (beta: [[Double]], center: [Double])
  {
    let n = q.count
    let b = q.map { inverse2([[$0.a[0][0] + rho, $0.a[0][1]], [$0.a[1][0], $0.a[1][1] + rho]]) }
    let iMinus = b.map { [[1 - rho * $0[0][0], -rho * $0[0][1]], [-rho * $0[1][0], 1 - rho * $0[1][1]]] }
    var sum: [[Double]] = [[0, 0], [0, 0]]
    for m in iMinus { for r in 0..<2 { for k in 0..<2 { sum[r][k] += m[r][k] } } }
    let sumInverse = inverse2(sum)
    var z = [[Double]](repeating: [0, 0], count: n), u = z, beta = z
    var a: [Double] = [0, 0]
    for _ in 0..<iterations {
      var rhs: [Double] = [0, 0]
      for i in 0..<n {
        let v = [z[i][0] - u[i][0], z[i][1] - u[i][1]]
        let bg = times(b[i], q[i].g), mv = times(iMinus[i], v)
        rhs[0] += bg[0] - mv[0]
        rhs[1] += bg[1] - mv[1]
      }
      a = times(sumInverse, rhs)
      for i in 0..<n {
        let v = [z[i][0] - u[i][0], z[i][1] - u[i][1]]
        beta[i] = times(b[i], [q[i].g[0] + rho * (a[0] + v[0]), q[i].g[1] + rho * (a[1] + v[1])])
        let s = [beta[i][0] - a[0] + u[i][0], beta[i][1] - a[1] + u[i][1]]
        let norm = (s[0] * s[0] + s[1] * s[1]).squareRoot()
        let shrink = norm > 0 ? max(0, 1 - w[i] / rho / norm) : 0
        z[i] = [shrink * s[0], shrink * s[1]]
        u[i] = [u[i][0] + beta[i][0] - a[0] - z[i][0], u[i][1] + beta[i][1] - a[1] - z[i][1]]
      }
    }
    return (beta, a)
  }

  /// Weights chosen so that the optimum has fused units (β_i = a), shrunk units and a free one.
  static let weights = [0.25, 0.02, 0.6, 0, 0.05]

  @Test func matchesAnIndependentADMMSolve() throws {
    let panel = try Self.tinyPanel()
    let q = Self.quadratics(panel)
    let w = Self.weights
    let solution = try UnitQuadratics(panel).minimiseShrinkage(weights: w, start: [0, 0], tolerance: 1e-12, maxIterations: 100)
    #expect(solution.converged)
    let beta = (0..<5).map { Array(solution.slopes[(2 * $0)..<(2 * $0 + 2)]) }
    let mine = Self.objective(q, w, beta: beta, center: solution.center)
    #expect(abs(mine - solution.objective) < 1e-12)

    let reference = Self.admm(q, w, rho: 0.2, iterations: 20_000)
    let theirs = Self.objective(q, w, beta: reference.beta, center: reference.center)
    #expect(abs(mine - theirs) < 1e-6)
    // The gap certifies optimality: no feasible point can be better by more than the gap.
    #expect(theirs >= mine - solution.gap - 1e-14)
    #expect(abs(solution.center[0] - reference.center[0]) < 1e-4 && abs(solution.center[1] - reference.center[1]) < 1e-4)

    // The optimum exercises all three unit regimes.
    let distances = beta.map { (($0[0] - solution.center[0]) * ($0[0] - solution.center[0]) + ($0[1] - solution.center[1]) * ($0[1] - solution.center[1])).squareRoot() }
    #expect(distances.contains { $0 == 0 })
    #expect(distances.enumerated().contains { $0.element > 1e-6 && w[$0.offset] > 0 })
  }

  /// KKT conditions at the returned point, evaluated from the data: for every unit
  /// A_iβ_i − g_i + w_i s_i = 0 with s_i = (β_i − a)/‖β_i − a‖ (shrunk) or ‖s_i‖ ≤ 1 (fused), and
  /// Σ_i w_i s_i = 0 (stationarity in a).
  @Test func satisfiesTheKKTConditions() throws {
    let panel = try Self.tinyPanel()
    let q = Self.quadratics(panel)
    let w = Self.weights.map { 2 * $0 }
    let solution = try UnitQuadratics(panel).minimiseShrinkage(weights: w, start: [1, 1], tolerance: 1e-12, maxIterations: 100)
    var sum: [Double] = [0, 0]
    for i in 0..<5 {
      let b = [solution.slopes[2 * i], solution.slopes[2 * i + 1]]
      let grad = Self.times(q[i].a, b).enumerated().map { $0.element - q[i].g[$0.offset] }
      let d = [b[0] - solution.center[0], b[1] - solution.center[1]]
      let norm = (d[0] * d[0] + d[1] * d[1]).squareRoot()
      if w[i] == 0 {
        #expect(abs(grad[0]) < 1e-12 && abs(grad[1]) < 1e-12)
      } else if norm == 0 {
        #expect((grad[0] * grad[0] + grad[1] * grad[1]).squareRoot() <= w[i] * (1 + 1e-9))
      } else {
        #expect(abs(grad[0] + w[i] * d[0] / norm) < 1e-10 && abs(grad[1] + w[i] * d[1] / norm) < 1e-10)
      }
      // w_i s_i = −∇f_i(β_i) in every regime.
      sum[0] -= grad[0]
      sum[1] -= grad[1]
    }
    #expect(abs(sum[0]) < 1e-9 && abs(sum[1]) < 1e-9)
  }

  /// With every weight zero the units are free and the solution is unit-by-unit least squares.
  @Test func zeroWeightsGiveUnitLeastSquares() throws {
    let panel = try Self.tinyPanel()
    let solution = try UnitQuadratics(panel).minimiseShrinkage(weights: [0, 0, 0, 0, 0], start: [0, 0], tolerance: 1e-12, maxIterations: 10)
    for i in 0..<5 {  // QR per unit on the raw (not demeaned) data the quadratics were built from

      let b = try panel.unitRegressors(i).leastSquares(panel.unitResponse(i))
      #expect(abs(b[0] - solution.slopes[2 * i]) < 1e-10 && abs(b[1] - solution.slopes[2 * i + 1]) < 1e-10)
    }
  }
}
