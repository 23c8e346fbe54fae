import LinearAlgebra

/// The per-unit least-squares terms of a (transformed) slope panel, in the form the C-Lasso
/// subproblem needs:
///
///     f_i(β) = (1/NT)‖y_i − X_iβ‖² = ½β'A_iβ − g_i'β + c_i,
///     A_i = (2/NT)X_i'X_i = Q_iΛ_iQ_i',  g_i = (2/NT)X_i'y_i,  c_i = (1/NT)‖y_i‖².
///
/// Built once per panel (and once per factor update in the interactive-effects variant):
/// one `dsyrk`, one `dgemv` and one p×p `dsyevd` per unit, O(NTp²). Afterwards nothing in the
/// C-Lasso iterations depends on T.
///
/// The p×p algebra on one unit (p is the number of regressors, a handful) is written out in
/// scalar loops: a BLAS call there costs more than its arithmetic. Everything that touches all
/// units at once goes through BLAS (`rotation` products are `dgemv`s over N·p rows).
struct UnitQuadratics: Sendable {
  let units: Int
  let p: Int
  /// λ_ij, the eigenvalues of A_i in descending order, unit-major (N·p).
  let eigenvalues: [Double]
  /// (N·p)×p; row i·p + j is the eigenvector q_ij of A_i, so `rotation · v` gives Q_i'v for every
  /// unit at once and `rotationᵀ · z` gives Σ_i Q_i z_i.
  let rotation: Matrix
  /// d_i = Q_i'g_i (N·p).
  let rotatedLinear: [Double]
  /// Σ_i A_i, Σ_i g_i and Σ_i c_i.
  let hessianSum: Matrix
  let linearSum: [Double]
  let constantSum: Double
  /// Σ_i λ_max(A_i): a Lipschitz constant of ∇Φ (each φ_i is an infimal convolution of the
  /// λ_max(A_i)-smooth f_i with a norm, hence λ_max(A_i)-smooth).
  let lipschitz: Double

  /// Throws `.invalidInput` when some unit's regressors are collinear (λ_min(A_i) ≤ 10⁻¹²·λ_max):
  /// that unit's own slope, and so its classification, is not identified.
  init(_ panel: SlopePanel) throws {
    let n = panel.units, t = panel.periods, p = panel.regressors
    let scale = 2 / Double(n * t)
    var eigenvalues = [Double](repeating: 0, count: n * p)
    var rotation = Matrix(rows: n * p, cols: p)
    var rotatedLinear = [Double](repeating: 0, count: n * p)
    var hessianSum = Matrix(rows: p, cols: p)
    var linearSum = [Double](repeating: 0, count: p)
    var constantSum = 0.0
    var lipschitz = 0.0
    for i in 0..<n {
      let xi = panel.unitRegressors(i)
      let yi = panel.unitResponse(i)
      let a = xi.gram(alpha: scale)
      let g = xi.multiplied(byVector: yi, transposeSelf: true).map { $0 * scale }
      let eig = try a.symmetricEigen()
      guard let q = eig.vectors, let top = eig.values.first, let bottom = eig.values.last, bottom > 1e-12 * top else {
        throw EstimationError.invalidInput(
          "unit \(i)'s regressors are collinear after the within (or factor) transformation, so its slopes are not identified"
        )
      }
      for j in 0..<p {
        eigenvalues[i * p + j] = eig.values[j]
        var dj = 0.0
        for l in 0..<p {
          rotation[i * p + j, l] = q[l, j]
          dj += q[l, j] * g[l]
        }
        rotatedLinear[i * p + j] = dj
      }
      hessianSum = hessianSum + a
      for l in 0..<p { linearSum[l] += g[l] }
      constantSum += dot(yi, yi) * scale / 2
      lipschitz += top
    }
    self.units = n
    self.p = p
    self.eigenvalues = eigenvalues
    self.rotation = rotation
    self.rotatedLinear = rotatedLinear
    self.hessianSum = hessianSum
    self.linearSum = linearSum
    self.constantSum = constantSum
    self.lipschitz = lipschitz
  }

