internal import CKernels
import Foundation
import Sampling

/// The five Bayesian logits of the confounded-logit example (Docs/BinaryChoice.md, the Bayesian
/// section). Each is a `ConfoundingPosterior`; the raw values are the names the reference script
/// (scripts/reference/confounding_models.py) uses.
public enum ConfoundingModel: String, Sendable, CaseIterable {
  /// a0, bxy, bzy ~ N(0, 1); logit p_j = a0 + bxy x_j + bzy z_g.
  case naive
  /// a0_g ~ N(0, 10) per group; bxy, bzy ~ N(0, 1); logit p_j = a0_g + bxy x_j + bzy z_g.
  case fixedEffects = "fixed-effects"
  /// Non-centred random intercept: bxy, bzy, ā ~ N(0, 1), τ ~ Exponential(1), e_g ~ N(ā, 1),
  /// a_g = ā + τ e_g; logit p_j = a_g + bxy x_j + bzy z_g.
  case multilevel
  /// `multilevel` plus buy ~ N(0, 1) times the group mean x̄_g.
  case mundlak
  /// `multilevel` plus a latent u_g ~ N(0, 1) with x_j ~ N(a_x + bux u_g, σ) as a second
  /// likelihood (bux, buy, a_x ~ N(0, 1), σ ~ Exponential(1)) and buy u_g in the logit.
  case latentMundlak = "latent-mundlak"

  /// Whether the model has a group-level scale τ, which one group cannot inform.
  var isHierarchical: Bool { self == .multilevel || self == .mundlak || self == .latentMundlak }
}

/// The posterior of one `ConfoundingModel` on one data set, as a log density of the unconstrained
/// parameters θ (τ and σ enter as log τ, log σ, PyMC's default transform, with the log-Jacobian
/// added), with its analytic gradient, for a gradient-based sampler.
///
/// The density includes every normalising constant of the priors and likelihoods, so it equals
/// PyMC's `model.compile_logp()` (jacobian included) at the same point, not just up to a constant.
///
/// Coordinates, in `parameterNames` order (G = `data.groupCount`, indices 0-based as ArviZ prints):
/// - naive: bxy, bzy, a0
/// - fixed-effects: bxy, bzy, a0[0] … a0[G−1]
/// - multilevel: bxy, bzy, a_bar, tau, e[0] … e[G−1]
/// - mundlak: bxy, bzy, buy, a_bar, tau, e[…]
/// - latent-mundlak: bxy, bzy, buy, a_bar, tau, bux, a_x, sigma, e[…], u[…]
/// where the θ coordinate of tau (sigma) is log τ (log σ).
///
/// One evaluation is one pass over the individuals: they are stored group by group, and a
/// vectorised kernel (eight individuals at a time, on AVX-512 or AVX2 where the machine has them)
/// returns each group's sum of probabilities p, from which with Σ y per group (computed once) the
/// group-level gradient terms follow;
/// the x likelihood of latent-mundlak uses per-group sufficient statistics computed once. Nothing is allocated per call and nothing is mutated but the caller's gradient:
/// the value holds only immutable arrays, so one posterior may be used from any number of threads
/// at once.
public struct ConfoundingPosterior: LogDensity, Sendable {
  public let model: ConfoundingModel
  public let dimension: Int
  /// Natural-scale names, one per coordinate (the PyMC variable names of the reference script,
  /// vector elements as `e[3]`).
  public let parameterNames: [String]

  let y: [Double]
  let x: [Double]
  let z: [Double]
  let groupStart: [Int]
  /// x̄_g, n_g, Σ_j (x_j − x̄_g)² and Σ_j y_j per group, and Σ_j y_j x_j.
  let groupMean: [Double]
  let groupSize: [Double]
  let withinSquares: [Double]
  let groupSuccesses: [Double]
  let successX: Double
  /// Coordinates (−1 where the model lacks the parameter).
  let layout: Layout
  /// The normalising constants of all normal densities (priors and the x likelihood).
  let constant: Double

