import RandomStreams
import Sampling

extension ConfoundingPosterior: ParameterisedDensity {
  /// In the latent-Mundlak model (bux, buy, u) and (−bux, −buy, −u) have the same density
  /// (Docs/BinaryChoice.md §11): these are diagnosed on their magnitudes.
  public var signSymmetricParameters: Set<String> {
    guard model == .latentMundlak else { return [] }
    return Set(parameterNames.filter { $0 == "bux" || $0 == "buy" || $0.hasPrefix("u[") })
  }
}

/// One of the five Bayesian group-confounding logits (Docs/BinaryChoice.md §11) fitted by NUTS:
/// the posterior of its parameters, and its PSIS-LOO estimate of the expected log predictive
/// density of the outcomes.
public struct BayesianConfoundingLogit: Sendable {
  public let model: ConfoundingModel
  public let sampler: NUTS

  public init(_ model: ConfoundingModel, settings: NUTSSettings = NUTSSettings()) throws(SamplingError) {
    self.model = model
    self.sampler = try NUTS(settings: settings)
  }

  /// A fitted model: the posterior and its leave-one-out estimate.
  public struct Fit: Sendable {
    public let posterior: Posterior
    public let loo: LOOResult

    /// Each (estimand, parameter) pair as an estimate: the posterior mean as the value, the
    /// posterior sd as its SE, the central 95 % credible interval, and the doubled posterior
    /// probability of the wrong sign as its p. Not converged, with the reasons, when any
    /// divergence occurred or a reported parameter has R̂ > 1.01 or bulk ESS < 400. (The other
    /// parameters — 30 group effects, say — are summarised too, but with dozens of them one R̂
    /// above 1.01 is likely by chance alone at a few thousand draws, and it says nothing about
    /// the estimates reported.)
    public func output(_ pairs: [(estimand: String, parameter: String)]) -> MethodOutput {
      let estimates = pairs.map { pair -> Estimate in
        guard let s = posterior.summary(pair.parameter) else { return .notIdentified(pair.estimand) }
        return Estimate(
          estimand: pair.estimand, value: s.mean, se: s.sd, lower: s.lower, upper: s.upper,
          pValue: s.twoSidedTailProbability)
      }
      let problems = posterior.convergenceProblems(of: pairs.map(\.parameter))
      let draws = posterior.chains.reduce(0) { $0 + $1.drawCount }
      return MethodOutput(
        estimates,
        fit: FitSummary(
          converged: problems.isEmpty, iterations: posterior.gradientEvaluations, objective: loo.elpd,
          message: problems.isEmpty ? nil : problems.joined(separator: "; ") + " (\(draws) draws)"))
    }
  }

  /// Samples the posterior of `model` on `data` with chains keyed from `key` (spread over
  /// `threads` threads; the result does not depend on it), then summarises it (`Fit.init`).
  public func fit(_ data: GroupedBinaryData, key: StreamKey, threads: Int = 1) throws -> Fit {
    let target = try ConfoundingPosterior(model, data: data)
    return Fit(target, chains: try sampler.sample(target, key: key, threads: threads))
  }
}

extension BayesianConfoundingLogit.Fit {
  /// The natural-scale posterior of the chains, and PSIS-LOO from every draw's pointwise outcome
  /// log-likelihood (relative efficiency as arviz's default: the mean over parameters of
  /// ESS(mean)/S).
  public init(_ target: ConfoundingPosterior, chains: [ChainOutput]) {
    let posterior = Posterior(target, chains: chains)
    let n = target.observations
    let s = chains.reduce(0) { $0 + $1.drawCount }
    var pointwise = [Double](repeating: 0, count: n * s)
    var row = [Double](repeating: 0, count: n)
    var column = 0
    for chain in chains {
      for d in 0..<chain.drawCount {
        target.pointwiseLogLikelihood(Array(chain.draw(d)), into: &row)
        for i in 0..<n { pointwise[i * s + column] = row[i] }
        column += 1
      }
    }
    let reff = LOO.relativeEfficiency(parameters: posterior.draws)
    self.init(posterior: posterior, loo: LOO.compute(pointwise: pointwise, observations: n, draws: s, relativeEfficiency: reff))
  }
}

extension ConfoundingModel {
  /// The model in one line, as a study's method settings show it.
  public var priorDescription: String {
    switch self {
    case .naive: "logit p = a0 + bxy x + bzy z; a0, bxy, bzy ~ N(0,1)"
    case .fixedEffects: "logit p = a0[g] + bxy x + bzy z; a0[g] ~ N(0,10); bxy, bzy ~ N(0,1)"
    case .multilevel: "logit p = a[g] + bxy x + bzy z; a[g] = ā + τ e[g], e[g] ~ N(ā,1); ā, bxy, bzy ~ N(0,1); τ ~ Exp(1)"
    case .mundlak: "multilevel + buy x̄[g]; buy ~ N(0,1)"
    case .latentMundlak:
      "multilevel + buy u[g]; x ~ N(a_x + bux u[g], σ); u[g], a_x, bux, buy ~ N(0,1); σ ~ Exp(1)"
    }
  }
}
