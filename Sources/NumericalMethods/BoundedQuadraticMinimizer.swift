import LinearAlgebra

/// What a minimisation did, kept rather than thrown away (as MixedModels.jl keeps its optimiser
/// run): where it started, where it stopped, how many function evaluations and iterations it took,
/// and whether it met its tolerance.
public struct MinimizerRun: Sendable, Equatable {
  public var initialX: [Double]
  public var initialValue: Double
  public var x: [Double]
  public var value: Double
  /// Calls of the objective function.
  public var evaluations: Int
  /// Trust-region and geometry iterations (model builds).
  public var iterations: Int
  /// True when the trust-region resolution reached `finalRadius`; false when the evaluation cap
  /// was hit or the interpolation set could not be repaired (see `message`).
  public var converged: Bool
  public var message: String
}

/// A derivative-free minimiser with simple bounds l ≤ x ≤ u: a trust-region method on quadratic
/// models interpolating 2n + 1 points, in the manner of Powell's NEWUOA/BOBYQA (Powell 2006,
/// "The NEWUOA software for unconstrained optimization without derivatives"; Powell 2009, "The
/// BOBYQA algorithm for bound constrained optimization without derivatives", Cambridge DAMTP
/// 2009/NA06), written from the published description in pure Swift.
///
/// - **Model.** Each iteration fits q(x_b + v) = c + gᵀv + ½vᵀHv about the best point x_b so that q
///   interpolates f at the m = 2n + 1 points and ‖H − H_prev‖_F is least (Powell's least-change
///   update), by solving the (m + n + 1)-order KKT system
///   [A Eᵀ; E 0][λ; c; g] = [f − ½vᵢᵀH_prev vᵢ; 0], A_ij = ½(vᵢᵀvⱼ)², E = [1ᵀ; v₁ … v_m], and
///   H = H_prev + Σλᵢvᵢvᵢᵀ (LAPACK QR on the scaled system; the points are scaled by their radius).
///   The initial points are x₀ and x₀ ± ρ_beg·eᵢ (x₀ + ρ_beg·eᵢ, x₀ + 2ρ_beg·eᵢ next to a bound,
///   after moving x₀ onto a bound closer than ρ_beg/2 or to ρ_beg from it, as BOBYQA does).
/// - **Step.** The trust-region subproblem min q within ‖v‖ ≤ Δ and the box is solved by truncated
///   conjugate gradients (Steihaug–Toint) that fix a variable on its bound when the step hits it
///   and restart, as in BOBYQA's TRSBOX (without its final boundary refinement).
/// - **Radius.** Δ follows Powell's rules on the ratio r of actual to predicted decrease
///   (Δ ← min(Δ/2, ‖v‖) if r ≤ 0.1; max(Δ/2, ‖v‖) if r ≤ 0.7; max(Δ/2, 2‖v‖) otherwise; Δ = ρ once
///   Δ ≤ 1.5ρ). The new point replaces the interpolation point with the largest
///   |ℓ_t(x_new)|·max(1, ‖y_t − x_b‖²/Δ²), ℓ_t the least-Frobenius Lagrange functions.
/// - **Geometry and ρ.** After a step shorter than ρ/2, or a failed step at Δ = ρ, the farthest point
///   (if farther than 2Δ from x_b) is moved to the candidate within max(min(dist/10, Δ/2), ρ) of x_b
///   that maximises its |Lagrange function| (candidates: ± its gradient and the lines through x_b and
///   the other points, as BOBYQA's ALTMOV, and ± coordinate directions, all clipped to the box);
///   otherwise the resolution ρ shrinks by Powell's schedule (ρ/10 while ρ > 250ρ_end, then
///   √(ρ·ρ_end), then ρ_end).
/// - **Stopping.** Converged when ρ has reached ρ_end (`finalRadius`) and no step or geometry move
///   is left at that resolution: x is then known to within about ρ_end, so the objective is within
///   O(ρ_end²·‖∇²f‖) of a local minimum. Also converged, earlier, when a resolution level ends (the
///   model, validated on points within 2ρ, proposes no step of length ρ/2) having lowered the best
///   value by at most `relativeTolerance`·|f| and the model predicts no further decrease larger than
///   that: later levels, whose decreases shrink like ρ², cannot then change f by more than about
///   that tolerance. Hitting `maxEvaluations` is reported as not converged.
/// - **Failed evaluations.** A value that is not finite or is ≥ 10¹⁰⁰ (an objective's way of saying
///   "undefined here", e.g. a failed Cholesky) is never interpolated: the trial point is dropped and
///   the trust region halves.
///
/// Cost per iteration: one evaluation of f plus O((3n)³) for the KKT solve (negligible for the small n
/// of a mixed model's covariance parameters).
public struct BoundedQuadraticMinimizer: Sendable {
  public var lower: [Double]
  public var upper: [Double]
  /// ρ_beg: the initial trust-region radius and interpolation step.
  public var initialRadius: Double
  /// ρ_end: the final resolution in x (the stopping tolerance).
  public var finalRadius: Double
  /// The cap on objective evaluations (reported as non-convergence when hit).
  public var maxEvaluations: Int
  /// Relative objective tolerance of the early stop (0 disables it; see the type's documentation).
  public var relativeTolerance: Double