  struct Layout: Sendable {
    var bxy = 0, bzy = 1, a0 = -1, groupIntercepts = -1, aBar = -1, logTau = -1, buy = -1
    var bux = -1, ax = -1, logSigma = -1, e = -1, u = -1
  }

  /// Checks the data for this model. Throws `.invalidInput` for data without individuals,
  /// non-binary y or non-finite x or z (normally already refused by `GroupedBinaryData`) and for a
  /// hierarchical model (multilevel, mundlak, latent-mundlak) on fewer than two groups.
  public init(_ model: ConfoundingModel, data: GroupedBinaryData) throws(EstimationError) {
    guard data.count > 0, data.groupCount > 0 else { throw .invalidInput("there are no individuals") }
    guard data.y.allSatisfy({ $0 == 0 || $0 == 1 }) else { throw .invalidInput("y must be 0 or 1") }
    guard data.x.allSatisfy(\.isFinite), data.z.allSatisfy(\.isFinite) else {
      throw .invalidInput("x and z must be finite")
    }
    let groups = data.groupCount
    if model.isHierarchical && groups < 2 {
      throw .invalidInput("the \(model.rawValue) model needs at least 2 groups to learn a group-level scale, not \(groups)")
    }
    self.model = model
    y = data.y
    x = data.x
    z = data.z
    groupStart = data.groupStart
    var mean = [Double](repeating: 0, count: groups)
    var size = [Double](repeating: 0, count: groups)
    var squares = [Double](repeating: 0, count: groups)
    var successes = [Double](repeating: 0, count: groups)
    var successX = 0.0
    for g in 0..<groups {
      let r = data.range(g)
      size[g] = Double(r.count)
      mean[g] = data.x[r].reduce(0, +) / size[g]
      squares[g] = data.x[r].reduce(0) { $0 + ($1 - mean[g]) * ($1 - mean[g]) }
      for j in r {
        successes[g] += data.y[j]
        successX += data.y[j] * data.x[j]
      }
    }
    groupMean = mean
    groupSize = size
    withinSquares = squares
    groupSuccesses = successes
    self.successX = successX

    var l = Layout()
    var names = ["bxy", "bzy"]
    func add(_ name: String) -> Int {
      names.append(name)
      return names.count - 1
    }
    func addVector(_ name: String) -> Int {
      let first = names.count
      names += (0..<groups).map { "\(name)[\($0)]" }
      return first
    }
    let halfLog2Pi = 0.5 * log(2 * Double.pi)
    var normals = 2.0  // N(0, 1) densities: bxy, bzy and those below
    var constant = 0.0
    switch model {
    case .naive:
      l.a0 = add("a0")
      normals += 1
    case .fixedEffects:
      l.groupIntercepts = addVector("a0")
      constant -= Double(groups) * (halfLog2Pi + log(10.0))
    case .multilevel, .mundlak, .latentMundlak:
      if model != .multilevel {
        l.buy = add("buy")
        normals += 1
      }
      l.aBar = add("a_bar")
      l.logTau = add("tau")
      normals += 1 + Double(groups)  // ā and the e_g
      if model == .latentMundlak {
        l.bux = add("bux")
        l.ax = add("a_x")
        l.logSigma = add("sigma")
        normals += 2 + Double(groups)  // bux, a_x and the u_g
        constant -= Double(data.count) * halfLog2Pi  // the x likelihood
      }
      l.e = addVector("e")
      if model == .latentMundlak { l.u = addVector("u") }
    }
    constant -= normals * halfLog2Pi
    self.constant = constant
    layout = l
    parameterNames = names
    dimension = names.count
  }

  /// The coordinate of a parameter name (natural-scale name, e.g. "tau" or "e[3]").
  public func index(of name: String) -> Int? { parameterNames.firstIndex(of: name) }

  /// The number of individuals, the length of `pointwiseLogLikelihood`'s output.
  public var observations: Int { y.count }

