import Foundation
import NumericalMethods

/// How a group-level random effect is integrated out of a logit likelihood.
public enum RandomEffectIntegration: Sendable, Equatable, CustomStringConvertible {
  /// The Laplace approximation (a second-order expansion of the log-integrand at its mode).
  case laplace
  /// Adaptive Gauss–Hermite quadrature with this many nodes per group (`nAGQ` in lme4); one node
  /// is the Laplace approximation, the error falls rapidly as nodes are added.
  case adaptiveGaussHermite(nodes: Int)

  public var description: String {
    switch self {
    case .laplace: "Laplace"
    case .adaptiveGaussHermite(let n): "AGQ(\(n))"
    }
  }
}

/// The per-group marginal likelihood of a logit with one Gaussian group effect, and its exact
/// derivatives:
///
///   I_g = ∫ Π_{j∈g} p(y_j | η_j + μ_g + ω_g b) φ(b) db,   p(y | e) = e^{ye}/(1 + e^e)^{t},
///
/// y_j the successes out of t_j trials (t_j = 1, the Bernoulli case, unless `trials` are given;
/// the binomial coefficient C(t_j, y_j) does not depend on the parameters and is left out),
/// for given fixed linear predictors η_j, group offsets μ_g and scales ω_g (the random-intercept
/// logit has μ_g = 0, ω_g = τ; the latent Mundlak model a group-specific pair).
///
/// With h(b) = Σ_j log p(y_j | η_j + μ + ωb) − b²/2, its mode b̂ (h′(b̂) = 0) and
/// ŝ = (−h″(b̂))^{−1/2}:
/// * Laplace: log I ≈ h(b̂) + log ŝ;
/// * adaptive Gauss–Hermite with nodes t_k and weights w_k (Liu & Pierce 1994; Pinheiro & Bates
///   1995): log I ≈ log(ŝ/√π) + log Σ_k w_k exp(h(b̂ + √2 ŝ t_k) + t_k²), which with one node (t = 0,
///   w = √π) is the Laplace formula.
///
/// Derivatives are those of the approximation itself, including the dependence of b̂ and ŝ on the
/// parameters (implicit function theorem: db̂/dθ = −h_bθ/h_bb, d log ŝ/dθ = −½(h_bbθ + h_bbb
/// db̂/dθ)/h_bb), so a quasi-Newton optimiser sees a consistent gradient:
/// d log I/dθ = Σ_k π_k h_θ(b_k) + A db̂/dθ + (1 + B) d log ŝ/dθ, with π_k the normalised node
/// weights, A = Σ_k π_k h_b(b_k) and B = Σ_k π_k h_b(b_k) √2 ŝ t_k (A = B = 0 for Laplace).
///
/// The mode is found by safeguarded Newton on the strictly decreasing h′ (h″ ≤ −1), bracketed by
/// |b̂| ≤ |ω| n_g, to |Δb| ≤ 10⁻¹²(1 + |b|) (cap 100 iterations; failure throws), warm-started at
/// the previous mode b₀ of the same group. Transcendental functions are kept out of the inner
/// loops: each evaluation computes E_j = exp(e_j(b₀)) once per individual, and the linear predictor
/// at any other b is e_j(b) = e_j(b₀) + ω(b − b₀) with exp(e_j(b)) = E_j·e^{ω(b − b₀)}, one
/// multiplication; Σ_j log(1 + e^{e_j}) is accumulated as max(e_j, 0) minus the log of a product of
/// factors q_j ∈ [½, 1] (p_j or 1 − p_j, whichever is larger), taken every 256 terms; one division
/// per term and no branch on the sign of e_j. A group whose E_j over- or underflows falls back to
/// calling `exp` for every term. Cost per evaluation: n exponentials plus O(n·(m + K)) arithmetic,
/// m ≈ 2–4 mode iterations, K nodes.
///
/// Binomial rows (`trials` given) take the scalar path throughout (the one used when E_j over- or
/// underflows: `exp` per term), with every p_j-term multiplied by t_j (residual y_j − t_j p_j, weight
/// t_j p_j(1 − p_j), log(1 + e^{e_j}) counted t_j times) and the mode bracketed by |b̂| ≤ |ω| Σ t_j; for
/// t_j = 1 that path is the Bernoulli one.
final class MarginalLogitIntegral {
  let y: [Double]
  /// Trials per row, nil for Bernoulli rows.
  let trials: [Double]?
  let groupStart: [Int]
  /// Σ_j t_j per group (the mode's bracket), nil for Bernoulli rows.
  private let groupTrials: [Double]?
  let rule: GaussHermiteRule?
  /// The last mode of each group (warm starts).
  var modes: [Double]
  private let logWeights: [Double]
  /// Scratch for the largest group: e_j(b₀), exp(e_j(b₀)), p̂_j at the mode, and y_j − p_j at each
  /// node (node-major). Owned by this object, which is used by one fit on one thread.
  private let offset: UnsafeMutableBufferPointer<Double>
  private let offsetExp: UnsafeMutableBufferPointer<Double>
  private let modeProbability: UnsafeMutableBufferPointer<Double>
  private let residuals: UnsafeMutableBufferPointer<Double>
  /// Scratch per node: log of the weighted integrand, Σ_j (y_j − p_j), normalised weight π_k.
  private let logTerms: UnsafeMutableBufferPointer<Double>
  private let nodeResiduals: UnsafeMutableBufferPointer<Double>
  private let nodeShares: UnsafeMutableBufferPointer<Double>