  /// The unpenalised minimisers A_i⁻¹g_i (unit-by-unit least squares), N·p.
  var unitLeastSquares: [Double] {
    var beta = [Double](repeating: 0, count: units * p)
    for i in 0..<units { for j in 0..<p { addRotated(i, j, rotatedLinear[i * p + j] / eigenvalues[i * p + j], to: &beta) } }
    return beta
  }

  /// Σ_i f_i(β_i) = (1/NT)Σ_i‖y_i − X_iβ_i‖² for unit slopes β (N·p).
  func leastSquaresTerm(_ beta: [Double]) -> Double {
    var total = constantSum
    for i in 0..<units {
      for j in 0..<p {
        var b = 0.0  // (Q_i'β_i)_j
        for l in 0..<p { b += rotation[i * p + j, l] * beta[i * p + l] }
        total += 0.5 * eigenvalues[i * p + j] * b * b - rotatedLinear[i * p + j] * b
      }
    }
    return total
  }

  /// out_i += s·q_ij (unit i's block of a N·p vector).
  @inline(__always) private func addRotated(_ i: Int, _ j: Int, _ s: Double, to out: inout [Double]) {
    for l in 0..<p { out[i * p + l] += s * rotation[i * p + j, l] }
  }
}

/// The solution of one C-Lasso convex subproblem.
struct ShrinkageSolution {
  /// The common centre a (= α_k).
  var center: [Double]
  /// The unit slopes β_i (N·p).
  var slopes: [Double]
  /// The objective at (β, a).
  var objective: Double
  /// The duality gap certifying it: objective − optimum ≤ gap.
  var gap: Double
  var iterations: Int
  var converged: Bool
}

// MARK: - The convex subproblem