  /// The natural parameters at θ (τ = e^θ_τ, σ = e^θ_σ), in `parameterNames` order.
  public func constrained(_ theta: [Double]) -> [Double] {
    var v = theta
    for i in [layout.logTau, layout.logSigma] where i >= 0 { v[i] = exp(theta[i]) }
    return v
  }

  /// θ from the natural parameters (τ, σ > 0 become their logs).
  public func unconstrained(_ natural: [Double]) -> [Double] {
    var v = natural
    for i in [layout.logTau, layout.logSigma] where i >= 0 { v[i] = log(natural[i]) }
    return v
  }

  /// log p(θ | data) including all normalising constants and the log-Jacobians of log τ, log σ;
  /// NaN or −∞ where it cannot be evaluated (a non-finite θ, τ overflowing). `theta` and
  /// `gradient` must have `dimension` entries.
  public func logDensity(_ theta: [Double], gradient: inout [Double]) -> Double {
    precondition(theta.count == dimension && gradient.count == dimension, "θ and the gradient need \(dimension) entries")
    let l = layout
    let groups = z.count
    let bxy = theta[l.bxy], bzy = theta[l.bzy]
    let tau = l.logTau >= 0 ? exp(theta[l.logTau]) : 0
    let buy = l.buy >= 0 ? theta[l.buy] : 0
    // Every coordinate of `gradient` is assigned below. Scalar terms are summed in locals and
    // stored once: summed in `gradient` itself, each group's store to e_g (say) could alias them,
    // and every sum would go through memory.
    var logLik = 0.0, logPrior = constant - 0.5 * (bxy * bxy + bzy * bzy)
    var dBxy = -bxy, dBzy = -bzy

    withUnsafeTemporaryAllocation(of: Double.self, capacity: 2 * groups) { buffer in
      // The outcome likelihood's data-dependent sums in one vectorised pass (CKernels): each
      // group's Σ_j p_j, Σ_j p_j x_j and Σ_j log(1 + e^{η_j}). The log-likelihood
      // Σ_j [y_j η_j − log(1 + e^{η_j})] and the residual sums Σ_j (y_j − p_j) behind every
      // gradient term follow with Σ_j y_j per group and Σ_j y_j x_j, computed once.
      // `residual` receives each group's Σ p from the kernel and then holds Σ (y − p).
      let offset = buffer.baseAddress!, residual = offset + groups
      for g in 0..<groups { offset[g] = groupOffset(theta, g, tau: tau, buy: buy) }
      var sums = (0.0, 0.0)
      withUnsafeMutableBytes(of: &sums) { s in
        simstudy_logit_group_pass(
          x, groupStart, groups, offset, bxy, residual, s.baseAddress!.assumingMemoryBound(to: Double.self))
      }
      dBxy += successX - sums.0
      logLik = bxy * successX - sums.1
      var total = 0.0  // Σ_g of the residual sums
      for g in 0..<groups {
        logLik += offset[g] * groupSuccesses[g]
        let r = groupSuccesses[g] - residual[g]
        residual[g] = r
        total += r
        dBzy += r * z[g]
      }

      // Each model's group terms and priors (normalising constants are in `constant`).
      switch model {
      case .naive:
        let a0 = theta[l.a0]
        logPrior -= 0.5 * a0 * a0
        gradient[l.a0] = total - a0
      case .fixedEffects:
        for g in 0..<groups {
          let a = theta[l.groupIntercepts + g]
          logPrior -= 0.005 * a * a  // N(0, 10)
          gradient[l.groupIntercepts + g] = residual[g] - 0.01 * a
        }
      case .multilevel, .mundlak, .latentMundlak:
        // a_g = ā + τ e_g with e_g ~ N(ā, 1), τ ~ Exponential(1) in log τ (log p = −τ + log τ).
        let aBar = theta[l.aBar]
        var dABar = total - aBar, dLogTau = 1 - tau, dBuy = -buy
        logPrior += theta[l.logTau] - tau - 0.5 * (aBar * aBar + buy * buy)
        for g in 0..<groups {
          let r = residual[g], e = theta[l.e + g], d = e - aBar
          logPrior -= 0.5 * d * d
          gradient[l.e + g] = tau * r - d
          dABar += d
          dLogTau += tau * e * r
          switch model {
          case .mundlak: dBuy += r * groupMean[g]
          case .latentMundlak:
            dBuy += r * theta[l.u + g]
            gradient[l.u + g] = buy * r
          default: break
          }
        }
        gradient[l.aBar] = dABar
        gradient[l.logTau] = dLogTau
        if l.buy >= 0 { gradient[l.buy] = dBuy }
      }
    }
    gradient[l.bxy] = dBxy
    gradient[l.bzy] = dBzy

    if model == .latentMundlak {
      // u_g ~ N(0, 1); x_j ~ N(a_x + bux u_g, σ) through Σ_j (x_j − m_g)² = SS_g + n_g (x̄_g − m_g)²;
      // bux, a_x ~ N(0, 1), σ ~ Exponential(1) in log σ.
      let logSigma = theta[l.logSigma]
      let sigma = exp(logSigma)
      let precision = 1 / (sigma * sigma)
      let ax = theta[l.ax], bux = theta[l.bux]
      var squares = 0.0, dAx = 0.0, dBux = 0.0
      for g in 0..<groups {
        let u = theta[l.u + g]
        let d = groupMean[g] - ax - bux * u
        let nd = groupSize[g] * d
        squares += withinSquares[g] + nd * d
        dAx += nd
        dBux += nd * u
        logPrior -= 0.5 * u * u
        gradient[l.u + g] += precision * bux * nd - u
      }
      let n = Double(y.count)
      logLik += -n * logSigma - 0.5 * precision * squares
      logPrior += logSigma - sigma - 0.5 * (ax * ax + bux * bux)
      gradient[l.ax] = precision * dAx - ax
      gradient[l.bux] = precision * dBux - bux
      gradient[l.logSigma] = -n + precision * squares + 1 - sigma
    }
    return logLik + logPrior
  }

