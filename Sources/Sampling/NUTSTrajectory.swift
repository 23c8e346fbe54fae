import Foundation
import RandomStreams

/// What one NUTS transition did.
struct TransitionInfo {
  /// Mean over the trajectory's leapfrog steps of min(1, e^{H₀ − H}): the statistic that step-size
  /// adaptation drives to δ.
  var acceptance: Double
  var leapfrogSteps: Int
  /// Completed doublings.
  var depth: Int
  var divergent: Bool
  /// Signed number of leapfrog steps from the start to the selected point (0: the chain did not move).
  var sampleIndex: Int
}

/// The state and preallocated buffers of one chain's trajectory building: multinomial NUTS with the
/// generalised no-U-turn criterion, as in Stan ≥ 2.26 (stan/mcmc/hmc/nuts/base_nuts.hpp; Hoffman &
/// Gelman 2014; Betancourt 2017, "A Conceptual Introduction to Hamiltonian Monte Carlo",
/// arXiv:1701.02434, appendix A), for a diagonal Euclidean metric.
///
/// H(θ, p) = −log p(θ) + ½ pᵀM⁻¹p with p ~ N(0, M). A transition draws p, then doubles the
/// trajectory forward or backward in time (each with probability ½) by a subtree of 2^depth leapfrog
/// steps until the no-U-turn criterion fails, a subtree is invalid (divergent or internally U-turning)
/// or `maxDepth` doublings are done.
/// - **Sampling.** Every state z has weight e^{H₀ − H(z)}. Within a subtree the proposal is
///   multinomial (the final half's proposal replaces the initial half's with probability
///   w_final/(w_init + w_final)); at the top level the new subtree's proposal replaces the current
///   sample with probability min(1, w_new/w_old) (biased progressive sampling, which favours the
///   states far from the start).
/// - **Criterion.** With ρ the sum of the momenta over a (sub)trajectory and p♯ = M⁻¹p at its two
///   ends, it continues while p♯₋·ρ > 0 and p♯₊·ρ > 0. After each merge the criterion is also
///   checked over each half extended by the first state of the other (Stan's extra checks, which
///   catch U-turns that fall across the merge boundary of two subtrees).
/// - **Divergence.** A step with H − H₀ > 1000 (or an undefined H) ends the transition; the subtree
///   it belongs to is discarded.
///
/// All vectors live in one allocation; a subtree at depth k uses the level-k scratch vectors and
/// proposal slot 2 + k, so nothing is allocated per step. Positions and gradients handed to the
/// target are the `[Double]` arrays `q` and `g`, mutated in place.
final class Trajectory {
  let d: Int
  let maxDepth: Int
  var stepSize = 1.0
  /// The current integrator state: position, gradient, log density, momentum (`p`), and the signed
  /// step count from the transition's start. `q` and `g` are touched only by this class, never
  /// overlapping, so their dynamic exclusivity checks (about a fifth of the per-step overhead on a
  /// cheap target) are switched off.
  @exclusivity(unchecked) var q: [Double]
  @exclusivity(unchecked) var g: [Double]
  var logp = 0.0
  var index = 0
  var gradientEvaluations = 0

  private let storage: UnsafeMutablePointer<Double>
  private let scalars: UnsafeMutablePointer<Double>
  private let indices: UnsafeMutablePointer<Int>
  let inverseMetric: UnsafeMutablePointer<Double>
  private let momentumSD: UnsafeMutablePointer<Double>
  private let p: UnsafeMutablePointer<Double>
  private let fwdQ, fwdP, fwdG, bckQ, bckP, bckG: UnsafeMutablePointer<Double>
  private let pFwdFwd, pFwdBck, pBckFwd, pBckBck, rho, rhoFwd, rhoBck: UnsafeMutablePointer<Double>
  /// Proposal slots: 0 the current sample, 1 the top-level subtree's proposal, 2 + k the final
  /// half's proposal of a depth-k subtree. Each holds θ, ∇ log p, log p, and the step index.
  private let proposalQ, proposalG: UnsafeMutablePointer<Double>
  private let proposalLogp: UnsafeMutablePointer<Double>
  private let proposalIndex: UnsafeMutablePointer<Int>
  /// Per-level scratch: momentum at the end of the initial half, at the start of the final half,
  /// and the halves' momentum sums.
  private let pInitEnd, pFinalBeg, rhoInit, rhoFinal: UnsafeMutablePointer<Double>

  private var fwdLogp = 0.0, bckLogp = 0.0
  private var fwdIndex = 0, bckIndex = 0
  private var h0 = 0.0
  private var leapfrogs = 0
  private var sumMetropolis = 0.0
  private var divergent = false

  static let maxEnergyError = 1000.0