  /// Values at or above this are failed evaluations (see the type's documentation).
  public static let failedValueThreshold = 1e100

  public init(
    lower: [Double], upper: [Double], initialRadius: Double = 0.25, finalRadius: Double = 1e-6,
    maxEvaluations: Int = 2000, relativeTolerance: Double = 0
  ) {
    precondition(lower.count == upper.count, "bounds must have the same length")
    precondition(zip(lower, upper).allSatisfy { $0 < $1 }, "every lower bound must be below its upper bound")
    precondition(initialRadius > 0 && finalRadius > 0 && finalRadius <= initialRadius, "need 0 < ρ_end ≤ ρ_beg")
    self.lower = lower
    self.upper = upper
    self.initialRadius = initialRadius
    self.finalRadius = finalRadius
    self.maxEvaluations = maxEvaluations
    self.relativeTolerance = relativeTolerance
  }

  /// Minimises `f` from `x0` (clipped into the box).
  public func minimize(from x0: [Double], _ f: ([Double]) -> Double) -> MinimizerRun {
    precondition(x0.count == lower.count, "starting point and bounds must have the same length")
    return withoutActuallyEscaping(f) { objective in
      var state = QuadraticModelState(self, f: objective)
      return state.run(from: x0)
    }
  }
}

/// The mutable state of one minimisation (interpolation set, model, radii, counters).
private struct QuadraticModelState {
  let options: BoundedQuadraticMinimizer
  let f: ([Double]) -> Double
  let n: Int
  let m: Int
  var points: [[Double]] = []
  var values: [Double] = []
  var best = 0
  var hessian: [Double]
  var gradient: [Double]
  var evaluations = 0
  var iterations = 0
  var rho: Double
  var delta: Double

  init(_ options: BoundedQuadraticMinimizer, f: @escaping ([Double]) -> Double) {
    self.options = options
    self.f = f
    n = options.lower.count
    m = 2 * n + 1
    hessian = [Double](repeating: 0, count: n * n)
    gradient = [Double](repeating: 0, count: n)
    let widest = zip(options.lower, options.upper).map { ($1 - $0) / 2 }.min() ?? options.initialRadius
    rho = min(options.initialRadius, widest)
    delta = rho
  }

  static func failed(_ v: Double) -> Bool { !(v < BoundedQuadraticMinimizer.failedValueThreshold) }

  mutating func evaluate(_ x: [Double]) -> Double {
    evaluations += 1
    let v = f(x)
    return v.isNaN ? .infinity : v
  }

  func clip(_ x: [Double]) -> [Double] {
    (0..<n).map { min(max(x[$0], options.lower[$0]), options.upper[$0]) }
  }

  func distance(_ a: [Double], _ b: [Double]) -> Double {
    var s = 0.0
    for i in 0..<n { s += (a[i] - b[i]) * (a[i] - b[i]) }
    return s.squareRoot()
  }