  /// Group g's part of the linear predictor, intercept + bzy·z_g (η_j = it + bxy·x_j), at θ with
  /// τ = e^θ_τ and buy already read.
  @inline(__always) private func groupOffset(_ theta: [Double], _ g: Int, tau: Double, buy: Double) -> Double {
    let l = layout
    let intercept: Double
    switch model {
    case .naive: intercept = theta[l.a0]
    case .fixedEffects: intercept = theta[l.groupIntercepts + g]
    case .multilevel: intercept = theta[l.aBar] + tau * theta[l.e + g]
    case .mundlak: intercept = theta[l.aBar] + tau * theta[l.e + g] + buy * groupMean[g]
    case .latentMundlak: intercept = theta[l.aBar] + tau * theta[l.e + g] + buy * theta[l.u + g]
    }
    return intercept + theta[l.bzy] * z[g]
  }

  /// log p(y_j | θ) for each individual (the Bernoulli outcome only, also for latent-mundlak, so
  /// that LOO compares the five models on the same y), in the data's (group-sorted) order; writes
  /// `data.count` values into `out`, which must have that many entries.
  public func pointwiseLogLikelihood(_ theta: [Double], into out: inout [Double]) {
    precondition(theta.count == dimension && out.count == y.count, "θ needs \(dimension) entries and out \(y.count)")
    let l = layout
    let tau = l.logTau >= 0 ? exp(theta[l.logTau]) : 0
    let buy = l.buy >= 0 ? theta[l.buy] : 0
    let offset = (0..<z.count).map { groupOffset(theta, $0, tau: tau, buy: buy) }
    // y η − log(1 + e^η) = y η − max(η, 0) − log1p(e^{−|η|}), vectorised (CKernels).
    simstudy_logit_group_pointwise(y, x, groupStart, z.count, offset, theta[l.bxy], &out)
  }
}
