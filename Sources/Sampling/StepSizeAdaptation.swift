import Foundation

/// Nesterov dual averaging of log ε towards a target acceptance statistic δ (Hoffman & Gelman
/// 2014, "The No-U-Turn Sampler", JMLR 15, §3.2; Nesterov 2009), with Stan's constants and
/// bookkeeping (stan/mcmc/stepsize_adaptation.hpp).
///
/// After the t-th warm-up transition with acceptance statistic α_t (capped at 1):
///   H̄_t = (1 − 1/(t + t₀))·H̄_{t−1} + (δ − α_t)/(t + t₀),
///   x_t = μ − √t·H̄_t/γ,   ε_t = e^{x_t}  (the step of the next transition),
///   x̄_t = t^{−κ}·x_t + (1 − t^{−κ})·x̄_{t−1},
/// with γ = 0.05 (shrinkage towards μ), t₀ = 10 (damps the first iterations), κ = 0.75 (forgetting
/// of early iterates in x̄) and μ = log(10 ε₀), which biases early steps towards larger ε than the
/// heuristic ε₀ (larger steps are cheaper to try and correct themselves within a few iterations).
/// The sampling phase uses e^{x̄}, the averaged iterate, which converges where the noisy x_t only
/// oscillates. `restart` is called whenever the metric changes, since ε is tuned to the metric.
struct DualAveraging {
  static let gamma = 0.05
  static let t0 = 10.0
  static let kappa = 0.75

  let target: Double
  private(set) var mu = 0.0
  private(set) var counter = 0.0
  private var sBar = 0.0
  private var xBar = 0.0

  init(target: Double, stepSize: Double) {
    self.target = target
    restart(stepSize: stepSize)
  }

  /// Forgets the history and centres the shrinkage point at log(10 ε).
  mutating func restart(stepSize: Double) {
    mu = log(10 * stepSize)
    counter = 0
    sBar = 0
    xBar = 0
  }

  /// Records one transition's acceptance statistic; returns the step size of the next transition.
  mutating func learn(acceptance: Double) -> Double {
    counter += 1
    let a = acceptance > 1 ? 1 : acceptance
    let eta = 1 / (counter + Self.t0)
    sBar = (1 - eta) * sBar + eta * (target - a)
    let x = mu - sBar * counter.squareRoot() / Self.gamma
    let xEta = pow(counter, -Self.kappa)
    xBar = (1 - xEta) * xBar + xEta * x
    return exp(x)
  }

  /// e^{x̄}, the step size for sampling, or `current` when nothing has been learned since the restart.
  func finalStepSize(current: Double) -> Double { counter > 0 ? exp(xBar) : current }
}