  mutating func run(from start: [Double]) -> MinimizerRun {
    let initialX = clip(start)
    var x0 = initialX
    let initialValue = evaluate(x0)
    func finish(_ converged: Bool, _ message: String) -> MinimizerRun {
      let xb = points.isEmpty ? initialX : points[best]
      let fb = values.isEmpty ? initialValue : values[best]
      return MinimizerRun(
        initialX: initialX, initialValue: initialValue, x: xb, value: fb, evaluations: evaluations, iterations: iterations,
        converged: converged, message: message)
    }
    if Self.failed(initialValue) { return finish(false, "the objective is undefined at the starting point") }
    if n == 0 { return finish(true, "no free parameters") }

    // BOBYQA's start: move x0 onto a bound closer than ρ/2, or to ρ from a bound closer than ρ.
    for i in 0..<n {
      if x0[i] - options.lower[i] < rho {
        x0[i] = x0[i] - options.lower[i] <= rho / 2 ? options.lower[i] : options.lower[i] + rho
      } else if options.upper[i] - x0[i] < rho {
        x0[i] = options.upper[i] - x0[i] <= rho / 2 ? options.upper[i] : options.upper[i] - rho
      }
    }
    guard initialize(around: x0, knownValue: x0 == initialX ? initialValue : nil) else {
      return finish(false, "the objective is undefined at every trial point near the start")
    }

    var levelStartValue = values[best]
    var lastPredicted = Double.infinity
    while true {
      if evaluations >= options.maxEvaluations {
        return finish(false, "stopped at the evaluation limit (\(options.maxEvaluations)) before reaching ρ_end")
      }
      iterations += 1
      if !buildModel() {
        // The interpolation set degenerated: rebuild it around the best point at the current ρ.
        guard initialize(around: points[best], knownValue: values[best]), buildModel() else {
          return finish(false, "the interpolation set could not be repaired")
        }
      }
      let xb = points[best]
      let step = trustRegionStep()
      let stepLength = step.reduce(0) { $0 + $1 * $1 }.squareRoot()
      var wantGeometry = false
      lastPredicted = -modelChange(step)
      if stepLength < rho / 2 {
        delta = rho
        wantGeometry = true
      } else {
        let trial = clip((0..<n).map { xb[$0] + step[$0] })
        let fTrial = evaluate(trial)
        if Self.failed(fTrial) {
          delta = max(0.5 * stepLength, rho)
          if delta <= 1.5 * rho { delta = rho }
          wantGeometry = delta == rho
        } else {
          let ratio = lastPredicted > 0 ? (values[best] - fTrial) / lastPredicted : -1
          if ratio <= 0.1 {
            delta = min(0.5 * delta, stepLength)
          } else if ratio <= 0.7 {
            delta = max(0.5 * delta, stepLength)
          } else {
            delta = max(0.5 * delta, 2 * stepLength)
          }
          if delta <= 1.5 * rho { delta = rho }
          replacePoint(with: trial, value: fTrial)
          if ratio < 0.1 {
            if farthestPoint(beyond: 2 * delta) != nil {
              wantGeometry = true
            } else if delta > rho || ratio > 0 {
              continue
            } else {
              wantGeometry = true
            }
          } else {
            continue
          }
        }
      }
      guard wantGeometry else { continue }
      if let t = farthestPoint(beyond: 2 * delta) {
        let dist = distance(points[t], points[best])
        let radius = max(min(0.1 * dist, 0.5 * delta), rho)
        if let candidate = geometryPoint(replacing: t, radius: radius) {
          let v = evaluate(candidate)
          if !Self.failed(v) {
            points[t] = candidate
            values[t] = v
            if v < values[best] { best = t }
            continue
          }
        }
      }
      // No useful geometry move: the model is good at this resolution; go finer or stop.
      if rho <= options.finalRadius { return finish(true, "ρ reached ρ_end = \(options.finalRadius)") }
      let tolerance = options.relativeTolerance * abs(values[best])
      if levelStartValue - values[best] <= tolerance && lastPredicted <= tolerance {
        return finish(true, "a resolution level changed f by at most \(options.relativeTolerance) relative (ρ = \(rho))")
      }
      levelStartValue = values[best]
      let previous = rho
      if rho > 250 * options.finalRadius {
        rho *= 0.1
      } else if rho > 16 * options.finalRadius {
        rho = (rho * options.finalRadius).squareRoot()
      } else {
        rho = options.finalRadius
      }
      delta = max(0.5 * previous, rho)
    }
  }

  /// Builds the 2n + 1 initial points around `x0` (within the box) and evaluates them. A failed
  /// value pulls its point halfway back towards x0 (up to 8 times). Returns false if that fails.
  mutating func initialize(around x0: [Double], knownValue: Double?) -> Bool {
    points = [x0]
    values = [knownValue ?? evaluate(x0)]
    if Self.failed(values[0]) { return false }
    for i in 0..<n {
      let roomBelow = x0[i] - options.lower[i] >= rho
      let roomAbove = options.upper[i] - x0[i] >= rho
      let offsets: [Double] =
        roomBelow && roomAbove ? [rho, -rho] : roomAbove ? [rho, 2 * rho] : [-rho, -2 * rho]
      for offset in offsets {
        var h = offset
        var accepted = false
        for _ in 0..<8 {
          var y = x0
          y[i] += h
          let v = evaluate(y)
          if !Self.failed(v) {
            points.append(y)
            values.append(v)
            accepted = true
            break
          }
          h /= 2
        }
        if !accepted { return false }
      }
    }
    best = values.indices.min { values[$0] < values[$1] }!
    hessian = [Double](repeating: 0, count: n * n)
    delta = rho
    return true
  }