/// The C-Lasso subproblem for one group k (Su, Shi & Phillips 2016, the convex step of their
/// iterative algorithm), with weights w_i = (λ/N)·Π_{j≠k}‖β_i^{(j)} − α_j‖ held fixed:
///
///     min_{β_1..β_N, a}  P(β, a) = Σ_i f_i(β_i) + Σ_i w_i‖β_i − a‖₂.
///
/// **Method (exact, structure-exploiting).** For fixed a the problem separates over units, and each
/// unit's problem min_δ f_i(a + δ) + w_i‖δ‖ is solved exactly: in the eigenbasis of A_i, with
/// c = Q_i'(g_i − A_i a),
///   - ‖c‖ ≤ w_i: δ = 0 (the unit is *fused* to the centre);
///   - otherwise δ = (Λ + μI)⁻¹c with μ = w_i/‖δ‖, and t = 1/μ is the unique root of
///     Σ_j c_j²/(1 + λ_j t)² = w_i², found by safeguarded Newton on 1/√(·) − 1/w_i (linear in t
///     when p = 1) inside the bracket [(‖c‖−w)/(λ_max w), (‖c‖−w)/(λ_min w)], to machine precision.
///
/// What remains is min_a Φ(a) = Σ_i φ_i(a), φ_i(a) = min_δ f_i(a + δ) + w_i‖δ‖: the infimal
/// convolution of a smooth quadratic with a norm, hence convex and continuously differentiable
/// with ∇φ_i(a) = A_iβ_i(a) − g_i and Lipschitz gradient (constant λ_max(A_i)). Φ is minimised over
/// a ∈ ℝᵖ by Newton's method with the generalised Hessian Σ_i Q_iM_iQ_i', where M_i = Λ_i for a
/// fused unit and, for a shrunk one, M_i = diag(m) − ωω'/(u'ω) with m_j = λ_j/(1 + λ_j t),
/// u = η/‖η‖, ω_j = m_j u_j (the derivative of the exact unit solution, by Sherman–Morrison),
/// and an Armijo backtracking line search (gradient step 1/L as the fallback; once the predicted
/// decrease is below the rounding of Φ, the gradient norm is the merit — see `descend`). Each iteration costs
/// O(N·p³) plus root finds; nothing depends on T.
///
/// **Optimality check (duality gap).** The Fenchel dual is
///     max_u D(u) = Σ_i [c_i − ½(g_i − u_i)'A_i⁻¹(g_i − u_i)]  s.t. ‖u_i‖ ≤ w_i, Σ_i u_i = 0.
/// From the primal point, u_i = g_i − A_iβ_i satisfies ‖u_i‖ ≤ w_i exactly and Σ_i u_i = −∇Φ(a);
/// shifting by −(w_i/W)Σu (W = Σw) and scaling by the largest θ ≤ 1 that keeps every ‖u_i‖ ≤ w_i
/// gives a feasible dual point, so P − D(u) ≥ P − P* certifies the objective. The solver stops when
/// gap ≤ tolerance·P + 10⁻¹⁴·Σ_i c_i (the second term is rounding in P), or after `maxIterations`
/// Newton steps (reported as not converged).
extension UnitQuadratics {
  func minimiseShrinkage(weights w: [Double], start: [Double], tolerance: Double, maxIterations: Int)
    -> ShrinkageSolution
  {
    precondition(w.count == units && start.count == p, "one weight per unit and a p-vector start")
    let totalWeight = w.reduce(0, +)
    if totalWeight == 0 {
      // Every unit is free (fused to another group): β_i is its own least-squares fit, a is arbitrary.
      let beta = unitLeastSquares
      return ShrinkageSolution(
        center: start, slopes: beta, objective: leastSquaresTerm(beta), gap: 0, iterations: 0, converged: true)
    }
    let floor = 1e-14 * constantSum
    var point = evaluate(start, w)
    var gap = dualityGap(point, w, totalWeight)
    var iterations = 0
    while gap > tolerance * point.value + floor && iterations < maxIterations {
      iterations += 1
      guard let next = descend(from: point, w) else { break }  // no progress is representable
      point = next
      gap = dualityGap(point, w, totalWeight)
    }
    var beta = [Double](repeating: 0, count: units * p)
    for i in 0..<units {
      for l in 0..<p { beta[i * p + l] = point.a[l] }
      for j in 0..<p where point.eta[i * p + j] != 0 {
        for l in 0..<p { beta[i * p + l] += point.eta[i * p + j] * rotation[i * p + j, l] }
      }
    }
    return ShrinkageSolution(
      center: point.a, slopes: beta, objective: point.value, gap: gap, iterations: iterations,
      converged: gap <= tolerance * point.value + floor)
  }

  /// Φ at a point, with what the gradient, the Hessian and the duality gap need.
  private struct Point {
    var a: [Double]
    var value: Double
    var gradient: [Double]
    /// c_i = Q_i'(g_i − A_i a) and the exact unit solutions η_i = Q_i'δ_i (N·p).
    var c: [Double]
    var eta: [Double]
    /// Per unit: 0 when fused, +∞ when free (w_i = 0), otherwise t_i = 1/μ_i.
    var t: [Double]
  }