  init(y: [Double], trials: [Double]? = nil, groupStart: [Int], integration: RandomEffectIntegration)
    throws(EstimationError)
  {
    precondition(trials.map { $0.count == y.count } ?? true, "one trial count per row")
    self.y = y
    self.trials = trials
    self.groupStart = groupStart
    groupTrials = trials.map { t in
      (0..<(groupStart.count - 1)).map { g in t[groupStart[g]..<groupStart[g + 1]].reduce(0, +) }
    }
    switch integration {
    case .laplace:
      rule = nil
    case .adaptiveGaussHermite(let nodes):
      do {
        rule = try GaussHermiteRule(order: nodes)
      } catch {
        throw .invalidInput("\(error)")
      }
    }
    let groups = groupStart.count - 1
    modes = [Double](repeating: 0, count: groups)
    let largest = (0..<groups).map { groupStart[$0 + 1] - groupStart[$0] }.max() ?? 0
    let k = rule?.order ?? 1
    logWeights = rule?.weights.map { log($0) } ?? []
    func buffer(_ count: Int) -> UnsafeMutableBufferPointer<Double> {
      let b = UnsafeMutableBufferPointer<Double>.allocate(capacity: max(count, 1))
      b.initialize(repeating: 0)
      return b
    }
    offset = buffer(largest)
    offsetExp = buffer(largest)
    modeProbability = buffer(largest)
    residuals = buffer(largest * k)
    logTerms = buffer(k)
    nodeResiduals = buffer(k)
    nodeShares = buffer(k)
  }

  deinit {
    for b in [offset, offsetExp, modeProbability, residuals, logTerms, nodeResiduals, nodeShares] { b.deallocate() }
  }

  /// Σ_g log I_g at (η, μ, ω). When `dEta` is non-empty it receives ∂/∂η_j (length n; ∂/∂μ_g is its
  /// sum over the group) and `dOmega` receives ∂/∂ω_g (length G).
  func logLikelihood(
    eta: [Double], mu: [Double]?, omega: [Double], dEta: inout [Double], dOmega: inout [Double]
  ) throws(EstimationError) -> Double {
    let wantGradient = !dEta.isEmpty
    var total = 0.0
    let none: [Double] = []
    try eta.withUnsafeBufferPointer { etaBuffer throws(EstimationError) in
      try y.withUnsafeBufferPointer { yBuffer throws(EstimationError) in
        try (trials ?? none).withUnsafeBufferPointer { trialsBuffer throws(EstimationError) in
          try dEta.withUnsafeMutableBufferPointer { dEtaBuffer throws(EstimationError) in
            for g in 0..<(groupStart.count - 1) {
              let (logI, dOmegaG) = try group(
                g, range: groupStart[g]..<groupStart[g + 1], y: yBuffer, trials: trials == nil ? nil : trialsBuffer,
                eta: etaBuffer, shift: mu?[g] ?? 0, omega: omega[g], wantGradient: wantGradient, dEta: dEtaBuffer)
              total += logI
              if wantGradient { dOmega[g] = dOmegaG }
            }
          }
        }
      }
    }
    return total
  }