  init(dimension d: Int, maxDepth: Int) {
    self.d = d
    self.maxDepth = maxDepth
    q = [Double](repeating: 0, count: d)
    g = [Double](repeating: 0, count: d)
    let levels = maxDepth + 1
    let slots = maxDepth + 3
    let count = 16 * d + 2 * slots * d + 4 * levels * d
    storage = .allocate(capacity: count)
    storage.initialize(repeating: 0, count: count)
    scalars = .allocate(capacity: slots)
    scalars.initialize(repeating: 0, count: slots)
    indices = .allocate(capacity: slots)
    indices.initialize(repeating: 0, count: slots)
    var next = storage
    func take(_ n: Int = 1) -> UnsafeMutablePointer<Double> {
      defer { next += n * d }
      return next
    }
    inverseMetric = take()
    momentumSD = take()
    p = take()
    fwdQ = take()
    fwdP = take()
    fwdG = take()
    bckQ = take()
    bckP = take()
    bckG = take()
    pFwdFwd = take()
    pFwdBck = take()
    pBckFwd = take()
    pBckBck = take()
    rho = take()
    rhoFwd = take()
    rhoBck = take()
    proposalQ = take(slots)
    proposalG = take(slots)
    pInitEnd = take(levels)
    pFinalBeg = take(levels)
    rhoInit = take(levels)
    rhoFinal = take(levels)
    proposalLogp = scalars
    proposalIndex = indices
    for i in 0..<d { inverseMetric[i] = 1 }
    metricChanged()
  }

  deinit {
    storage.deallocate()
    scalars.deallocate()
    indices.deallocate()
  }

  // MARK: The current sample

  var sampleQ: UnsafePointer<Double> { UnsafePointer(proposalQ) }
  var sampleG: UnsafePointer<Double> { UnsafePointer(proposalG) }
  var sampleLogp: Double { proposalLogp[0] }

  /// Evaluates the target at `theta`, making it the current sample; returns whether log p and its
  /// gradient are finite.
  func setSample<T: LogDensity>(_ theta: [Double], target: T) -> Bool {
    for i in 0..<d { q[i] = theta[i] }
    evaluate(target)
    storeProposal(0)
    guard logp.isFinite else { return false }
    for i in 0..<d where !g[i].isFinite { return false }
    return true
  }

  /// Recomputes the momentum scale √M = 1/√(M⁻¹) after `inverseMetric` changed.
  func metricChanged() {
    for i in 0..<d { momentumSD[i] = 1 / inverseMetric[i].squareRoot() }
  }

  // MARK: Dynamics

  @inline(__always) private func evaluate<T: LogDensity>(_ target: T) {
    logp = target.logDensity(q, gradient: &g)
    gradientEvaluations += 1
  }

  @inline(__always) private func drawMomentum(_ stream: RandomStream) {
    for i in 0..<d { p[i] = stream.normal() * momentumSD[i] }
  }

  /// ½ pᵀM⁻¹p.
  @inline(__always) private func kinetic() -> Double {
    var s = 0.0
    for i in 0..<d { s += inverseMetric[i] * p[i] * p[i] }
    return 0.5 * s
  }

  /// H of the current state, +∞ where it is undefined.
  @inline(__always) private func hamiltonian() -> Double {
    let h = -logp + kinetic()
    return h.isNaN ? .infinity : h
  }

  /// One leapfrog step of signed size `e` (negative integrates backward in time).
  @inline(__always) private func leapfrog<T: LogDensity>(_ e: Double, _ target: T) {
    let half = 0.5 * e
    let p = self.p, m = inverseMetric, d = self.d
    g.withUnsafeBufferPointer { g in for i in 0..<d { p[i] += half * g[i] } }
    q.withUnsafeMutableBufferPointer { q in for i in 0..<d { q[i] += e * m[i] * p[i] } }
    evaluate(target)
    g.withUnsafeBufferPointer { g in for i in 0..<d { p[i] += half * g[i] } }
  }

  // MARK: Copies

  @inline(__always) private func copy(_ from: UnsafePointer<Double>, _ to: UnsafeMutablePointer<Double>) {
    to.update(from: from, count: d)
  }

  @inline(__always) private func storeProposal(_ slot: Int) {
    let o = slot * d
    q.withUnsafeBufferPointer { copy($0.baseAddress!, proposalQ + o) }
    g.withUnsafeBufferPointer { copy($0.baseAddress!, proposalG + o) }
    proposalLogp[slot] = logp
    proposalIndex[slot] = index
  }

  @inline(__always) private func copyProposal(_ from: Int, _ to: Int) {
    copy(proposalQ + from * d, proposalQ + to * d)
    copy(proposalG + from * d, proposalG + to * d)
    proposalLogp[to] = proposalLogp[from]
    proposalIndex[to] = proposalIndex[from]
  }