  private func evaluate(_ a: [Double], _ w: [Double]) -> Point {
    let n = units
    let ra = rotation.multiplied(byVector: a)  // Q_i'a for every unit
    var c = [Double](repeating: 0, count: n * p)
    var eta = [Double](repeating: 0, count: n * p)
    var z = [Double](repeating: 0, count: n * p)  // Λ_iη_i
    var t = [Double](repeating: 0, count: n)
    var unitTerms = 0.0
    for i in 0..<n {
      let o = i * p
      for j in 0..<p { c[o + j] = rotatedLinear[o + j] - eigenvalues[o + j] * ra[o + j] }
      t[i] = shrink(o, w[i], c, &eta)
      var term = 0.0, norm2 = 0.0
      for j in 0..<p {
        let e = eta[o + j], lam = eigenvalues[o + j]
        term += (0.5 * lam * e - c[o + j]) * e
        norm2 += e * e
        z[o + j] = lam * e
      }
      unitTerms += term + w[i] * norm2.squareRoot()
    }
    // Φ(a) = Σ f_i(a) + Σ_i [−c_i'η_i + ½η_i'Λ_iη_i + w_i‖η_i‖],  ∇Φ(a) = Σ_i (A_iβ_i − g_i).
    let sa = hessianSum.multiplied(byVector: a)
    let qz = rotation.multiplied(byVector: z, transposeSelf: true)
    var value = constantSum + unitTerms
    var gradient = [Double](repeating: 0, count: p)
    for l in 0..<p {
      value += (0.5 * sa[l] - linearSum[l]) * a[l]
      gradient[l] = sa[l] - linearSum[l] + qz[l]
    }
    return Point(a: a, value: value, gradient: gradient, c: c, eta: eta, t: t)
  }

  /// The exact minimiser of −c'η + ½η'Λη + w‖η‖ for unit block `o`, written into `eta`; returns t.
  @inline(__always)
  private func shrink(_ o: Int, _ w: Double, _ c: [Double], _ eta: inout [Double]) -> Double {
    if w == 0 {
      for j in 0..<p { eta[o + j] = c[o + j] / eigenvalues[o + j] }
      return .infinity
    }
    var cn2 = 0.0
    for j in 0..<p { cn2 += c[o + j] * c[o + j] }
    let cn = cn2.squareRoot()
    if cn <= w {
      for j in 0..<p { eta[o + j] = 0 }
      return 0
    }
    let lmax = eigenvalues[o], lmin = eigenvalues[o + p - 1]
    var lo = (cn - w) / (lmax * w), hi = (cn - w) / (lmin * w)
    var t = lo
    let inverseW = 1 / w
    for _ in 0..<100 {
      var g = 0.0, dg = 0.0
      for j in 0..<p {
        let lam = eigenvalues[o + j]
        let q = 1 / (1 + lam * t)
        let cq2 = c[o + j] * c[o + j] * q * q
        g += cq2
        dg -= 2 * lam * cq2 * q
      }
      let s = g.squareRoot()
      let psi = 1 / s - inverseW  // increasing in t, zero at the root
      if psi == 0 { break }
      if psi < 0 { lo = t } else { hi = t }
      var next = t - psi / (-0.5 * dg / (g * s))
      if !(next > lo && next < hi) { next = 0.5 * (lo + hi) }
      let done = abs(next - t) <= 2 * Double.ulpOfOne * next
      t = next
      if done { break }
    }
    for j in 0..<p { eta[o + j] = c[o + j] * t / (1 + eigenvalues[o + j] * t) }
    return t
  }

  /// One damped Newton step on Φ; nil when neither the Newton nor the gradient direction makes
  /// progress (the iterate is optimal to rounding).
  ///
  /// Merit: a strict Armijo decrease of Φ (c₁ = 10⁻⁴, step halving). Close to the optimum the
  /// predicted decrease −½∇Φ'd falls below the rounding of Φ itself (10⁻¹³·|Φ|) while the gradient —
  /// which the duality gap is linear in — is still ~10⁻⁸; there the merit is ‖∇Φ‖ instead (a step
  /// is taken if it lowers the gradient norm without raising Φ beyond rounding), so the iteration
  /// keeps its quadratic convergence down to the gap tolerance.
  private func descend(from point: Point, _ w: [Double]) -> Point? {
    let grad = point.gradient
    let gradNorm = grad.reduce(0) { $0 + $1 * $1 }
    var directions: [[Double]] = []
    if let d = newtonDirection(point, w), zip(d, grad).reduce(0, { $0 + $1.0 * $1.1 }) < 0 { directions.append(d) }
    directions.append(grad.map { -$0 / lipschitz })
    let roundingLevel = 1e-13 * abs(point.value)
    for d in directions {
      let slope = zip(d, grad).reduce(0) { $0 + $1.0 * $1.1 }
      let flat = -slope <= roundingLevel
      var step = 1.0
      for _ in 0..<60 {
        let trial = evaluate(zip(point.a, d).map { $0 + step * $1 }, w)
        if flat {
          let trialNorm = trial.gradient.reduce(0) { $0 + $1 * $1 }
          if trialNorm < gradNorm && trial.value <= point.value + roundingLevel { return trial }
        } else if trial.value < point.value + 1e-4 * step * slope {
          return trial
        }
        step *= 0.5
      }
    }
    return nil
  }