  /// log I_g and, when asked, ∂ log I_g/∂ω (returned) and ∂ log I_g/∂η_j (written to `dEta`).
  private func group(
    _ g: Int, range r: Range<Int>, y: UnsafeBufferPointer<Double>, trials: UnsafeBufferPointer<Double>?,
    eta: UnsafeBufferPointer<Double>, shift: Double, omega w: Double, wantGradient: Bool,
    dEta: UnsafeMutableBufferPointer<Double>
  ) throws(EstimationError) -> (logI: Double, dOmega: Double) {
    let n = r.count
    let first = r.lowerBound
    // |b̂| = |ω Σ(y − t p)| ≤ |ω| Σ t (= |ω| n for Bernoulli rows).
    let bound = abs(w) * (groupTrials?[g] ?? Double(n)) + 1
    var b = modes[g].isFinite ? min(max(modes[g], -bound), bound) : 0
    let b0 = b
    let binomial = trials != nil
    var direct = binomial
    /// t_j (1 for Bernoulli rows).
    @inline(__always) func trialsOf(_ i: Int) -> Double { trials?[first + i] ?? 1 }
    let base = shift + w * b0
    var i = 0
    while i + 2 <= n {
      let e = SIMD2(eta[first + i], eta[first + i + 1]) + base
      let big = exp(lanes: e)
      offset[i] = e[0]
      offset[i + 1] = e[1]
      offsetExp[i] = big[0]
      offsetExp[i + 1] = big[1]
      i += 2
    }
    if i < n {
      let e = eta[first + i] + base
      offset[i] = e
      offsetExp[i] = exp(e)
    }
    for i in 0..<n where !(offsetExp[i] > 0 && offsetExp[i].isFinite) {
      direct = true
      break
    }
    /// e_j, p_j and q_j ∈ [½, 1] with log(1 + e^{e_j}) = max(e_j, 0) − log q_j (q_j = p_j for e_j ≥ 0,
    /// 1 − p_j otherwise) at b, given m = e^{ω(b − b₀)}: one division, no branch on the sign of e_j
    /// (1/(1 + e^{e_j}) is 1 − p_j; for e_j ≥ 0 p_j = 1 − that loses nothing, and an infinite e^{e_j}
    /// gives p_j = 1, q_j = 1).
    @inline(__always) func parts(_ i: Int, _ shiftB: Double, _ m: Double) -> (e: Double, p: Double, q: Double) {
      let e = offset[i] + shiftB
      let big = direct ? exp(e) : offsetExp[i] * m
      let inverse = 1 / (1 + big)
      let p = e >= 0 ? 1 - inverse : big * inverse
      return (e, p, e >= 0 ? p : inverse)
    }
    func multiplier(_ b: Double) -> Double {
      let m = exp(w * (b - b0))
      if !(m > 0 && m.isFinite) { direct = true }
      return m
    }

    // Mode of h(b) by safeguarded Newton: h′ is strictly decreasing, so [lo, hi] brackets the root.
    var lo = -bound
    var hi = bound
    var found = false
    for _ in 0..<100 {
      let m = multiplier(b)
      let shiftB = w * (b - b0)
      var sumRes = 0.0
      var sumW = 0.0
      if direct {
        for i in 0..<n {
          let p = parts(i, shiftB, m).p
          let ti = trialsOf(i)
          sumRes += y[first + i] - ti * p
          sumW += ti * (p * (1 - p))
        }
      } else {
        (sumRes, sumW) = modeSums(n: n, y: y.baseAddress! + first, m: m)
      }
      let hb = w * sumRes - b
      let hbb = -w * w * sumW - 1
      if hb > 0 { lo = max(lo, b) } else { hi = min(hi, b) }
      var next = b - hb / hbb
      if !(next > lo && next < hi) { next = (lo + hi) / 2 }
      let moved = abs(next - b)
      b = next
      if moved <= 1e-12 * (1 + abs(b)) {
        found = true
        break
      }
    }
    guard found, b.isFinite else {
      throw .numerical("the mode of group \(g)'s random effect did not converge in 100 Newton steps")
    }
    modes[g] = b

    // Quantities at the mode.
    var sumW = 0.0
    var sumW3 = 0.0
    var sumRes = 0.0
    var linear = 0.0
    var logProduct = 0.0
    let mMode = multiplier(b)
    let shiftMode = w * (b - b0)
    if direct {
      var logQ = LogOfProduct(binomial: binomial)
      for i in 0..<n {
        let (e, p, q) = parts(i, shiftMode, mMode)
        modeProbability[i] = p
        let ti = trialsOf(i)
        let wj = ti * (p * (1 - p))
        let yj = y[first + i]
        sumW += wj
        sumW3 += wj * (1 - 2 * p)
        sumRes += yj - ti * p
        linear += yj * e - ti * max(e, 0)
        logQ.add(q, trials: ti, row: i)
      }
      logProduct = logQ.total
    } else {
      (sumW, sumW3, sumRes, linear, logProduct) = modeQuantities(
        n: n, y: y.baseAddress! + first, shiftB: shiftMode, m: mMode)
    }
    let h2 = -w * w * sumW - 1
    let h3 = -w * w * w * sumW3
    let s = 1 / (-h2).squareRoot()
    let logS = log(s)
    // ∂b̂/∂ω and ∂ log ŝ/∂ω from h_bω = Σ(y − p) − ωbΣw and h_bbω = −2ωΣw − ω²bΣw(1 − 2p).
    let hbw = sumRes - w * b * sumW
    let hbbw = -2 * w * sumW - w * w * b * sumW3
    let dModeOmega = -hbw / h2
    let dLogSOmega = -0.5 * (hbbw + h3 * dModeOmega) / h2

    guard let rule else {
      // Laplace: log I = h(b̂) + log ŝ.
      let logI = linear + logProduct - b * b / 2 + logS
      guard wantGradient else { return (logI, 0) }
      for i in 0..<n {
        let p = modeProbability[i]
        let ti = trialsOf(i)
        let wj = ti * (p * (1 - p))
        let dLogS = -0.5 * (-w * w * wj * (1 - 2 * p) + h3 * w * wj / h2) / h2
        dEta[first + i] = (y[first + i] - ti * p) + dLogS
      }
      return (logI, b * sumRes + dLogSOmega)
    }

    // Adaptive Gauss–Hermite at b_k = b̂ + √2 ŝ t_k.
    let k = rule.order
    let root2s = 2.0.squareRoot() * s
    for node in 0..<k {
      let t = rule.nodes[node]
      let bk = b + root2s * t
      let m = multiplier(bk)
      let shiftB = w * (bk - b0)
      var lin = 0.0
      var logProd = 0.0
      var sr = 0.0
      let base = node * n
      if direct {
        var logQ = LogOfProduct(binomial: binomial)
        for i in 0..<n {
          let (e, p, q) = parts(i, shiftB, m)
          let yj = y[first + i]
          let ti = trialsOf(i)
          let rj = yj - ti * p
          residuals[base + i] = rj
          sr += rj
          lin += yj * e - ti * max(e, 0)
          logQ.add(q, trials: ti, row: i)
        }
        logProd = logQ.total
      } else {
        (lin, logProd, sr) = nodeSums(
          n: n, y: y.baseAddress! + first, shiftB: shiftB, m: m, residuals: residuals.baseAddress! + base)
      }
      logTerms[node] = logWeights[node] + lin + logProd - bk * bk / 2 + t * t
      nodeResiduals[node] = sr
    }
    var top = -Double.infinity
    for node in 0..<k { top = max(top, logTerms[node]) }
    var sum = 0.0
    for node in 0..<k { sum += exp(logTerms[node] - top) }
    let lse = top + log(sum)
    let logI = lse + logS - 0.5 * log(Double.pi)
    guard wantGradient else { return (logI, 0) }

    var aSum = 0.0
    var bSum = 0.0
    var omegaTerm = 0.0
    for node in 0..<k {
      let share = exp(logTerms[node] - lse)
      nodeShares[node] = share
      let bk = b + root2s * rule.nodes[node]
      let hb = w * nodeResiduals[node] - bk
      aSum += share * hb
      bSum += share * hb * root2s * rule.nodes[node]
      omegaTerm += share * bk * nodeResiduals[node]
    }
    // ∂/∂η_j: the mode terms, then the node-weighted residuals node by node (contiguous rows).
    for i in 0..<n {
      let p = modeProbability[i]
      let wj = trialsOf(i) * (p * (1 - p))
      let dMode = w * wj / h2
      let dLogS = -0.5 * (-w * w * wj * (1 - 2 * p) + h3 * dMode) / h2
      dEta[first + i] = aSum * dMode + (1 + bSum) * dLogS
    }
    for node in 0..<k {
      let share = nodeShares[node]
      let base = node * n
      for i in 0..<n { dEta[first + i] += share * residuals[base + i] }
    }
    return (logI, omegaTerm + aSum * dModeOmega + (1 + bSum) * dLogSOmega)
  }

