import Foundation
import LinearAlgebra

/// Settings of the BFGS minimiser.
public struct QuasiNewtonOptions: Sendable, Equatable {
  /// Converged when the predicted decrease ½·gᵀH g (H the current inverse-Hessian approximation)
  /// is at most `relativeTolerance`·(1 + |f|): the quasi-Newton analogue of a relative deviance
  /// change. 1e-10 puts the objective within about 1e-10 of its minimum, relatively.
  public var relativeTolerance: Double = 1e-10
  /// Iteration cap; reaching it is reported (`converged == false`), never silent.
  public var maxIterations: Int = 200
  /// Step halvings allowed in one line search before the search is declared failed.
  public var maxHalvings: Int = 40

  public init(relativeTolerance: Double = 1e-10, maxIterations: Int = 200, maxHalvings: Int = 40) {
    self.relativeTolerance = relativeTolerance
    self.maxIterations = maxIterations
    self.maxHalvings = maxHalvings
  }
}

/// The run of a quasi-Newton minimisation, kept rather than thrown away.
public struct QuasiNewtonResult: Sendable {
  /// The last accepted point.
  public var minimiser: [Double]
  /// f at `minimiser`.
  public var value: Double
  /// ∇f at `minimiser`.
  public var gradient: [Double]
  /// Iterations taken (accepted steps).
  public var iterations: Int
  /// Objective-and-gradient evaluations, including rejected trial points.
  public var evaluations: Int
  /// True when the tolerance was met.
  public var converged: Bool
  /// Why the run stopped, in one sentence.
  public var message: String
}

/// Minimisation of a smooth function with an analytic gradient by BFGS (Nocedal & Wright 2006,
/// Algorithm 6.1) with a backtracking (step-halving) Armijo line search.
///
/// Each iteration takes the direction d = −H g, where H approximates the inverse Hessian, tries the
/// full step and halves it until f(x + αd) ≤ f(x) + 10⁻⁴·α·gᵀd, then updates H by the BFGS formula
/// H ← (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ, ρ = 1/(yᵀs), skipped when yᵀs ≤ 10⁻¹²‖s‖‖y‖ (the
/// curvature condition fails and the update would lose positive definiteness). Without a supplied
/// initial H the identity is used for the first step and rescaled by yᵀs/yᵀy before the first
/// update (N&W eq. 6.20). A direction that is not a descent direction resets H to that scaled
/// identity. Trial points where f is not finite count as failures of the Armijo test, so the
/// objective may return +∞ outside its domain. Cost per iteration: one or more evaluations plus
/// O(p²) for the update.
public enum QuasiNewton {
  public static func minimise<E: Error>(
    start: [Double], initialInverseHessian: Matrix? = nil, options: QuasiNewtonOptions = QuasiNewtonOptions(),
    objective: (_ x: [Double], _ gradient: inout [Double]) throws(E) -> Double
  ) throws(E) -> QuasiNewtonResult {
    let p = start.count
    precondition(initialInverseHessian.map { $0.rows == p && $0.cols == p } ?? true, "H₀ must be p×p")
    var x = start
    var g = [Double](repeating: 0, count: p)
    var f = try objective(x, &g)
    var evaluations = 1
    guard f.isFinite, g.allSatisfy(\.isFinite) else {
      return QuasiNewtonResult(
        minimiser: x, value: f, gradient: g, iterations: 0, evaluations: 1, converged: false,
        message: "the objective or its gradient is not finite at the starting point")
    }
    var h = initialInverseHessian ?? Matrix.identity(p)
    var scaled = initialInverseHessian != nil
    var xTrial = x
    var gTrial = g
    for iteration in 0..<options.maxIterations {
      var d = h.multiplied(byVector: g).map { -$0 }
      var slope = dot(g, d)
      if !(slope < 0) {
        h = Matrix.identity(p)
        scaled = false
        d = g.map { -$0 }
        slope = dot(g, d)
      }
      if -slope / 2 <= options.relativeTolerance * (1 + abs(f)) {
        return QuasiNewtonResult(
          minimiser: x, value: f, gradient: g, iterations: iteration, evaluations: evaluations, converged: true,
          message: "predicted decrease \(-slope / 2) within tolerance")
      }
      var alpha = 1.0
      var accepted = false
      var fTrial = f
      for _ in 0...options.maxHalvings {
        for i in 0..<p { xTrial[i] = x[i] + alpha * d[i] }
        fTrial = try objective(xTrial, &gTrial)
        evaluations += 1
        if fTrial.isFinite, fTrial <= f + 1e-4 * alpha * slope, gTrial.allSatisfy(\.isFinite) {
          accepted = true
          break
        }
        alpha /= 2
      }
      if !accepted {
        // No decrease along a descent direction: the iterate is at the limit of floating-point
        // resolution. That is convergence only when the predicted decrease is already tiny.
        let tiny = -slope / 2 <= options.relativeTolerance.squareRoot() * (1 + abs(f))
        return QuasiNewtonResult(
          minimiser: x, value: f, gradient: g, iterations: iteration, evaluations: evaluations, converged: tiny,
          message: tiny
            ? "line search cannot improve further; predicted decrease \(-slope / 2)"
            : "line search failed after \(options.maxHalvings) step halvings; predicted decrease \(-slope / 2)")
      }
      var s = [Double](repeating: 0, count: p)
      var y = [Double](repeating: 0, count: p)
      for i in 0..<p {
        s[i] = xTrial[i] - x[i]
        y[i] = gTrial[i] - g[i]
      }
      let sy = dot(s, y)
      let yy = dot(y, y)
      if sy > 1e-12 * (dot(s, s) * yy).squareRoot() {
        if !scaled {
          h = (sy / yy) * Matrix.identity(p)
          scaled = true
        }
        bfgsUpdate(&h, s: s, y: y, sy: sy)
      }
      swap(&x, &xTrial)
      swap(&g, &gTrial)
      f = fTrial
    }
    return QuasiNewtonResult(
      minimiser: x, value: f, gradient: g, iterations: options.maxIterations, evaluations: evaluations,
      converged: false, message: "iteration cap \(options.maxIterations) reached")
  }