  /// The point farthest from x_b if it lies beyond `threshold`.
  func farthestPoint(beyond threshold: Double) -> Int? {
    var far: Int?
    var farDistance = threshold
    for t in points.indices where t != best {
      let d = distance(points[t], points[best])
      if d > farDistance {
        far = t
        farDistance = d
      }
    }
    return far
  }

  /// The scale used to condition the KKT system: the largest distance of a point from x_b.
  func scale() -> Double {
    max(points.indices.map { distance(points[$0], points[best]) }.max() ?? 1, 1e-300)
  }

  /// The KKT matrix W of least-Frobenius interpolation on the scaled offsets wᵢ = (yᵢ − x_b)/s.
  func kktMatrix(_ w: [[Double]]) -> Matrix {
    let order = m + n + 1
    var kkt = Matrix(rows: order, cols: order)
    for i in 0..<m {
      for j in 0...i {
        var d = 0.0
        for k in 0..<n { d += w[i][k] * w[j][k] }
        kkt[i, j] = 0.5 * d * d
        kkt[j, i] = kkt[i, j]
      }
      kkt[i, m] = 1
      kkt[m, i] = 1
      for k in 0..<n {
        kkt[i, m + 1 + k] = w[i][k]
        kkt[m + 1 + k, i] = w[i][k]
      }
    }
    return kkt
  }

  func scaledOffsets(_ s: Double) -> [[Double]] {
    points.map { y in (0..<n).map { (y[$0] - points[best][$0]) / s } }
  }

  /// Refits (gradient, hessian) about x_b by the least-change KKT system. False if it is singular.
  mutating func buildModel() -> Bool {
    let s = scale()
    let w = scaledOffsets(s)
    var rhs = [Double](repeating: 0, count: m + n + 1)
    for i in 0..<m {
      var quad = 0.0
      for a in 0..<n { for b in 0..<n { quad += w[i][a] * hessian[a + b * n] * w[i][b] } }
      rhs[i] = values[i] - values[best] - 0.5 * s * s * quad
    }
    guard let sol = try? kktMatrix(w).leastSquares(rhs), sol.allSatisfy(\.isFinite) else { return false }
    for k in 0..<n { gradient[k] = sol[m + 1 + k] / s }
    for a in 0..<n {
      for b in 0..<n {
        var extra = 0.0
        for i in 0..<m { extra += sol[i] * w[i][a] * w[i][b] }
        hessian[a + b * n] += extra / (s * s)
      }
    }
    return true
  }

  /// gᵀv + ½vᵀHv.
  func modelChange(_ v: [Double]) -> Double {
    var lin = 0.0
    var quad = 0.0
    for a in 0..<n {
      lin += gradient[a] * v[a]
      for b in 0..<n { quad += v[a] * hessian[a + b * n] * v[b] }
    }
    return lin + 0.5 * quad
  }

  func hessianTimes(_ v: [Double]) -> [Double] {
    (0..<n).map { a in (0..<n).reduce(0) { $0 + hessian[a + $1 * n] * v[$1] } }
  }

  /// Truncated conjugate gradients for min gᵀv + ½vᵀHv, ‖v‖ ≤ Δ, l − x_b ≤ v ≤ u − x_b.
  func trustRegionStep() -> [Double] {
    let xb = points[best]
    let lo = (0..<n).map { options.lower[$0] - xb[$0] }
    let hi = (0..<n).map { options.upper[$0] - xb[$0] }
    var s = [Double](repeating: 0, count: n)
    var free = (0..<n).map { i in !((lo[i] >= 0 && gradient[i] > 0) || (hi[i] <= 0 && gradient[i] < 0)) }
    let gNorm = gradient.reduce(0) { $0 + $1 * $1 }.squareRoot()
    let tolerance = 1e-24 * max(gNorm * gNorm, 1e-300)
    for _ in 0...n {
      let hs = hessianTimes(s)
      var r = (0..<n).map { free[$0] ? -(gradient[$0] + hs[$0]) : 0 }
      var d = r
      var rr = r.reduce(0) { $0 + $1 * $1 }
      if rr <= tolerance { return s }
      var restart = false
      for _ in 0..<n {
        let hd = hessianTimes(d).enumerated().map { free[$0.offset] ? $0.element : 0 }
        var dHd = 0.0
        var sd = 0.0
        var dd = 0.0
        var ss = 0.0
        for i in 0..<n {
          dHd += d[i] * hd[i]
          sd += s[i] * d[i]
          dd += d[i] * d[i]
          ss += s[i] * s[i]
        }
        if dd == 0 { return s }
        let alphaTR = (-sd + (sd * sd + dd * max(delta * delta - ss, 0)).squareRoot()) / dd
        var alphaBox = Double.infinity
        var hit = -1
        for i in 0..<n where free[i] && d[i] != 0 {
          let a = d[i] > 0 ? (hi[i] - s[i]) / d[i] : (lo[i] - s[i]) / d[i]
          if a < alphaBox {
            alphaBox = max(a, 0)
            hit = i
          }
        }
        let alphaCG = dHd > 0 ? rr / dHd : .infinity
        let alpha = min(alphaCG, alphaTR, alphaBox)
        for i in 0..<n { s[i] += alpha * d[i] }
        if alpha == alphaBox && hit >= 0 {
          s[hit] = d[hit] > 0 ? hi[hit] : lo[hit]
          free[hit] = false
          restart = true
          break
        }
        if alpha == alphaTR { return s }
        for i in 0..<n { r[i] -= alpha * hd[i] }
        let rrNew = r.reduce(0) { $0 + $1 * $1 }
        if rrNew <= tolerance { return s }
        for i in 0..<n { d[i] = r[i] + (rrNew / rr) * d[i] }
        rr = rrNew
      }
      if !restart { return s }
    }
    return s
  }