  /// Σ_j (y_j − p_j) and Σ_j p_j(1 − p_j) over a group at multiplier m (p_j from E_j·m, as in
  /// `parts`), two rows at a time.
  @inline(__always) private func modeSums(n: Int, y: UnsafePointer<Double>, m: Double) -> (res: Double, w: Double) {
    let ex = UnsafePointer(offsetExp.baseAddress!)
    var res = SIMD2<Double>.zero
    var weight = SIMD2<Double>.zero
    var i = 0
    while i + 2 <= n {
      let big = SIMD2(ex[i], ex[i + 1]) * m
      let inverse = 1 / (1 + big)
      let p = (big * inverse).replacing(with: 1 - inverse, where: big .>= 1)
      res += SIMD2(y[i], y[i + 1]) - p
      weight += p * (1 - p)
      i += 2
    }
    var r = res.sum()
    var s = weight.sum()
    if i < n {
      let big = ex[i] * m
      let inverse = 1 / (1 + big)
      let p = big >= 1 ? 1 - inverse : big * inverse
      r += y[i] - p
      s += p * (1 - p)
    }
    return (r, s)
  }

  /// One quadrature node's pass over a group at shift ω(b_k − b₀) and multiplier m: writes y_j − p_j
  /// to `residuals` and returns Σ_j (y_j e_j − max(e_j, 0)), Σ_j log q_j (`parts`) and Σ_j (y_j − p_j),
  /// two rows at a time.
  @inline(__always) private func nodeSums(
    n: Int, y: UnsafePointer<Double>, shiftB: Double, m: Double, residuals: UnsafeMutablePointer<Double>
  ) -> (linear: Double, logProduct: Double, residual: Double) {
    let off = UnsafePointer(offset.baseAddress!)
    let ex = UnsafePointer(offsetExp.baseAddress!)
    var linear = SIMD2<Double>.zero
    var residual = SIMD2<Double>.zero
    var product = SIMD2<Double>(repeating: 1)
    var logProduct = 0.0
    var i = 0
    while i + 2 <= n {
      let e = SIMD2(off[i], off[i + 1]) + shiftB
      let big = SIMD2(ex[i], ex[i + 1]) * m
      let inverse = 1 / (1 + big)
      let positive = e .>= 0
      let p = (big * inverse).replacing(with: 1 - inverse, where: positive)
      let yv = SIMD2(y[i], y[i + 1])
      let r = yv - p
      residuals[i] = r[0]
      residuals[i + 1] = r[1]
      residual += r
      linear += yv * e - e.replacing(with: 0, where: e .< 0)
      product *= inverse.replacing(with: p, where: positive)
      if i & 510 == 510 {
        logProduct += log(product[0] * product[1])
        product = SIMD2(repeating: 1)
      }
      i += 2
    }
    var lin = linear.sum()
    var res = residual.sum()
    var prod = product[0] * product[1]
    if i < n {
      let e = off[i] + shiftB
      let big = ex[i] * m
      let inverse = 1 / (1 + big)
      let p = e >= 0 ? 1 - inverse : big * inverse
      let r = y[i] - p
      residuals[i] = r
      res += r
      lin += y[i] * e - max(e, 0)
      prod *= e >= 0 ? p : inverse
    }
    logProduct += log(prod)
    return (lin, logProduct, res)
  }