  /// −H⁻¹∇Φ with H the generalised Hessian (see the extension's documentation) plus a 10⁻¹²·tr(H)/p
  /// ridge; nil when H is numerically singular.
  private func newtonDirection(_ point: Point, _ w: [Double]) -> [Double]? {
    var h = Matrix(rows: p, cols: p)
    var m = [Double](repeating: 0, count: p)
    var omega = [Double](repeating: 0, count: p)
    var zq = [Double](repeating: 0, count: p)
    for i in 0..<units where w[i] > 0 {
      let o = i * p, t = point.t[i]
      var rho = 0.0
      if t == 0 {
        for j in 0..<p { m[j] = eigenvalues[o + j] }
      } else {
        var norm2 = 0.0
        for j in 0..<p { norm2 += point.eta[o + j] * point.eta[o + j] }
        let inverseNorm = 1 / norm2.squareRoot()
        for j in 0..<p {
          let lam = eigenvalues[o + j]
          let u = point.eta[o + j] * inverseNorm
          m[j] = lam / (1 + lam * t)
          omega[j] = m[j] * u
          rho += u * omega[j]
        }
      }
      // h += Σ_j m_j q_j q_j' − (Qω)(Qω)'/ρ
      for l in 0..<p { zq[l] = 0 }
      for j in 0..<p {
        for l in 0..<p {
          let ql = rotation[o + j, l]
          if rho > 0 { zq[l] += omega[j] * ql }
          for k in 0...l { h[l, k] += m[j] * ql * rotation[o + j, k] }
        }
      }
      if rho > 0 { for l in 0..<p { for k in 0...l { h[l, k] -= zq[l] * zq[k] / rho } } }
    }
    var trace = 0.0
    for l in 0..<p { trace += h[l, l] }
    for l in 0..<p { h[l, l] += 1e-12 * trace / Double(p) }
    h.symmetrizeFromLower()
    guard trace > 0, let chol = try? Cholesky(h), let d = try? chol.solve(point.gradient) else { return nil }
    return d.map { -$0 }
  }

  /// P − D(u) for the feasible dual point built from the primal point (see the documentation).
  private func dualityGap(_ point: Point, _ w: [Double], _ totalWeight: Double) -> Double {
    let r = point.gradient.map { -$0 }  // Σ_i u_i
    let rr = rotation.multiplied(byVector: r)  // Q_i'r
    var u = [Double](repeating: 0, count: units * p)
    var theta = 1.0
    for i in 0..<units where w[i] > 0 {
      let o = i * p, share = w[i] / totalWeight
      var norm2 = 0.0
      for j in 0..<p {
        let v = point.c[o + j] - eigenvalues[o + j] * point.eta[o + j] - share * rr[o + j]
        u[o + j] = v
        norm2 += v * v
      }
      let norm = norm2.squareRoot()
      if norm > w[i] { theta = min(theta, w[i] / norm) }
    }
    var dual = constantSum
    for k in 0..<(units * p) {
      let v = rotatedLinear[k] - theta * u[k]
      dual -= 0.5 * v * v / eigenvalues[k]
    }
    return point.value - dual
  }
}