  /// The values ℓ_t(x) of all Lagrange functions at x (one KKT solve), or nil if singular.
  func lagrangeValues(at x: [Double]) -> [Double]? {
    let s = scale()
    let w = scaledOffsets(s)
    let z = (0..<n).map { (x[$0] - points[best][$0]) / s }
    var rhs = [Double](repeating: 0, count: m + n + 1)
    for j in 0..<m {
      var d = 0.0
      for k in 0..<n { d += w[j][k] * z[k] }
      rhs[j] = 0.5 * d * d
    }
    rhs[m] = 1
    for k in 0..<n { rhs[m + 1 + k] = z[k] }
    guard let sol = try? kktMatrix(w).leastSquares(rhs) else { return nil }
    return Array(sol[0..<m])
  }

  /// Puts (x, f(x)) into the interpolation set in place of the point whose removal keeps the set
  /// best poised, and moves x_b if f(x) is the new least value.
  mutating func replacePoint(with x: [Double], value v: Double) {
    let improves = v < values[best]
    let anchor = improves ? x : points[best]
    let ell = lagrangeValues(at: x)
    var chosen = -1
    var bestScore = -1.0
    for t in points.indices where improves || t != best {
      let d = distance(points[t], anchor)
      let weight = max(1, d * d / (delta * delta))
      // Without Lagrange values (a singular KKT system) the farthest point goes.
      let score = ell.map { abs($0[t]) * weight } ?? d
      if score > bestScore {
        bestScore = score
        chosen = t
      }
    }
    points[chosen] = x
    values[chosen] = v
    if improves { best = chosen }
  }

  /// A point within `radius` of x_b (and in the box) that makes |ℓ_t| large, to replace point t.
  func geometryPoint(replacing t: Int, radius: Double) -> [Double]? {
    let s = scale()
    let w = scaledOffsets(s)
    var unit = [Double](repeating: 0, count: m + n + 1)
    unit[t] = 1
    guard let coef = try? kktMatrix(w).leastSquares(unit) else { return nil }
    let xb = points[best]
    // ℓ_t(x_b + s·z) = c + gᵀz + ½Σⱼλⱼ(wⱼᵀz)².
    func ell(_ x: [Double]) -> Double {
      let z = (0..<n).map { (x[$0] - xb[$0]) / s }
      var v = coef[m]
      for k in 0..<n { v += coef[m + 1 + k] * z[k] }
      for j in 0..<m {
        var d = 0.0
        for k in 0..<n { d += w[j][k] * z[k] }
        v += 0.5 * coef[j] * d * d
      }
      return v
    }
    var directions: [[Double]] = []
    directions.append((0..<n).map { coef[m + 1 + $0] })
    for j in points.indices where j != best { directions.append((0..<n).map { points[j][$0] - xb[$0] }) }
    for i in 0..<n { directions.append((0..<n).map { $0 == i ? 1 : 0 }) }
    var bestPoint: [Double]?
    var bestValue = 0.0
    for d in directions {
      let norm = d.reduce(0) { $0 + $1 * $1 }.squareRoot()
      guard norm > 0 else { continue }
      for sign in [1.0, -1.0] {
        let candidate = clip((0..<n).map { xb[$0] + sign * radius * d[$0] / norm })
        let value = abs(ell(candidate))
        if value > bestValue {
          bestValue = value
          bestPoint = candidate
        }
      }
    }
    return bestValue > 1e-12 ? bestPoint : nil
  }
}