  @inline(__always) private func load(
    _ sq: UnsafePointer<Double>, _ sp: UnsafePointer<Double>, _ sg: UnsafePointer<Double>, _ lp: Double, _ i: Int
  ) {
    q.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: sq, count: d) }
    g.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: sg, count: d) }
    copy(sp, p)
    logp = lp
    index = i
  }

  /// Makes the current sample (slot 0) the integrator's position, gradient and log density.
  @inline(__always) private func loadSample() {
    q.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: proposalQ, count: d) }
    g.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: proposalG, count: d) }
    logp = proposalLogp[0]
    index = 0
  }

  @inline(__always) private func save(
    _ sq: UnsafeMutablePointer<Double>, _ sp: UnsafeMutablePointer<Double>, _ sg: UnsafeMutablePointer<Double>
  ) {
    q.withUnsafeBufferPointer { copy($0.baseAddress!, sq) }
    g.withUnsafeBufferPointer { copy($0.baseAddress!, sg) }
    copy(p, sp)
  }

  /// p♯ₐ·ρ > 0 and p♯_b·ρ > 0 with p♯ = M⁻¹p and ρ = ρ₀ (+ extra, when given).
  @inline(__always) private func criterion(
    _ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ rho0: UnsafePointer<Double>,
    plus extra: UnsafePointer<Double>? = nil
  ) -> Bool {
    let m = inverseMetric
    var sa = 0.0, sb = 0.0
    if let extra {
      for i in 0..<d {
        let r = m[i] * (rho0[i] + extra[i])
        sa += a[i] * r
        sb += b[i] * r
      }
    } else {
      for i in 0..<d {
        let r = m[i] * rho0[i]
        sa += a[i] * r
        sb += b[i] * r
      }
    }
    return sa > 0 && sb > 0
  }

  @inline(__always) private static func logSumExp(_ a: Double, _ b: Double) -> Double {
    if a == -.infinity { return b }
    if b == -.infinity { return a }
    return a > b ? a + log1p(exp(b - a)) : b + log1p(exp(a - b))
  }

  // MARK: Transition

  /// One NUTS transition from the current sample (proposal slot 0), which it replaces.
  func transition<T: LogDensity>(_ target: T, stream: RandomStream) -> TransitionInfo {
    loadSample()
    drawMomentum(stream)
    h0 = hamiltonian()
    proposalIndex[0] = 0
    save(fwdQ, fwdP, fwdG)
    save(bckQ, bckP, bckG)
    fwdLogp = logp
    bckLogp = logp
    fwdIndex = 0
    bckIndex = 0
    copy(p, pFwdFwd)
    copy(p, pFwdBck)
    copy(p, pBckFwd)
    copy(p, pBckBck)
    copy(p, rho)
    var logSumWeight = 0.0
    leapfrogs = 0
    sumMetropolis = 0
    divergent = false
    var depth = 0

    while depth < maxDepth {
      var logSumWeightSubtree = -Double.infinity
      let valid: Bool
      if stream.uniform() > 0.5 {
        load(fwdQ, fwdP, fwdG, fwdLogp, fwdIndex)
        copy(rho, rhoBck)
        copy(pFwdFwd, pBckFwd)
        rhoFwd.update(repeating: 0, count: d)
        valid = buildTree(
          depth: depth, proposal: 1, pBeg: pFwdBck, pEnd: pFwdFwd, rho: rhoFwd, sign: 1,
          logSumWeight: &logSumWeightSubtree, target: target, stream: stream)
        save(fwdQ, fwdP, fwdG)
        fwdLogp = logp
        fwdIndex = index
      } else {
        load(bckQ, bckP, bckG, bckLogp, bckIndex)
        copy(rho, rhoFwd)
        copy(pBckBck, pFwdBck)
        rhoBck.update(repeating: 0, count: d)
        valid = buildTree(
          depth: depth, proposal: 1, pBeg: pBckFwd, pEnd: pBckBck, rho: rhoBck, sign: -1,
          logSumWeight: &logSumWeightSubtree, target: target, stream: stream)
        save(bckQ, bckP, bckG)
        bckLogp = logp
        bckIndex = index
      }
      if !valid { break }
      depth += 1

      if logSumWeightSubtree > logSumWeight {
        copyProposal(1, 0)
      } else if stream.uniform() < exp(logSumWeightSubtree - logSumWeight) {
        copyProposal(1, 0)
      }
      logSumWeight = Self.logSumExp(logSumWeight, logSumWeightSubtree)

      for i in 0..<d { rho[i] = rhoBck[i] + rhoFwd[i] }
      let persist =
        criterion(pBckBck, pFwdFwd, rho)
        && criterion(pBckBck, pFwdBck, rhoBck, plus: pFwdBck)
        && criterion(pBckFwd, pFwdFwd, rhoFwd, plus: pBckFwd)
      if !persist { break }
    }
    return TransitionInfo(
      acceptance: sumMetropolis / Double(leapfrogs), leapfrogSteps: leapfrogs, depth: depth,
      divergent: divergent, sampleIndex: proposalIndex[0])
  }

  /// Builds a subtree of 2^depth steps from the current state in direction `sign`, accumulating its
  /// momenta into `rho` and its log weight into `logSumWeight`, leaving its multinomial proposal in
  /// slot `proposal` and its end momenta in `pBeg` (nearest the start) and `pEnd`. Returns false if
  /// it diverged or U-turned internally.
  private func buildTree<T: LogDensity>(
    depth: Int, proposal: Int, pBeg: UnsafeMutablePointer<Double>, pEnd: UnsafeMutablePointer<Double>,
    rho: UnsafeMutablePointer<Double>, sign: Double, logSumWeight: inout Double, target: T,
    stream: RandomStream
  ) -> Bool {
    if depth == 0 {
      leapfrog(sign * stepSize, target)
      index += sign > 0 ? 1 : -1
      leapfrogs += 1
      let h = hamiltonian()
      if h - h0 > Self.maxEnergyError { divergent = true }
      logSumWeight = Self.logSumExp(logSumWeight, h0 - h)
      sumMetropolis += h0 - h > 0 ? 1 : exp(h0 - h)
      storeProposal(proposal)
      for i in 0..<d { rho[i] += p[i] }
      copy(p, pBeg)
      copy(p, pEnd)
      return !divergent
    }
    let o = depth * d
    let pInitEnd = self.pInitEnd + o, pFinalBeg = self.pFinalBeg + o
    let rhoInit = self.rhoInit + o, rhoFinal = self.rhoFinal + o
    let finalProposal = 2 + depth

    var logSumWeightInit = -Double.infinity
    rhoInit.update(repeating: 0, count: d)
    guard
      buildTree(
        depth: depth - 1, proposal: proposal, pBeg: pBeg, pEnd: pInitEnd, rho: rhoInit, sign: sign,
        logSumWeight: &logSumWeightInit, target: target, stream: stream)
    else { return false }

    var logSumWeightFinal = -Double.infinity
    rhoFinal.update(repeating: 0, count: d)
    guard
      buildTree(
        depth: depth - 1, proposal: finalProposal, pBeg: pFinalBeg, pEnd: pEnd, rho: rhoFinal, sign: sign,
        logSumWeight: &logSumWeightFinal, target: target, stream: stream)
    else { return false }

    let logSumWeightSubtree = Self.logSumExp(logSumWeightInit, logSumWeightFinal)
    logSumWeight = Self.logSumExp(logSumWeight, logSumWeightSubtree)
    if logSumWeightFinal > logSumWeightSubtree {
      copyProposal(finalProposal, proposal)
    } else if stream.uniform() < exp(logSumWeightFinal - logSumWeightSubtree) {
      copyProposal(finalProposal, proposal)
    }

    // The criterion over the merged subtree (ρ = ρ_init + ρ_final), then over each half extended by
    // the adjacent state of the other.
    let persist =
      criterion(pBeg, pEnd, rhoInit, plus: rhoFinal)
      && criterion(pBeg, pFinalBeg, rhoInit, plus: pFinalBeg)
      && criterion(pInitEnd, pEnd, rhoFinal, plus: pInitEnd)
    for i in 0..<d { rho[i] += rhoInit[i] + rhoFinal[i] }
    return persist
  }

  // MARK: Step size

  /// Stan's initial step-size heuristic (base_hmc::init_stepsize): from the current sample, one
  /// leapfrog step with fresh momentum; the step is doubled while e^{H₀ − H} > 0.8, or halved while
  /// it is below, until that changes (capped at 2⁵⁰-fold either way, where Stan throws).
  func initialiseStepSize<T: LogDensity>(_ target: T, stream: RandomStream) {
    func trialLogAcceptance() -> Double {
      loadSample()
      drawMomentum(stream)
      let start = hamiltonian()
      leapfrog(stepSize, target)
      return start - hamiltonian()
    }
    let threshold = log(0.8)
    let increase = trialLogAcceptance() > threshold
    for _ in 0..<50 {
      let delta = trialLogAcceptance()
      if increase ? !(delta > threshold) : !(delta < threshold) { break }
      stepSize = increase ? 2 * stepSize : 0.5 * stepSize
      if stepSize > 1e7 || stepSize < 1e-300 { break }
    }
  }
}