  /// H ← H − ρ(s (Hy)ᵀ + (Hy) sᵀ) + (ρ² yᵀHy + ρ) s sᵀ, the expanded BFGS inverse update. O(p²).
  static func bfgsUpdate(_ h: inout Matrix, s: [Double], y: [Double], sy: Double) {
    let p = s.count
    let rho = 1 / sy
    let hy = h.multiplied(byVector: y)
    let c = rho * rho * dot(y, hy) + rho
    for j in 0..<p {
      for i in 0..<p {
        h[i, j] += -rho * (s[i] * hy[j] + hy[i] * s[j]) + c * s[i] * s[j]
      }
    }
  }
}

/// Derivatives by finite differences.
public enum NumericalDerivatives {
  /// The Hessian of f from central differences of its analytic gradient,
  /// H_{·i} ≈ (∇f(x + h_i e_i) − ∇f(x − h_i e_i)) / (2h_i), then symmetrised (H + Hᵀ)/2.
  ///
  /// h_i = ε^{1/3}·max(|x_i|, 1) ≈ 6·10⁻⁶·max(|x_i|, 1) balances the O(h²) truncation error against
  /// the O(ε/h) rounding error (Nocedal & Wright 2006, §8.1), giving about 10 correct digits for a
  /// gradient accurate to machine precision; h_i is rounded so that x_i ± h_i are exact.
  /// Cost: 2p gradient evaluations.
  public static func hessian<E: Error>(
    at x: [Double], gradient: (_ x: [Double]) throws(E) -> [Double]
  ) throws(E) -> Matrix {
    let p = x.count
    var hessian = Matrix(rows: p, cols: p)
    var point = x
    let base = pow(Double.ulpOfOne, 1.0 / 3.0)
    for i in 0..<p {
      let step = base * max(abs(x[i]), 1)
      let up = x[i] + step
      let down = x[i] - step
      point[i] = up
      let gUp = try gradient(point)
      point[i] = down
      let gDown = try gradient(point)
      point[i] = x[i]
      let width = up - down
      for k in 0..<p { hessian[k, i] = (gUp[k] - gDown[k]) / width }
    }
    symmetrise(&hessian)
    return hessian
  }

  /// The Hessian from forward differences of the gradient, H_{·i} ≈ (∇f(x + h_i e_i) − ∇f(x))/h_i
  /// with h_i = ε^{1/2}·max(|x_i|, 1), symmetrised: about half the digits of `hessian(at:gradient:)`
  /// for half the cost (p gradient evaluations, ∇f(x) given), enough for a starting matrix.
  public static func forwardHessian<E: Error>(
    at x: [Double], gradientAtX: [Double], gradient: (_ x: [Double]) throws(E) -> [Double]
  ) throws(E) -> Matrix {
    let p = x.count
    precondition(gradientAtX.count == p, "the gradient at x needs one entry per coordinate")
    var hessian = Matrix(rows: p, cols: p)
    var point = x
    let base = Double.ulpOfOne.squareRoot()
    for i in 0..<p {
      let up = x[i] + base * max(abs(x[i]), 1)
      point[i] = up
      let gUp = try gradient(point)
      point[i] = x[i]
      let width = up - x[i]
      for k in 0..<p { hessian[k, i] = (gUp[k] - gradientAtX[k]) / width }
    }
    symmetrise(&hessian)
    return hessian
  }

  /// H ← (H + Hᵀ)/2.
  private static func symmetrise(_ h: inout Matrix) {
    let p = h.rows
    for j in 0..<p {
      for i in (j + 1)..<max(j + 1, p) {
        let m = (h[i, j] + h[j, i]) / 2
        h[i, j] = m
        h[j, i] = m
      }
    }
  }
}