  /// The pass at the mode (shift ω(b̂ − b₀), multiplier m): writes p_j to `modeProbability` and returns
  /// Σ w_j, Σ w_j(1 − 2p_j), Σ (y_j − p_j), Σ (y_j e_j − max(e_j, 0)) and Σ log q_j (`parts`),
  /// w_j = p_j(1 − p_j), two rows at a time.
  @inline(__always) private func modeQuantities(n: Int, y: UnsafePointer<Double>, shiftB: Double, m: Double) -> (
    w: Double, w3: Double, residual: Double, linear: Double, logProduct: Double
  ) {
    let off = UnsafePointer(offset.baseAddress!)
    let ex = UnsafePointer(offsetExp.baseAddress!)
    let probability = modeProbability.baseAddress!
    var weight = SIMD2<Double>.zero
    var weight3 = SIMD2<Double>.zero
    var residual = SIMD2<Double>.zero
    var linear = SIMD2<Double>.zero
    var product = SIMD2<Double>(repeating: 1)
    var logProduct = 0.0
    var i = 0
    while i + 2 <= n {
      let e = SIMD2(off[i], off[i + 1]) + shiftB
      let big = SIMD2(ex[i], ex[i + 1]) * m
      let inverse = 1 / (1 + big)
      let positive = e .>= 0
      let p = (big * inverse).replacing(with: 1 - inverse, where: positive)
      probability[i] = p[0]
      probability[i + 1] = p[1]
      let yv = SIMD2(y[i], y[i + 1])
      let wv = p * (1 - p)
      weight += wv
      weight3 += wv * (1 - 2 * p)
      residual += yv - p
      linear += yv * e - e.replacing(with: 0, where: e .< 0)
      product *= inverse.replacing(with: p, where: positive)
      if i & 510 == 510 {
        logProduct += log(product[0] * product[1])
        product = SIMD2(repeating: 1)
      }
      i += 2
    }
    var sums = (w: weight.sum(), w3: weight3.sum(), residual: residual.sum(), linear: linear.sum())
    var prod = product[0] * product[1]
    if i < n {
      let e = off[i] + shiftB
      let big = ex[i] * m
      let inverse = 1 / (1 + big)
      let p = e >= 0 ? 1 - inverse : big * inverse
      probability[i] = p
      let wj = p * (1 - p)
      sums.w += wj
      sums.w3 += wj * (1 - 2 * p)
      sums.residual += y[i] - p
      sums.linear += y[i] * e - max(e, 0)
      prod *= e >= 0 ? p : inverse
    }
    logProduct += log(prod)
    return (sums.w, sums.w3, sums.residual, sums.linear, logProduct)
  }
}

