import Foundation
import LinearAlgebra
import Estimators

/// The marginal likelihood of a linear mixed model computed the direct way, for checking the blocked
/// profiled computation: y ~ N(Xβ, σ²V), V = ZΛΛ'Z' + I (n×n, formed explicitly), with β and σ²
/// profiled out (β̂ = GLS estimate, σ̂² = r²/n or r²/(n−p), r² = (y − Xβ̂)'V⁻¹(y − Xβ̂)):
///   −2 log L  = log|V| + n[1 + log(2πr²/n)],
///   −2 log L_R = log|V| + log|X'V⁻¹X| + (n−p)[1 + log(2πr²/(n−p))]
/// (Harville 1977; Bates et al. 2015, eqs. 33–34, written here in terms of V rather than L_θ).
struct DenseReference {
  let y: [Double]
  let x: Matrix
  /// Z with every term's columns level-major (level r, effect c at r·q + c), terms in design order.
  let z: Matrix
  let dimensions: [Int]
  let levels: [Int]

  init(_ design: CrossedDesign) {
    y = design.response
    x = design.fixed
    dimensions = design.terms.map(\.dimension)
    levels = design.terms.map { $0.levels.count }
    let width = zip(dimensions, levels).reduce(0) { $0 + $1.0 * $1.1 }
    var z = Matrix(rows: y.count, cols: width)
    var offset = 0
    for term in design.terms {
      let q = term.dimension
      for i in 0..<y.count {
        z[i, offset + term.codes[i] * q] = 1
        for (c, s) in term.slopes.enumerated() { z[i, offset + term.codes[i] * q + c + 1] = s[i] }
      }
      offset += q * term.levels.count
    }
    self.z = z
  }

  /// Λ_θ: block diagonal with I_ℓ ⊗ T_k, T_k filled column by column from θ's lower triangle.
  func lambda(_ theta: [Double]) -> Matrix {
    var l = Matrix(rows: z.cols, cols: z.cols)
    var offset = 0
    var next = 0
    for (q, ell) in zip(dimensions, levels) {
      var t = Matrix(rows: q, cols: q)
      for c in 0..<q { for r in c..<q { t[r, c] = theta[next]; next += 1 } }
      for level in 0..<ell { for a in 0..<q { for b in 0..<q { l[offset + level * q + a, offset + level * q + b] = t[a, b] } } }
      offset += q * ell
    }
    return l
  }

  struct Result {
    var objective: Double
    var beta: [Double]
    var sigma2: Double
    var betaCovariance: Matrix
    /// b̂ = ΛΛ'Z'V⁻¹(y − Xβ̂), level-major as in `z`.
    var blups: [Double]
  }

  func evaluate(_ theta: [Double], reml: Bool) throws -> Result {
    let n = y.count
    let p = x.cols
    let zl = z * lambda(theta)
    let v = zl.gram(outer: true) + Matrix.identity(n)
    let cv = try Cholesky(v)
    let viX = try cv.solve(x)
    let viY = try cv.solve(y)
    let xtvix = x.multiplied(by: viX, transposeSelf: true)
    let cx = try Cholesky(xtvix)
    let beta = try cx.solve(x.multiplied(byVector: viY, transposeSelf: true))
    let xb = x.multiplied(byVector: beta)
    let resid = (0..<n).map { y[$0] - xb[$0] }
    let viR = try cv.solve(resid)
    let r2 = dot(resid, viR)
    let dof = Double(reml ? n - p : n)
    let objective = cv.logDeterminant + (reml ? cx.logDeterminant : 0) + dof * (1 + log(2 * Double.pi * r2 / dof))
    let sigma2 = r2 / dof
    let blups = lambda(theta).multiplied(byVector: zl.multiplied(byVector: viR, transposeSelf: true))
    return Result(
      objective: objective, beta: beta, sigma2: sigma2, betaCovariance: sigma2 * (try cx.inverse()), blups: blups)
  }
}

/// A crude but sure minimiser for the tests: compass search (Kolda, Lewis & Torczon 2003, SIAM
/// Review 45, §3): try ±h along each coordinate (clamped to the bounds), move on any decrease,
/// halve h when no move helps; stop when h < `tolerance`. Slow, derivative-free and free of models,
/// so it shares nothing with `BoundedQuadraticMinimizer`.
func compassSearch(
  _ f: ([Double]) -> Double, from x0: [Double], lower: [Double], step: Double = 0.25, tolerance: Double = 1e-10
) -> (x: [Double], value: Double) {
  var x = x0
  var fx = f(x)
  var h = step
  while h >= tolerance {
    var moved = false
    for i in x.indices {
      for sign in [1.0, -1.0] {
        var trial = x
        trial[i] = max(trial[i] + sign * h, lower[i])
        if trial[i] == x[i] { continue }
        let ft = f(trial)
        if ft < fx {
          x = trial
          fx = ft
          moved = true
          break
        }
      }
    }
    if !moved { h /= 2 }
  }
  return (x, fx)
}