/// Σ_j t_j log q_j over a group's rows, for the integrals' direct loops. Bernoulli rows (t_j = 1,
/// q_j ∈ [½, 1]) multiply the q_j and take one log per 256 rows (½²⁵⁶ is far above the smallest
/// double); binomial rows add t_j log q_j. Feed rows in order with their index, then read `total`.
private struct LogOfProduct {
  let binomial: Bool
  private var sum = 0.0
  private var product = 1.0

  init(binomial: Bool) { self.binomial = binomial }

  @inline(__always) mutating func add(_ q: Double, trials t: Double, row i: Int) {
    if binomial {
      sum += t * log(q)
    } else {
      product *= q
      if i & 255 == 255 {
        sum += log(product)
        product = 1
      }
    }
  }

  var total: Double { sum + log(product) }
}

/// e^x in two lanes at once, for the integrals' per-row exponentials: x = k ln 2 + r with |r| ≤ ½ ln 2
/// (k rounded by adding 1.5·2⁵², ln 2 in two parts as in fdlibm so k·ln2_hi is exact), e^r by its
/// Taylor polynomial of degree 13 (truncation below 5e-18 relative) and 2^k written into the
/// exponent bits: within a few ulp of `exp`. Below −708 it returns 0 and above 709 +∞ (callers
/// treat both as out of range and fall back to `exp`); NaN stays NaN.
@inline(__always) func exp(lanes x: SIMD2<Double>) -> SIMD2<Double> {
  let magic = SIMD2<Double>(repeating: 6_755_399_441_055_744)  // 1.5·2⁵²
  // Clamped by selects (pointwiseMin/Max are not inlined).
  let clamped = x.replacing(with: -708, where: x .< -708).replacing(with: 709, where: x .> 709)
  let shifted = clamped * 1.442_695_040_888_963_4 + magic
  let k = shifted - magic
  let r = (clamped - k * 6.931_471_803_691_238_164_90e-01) - k * 1.908_214_929_270_587_700_02e-10
  var poly = SIMD2<Double>(repeating: 1.0 / 6_227_020_800)  // 1/13!
  poly = poly * r + 1.0 / 479_001_600
  poly = poly * r + 1.0 / 39_916_800
  poly = poly * r + 1.0 / 3_628_800
  poly = poly * r + 1.0 / 362_880
  poly = poly * r + 1.0 / 40_320
  poly = poly * r + 1.0 / 5_040
  poly = poly * r + 1.0 / 720
  poly = poly * r + 1.0 / 120
  poly = poly * r + 1.0 / 24
  poly = poly * r + 1.0 / 6
  poly = poly * r + 0.5
  poly = poly * r + 1
  poly = poly * r + 1
  let kBits = unsafeBitCast(shifted, to: SIMD2<Int64>.self) &- unsafeBitCast(magic, to: SIMD2<Int64>.self)
  let scale = unsafeBitCast((kBits &+ 1023) &<< 52, to: SIMD2<Double>.self)
  var result = poly * scale
  result.replace(with: 0, where: x .< -708)
  result.replace(with: .infinity, where: x .> 709)
  result.replace(with: .nan, where: x .!= x)
  return result
}
