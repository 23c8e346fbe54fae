/// A sampler target whose coordinates map to named natural-scale parameters: what `Posterior`
/// needs to summarise a run (a log-scale coordinate reported as the scale itself, say).
public protocol ParameterisedDensity: LogDensity {
  /// One name per natural-scale parameter, in the order `constrained` returns them.
  var parameterNames: [String] { get }
  /// The natural-scale parameters at the unconstrained point θ.
  func constrained(_ theta: [Double]) -> [Double]
  /// Parameters identified only up to one joint change of sign (the density is unchanged when
  /// all of them flip together, as a latent factor and its loadings). Chains may settle in either
  /// mirror image, so their convergence is diagnosed on |θ|; by default none.
  var signSymmetricParameters: Set<String> { get }
}

extension ParameterisedDensity {
  public var signSymmetricParameters: Set<String> { [] }
}

/// What the draws say about one parameter: moments, the central 95 % interval, the probability
/// of each sign, and the convergence diagnostics of Vehtari et al. (2021).
public struct ParameterSummary: Sendable, Equatable {
  public let name: String
  public let mean: Double
  public let sd: Double
  /// The 2.5 %, 50 % and 97.5 % quantiles of the pooled draws (linear interpolation, numpy's default).
  public let lower: Double
  public let median: Double
  public let upper: Double
  /// The share of draws above 0.
  public let probabilityPositive: Double
  /// Rank-normalised split R̂ (the larger of the bulk and the folded R̂).
  public let rhat: Double
  public let essBulk: Double
  public let essTail: Double
  /// The Monte Carlo SE of the posterior mean, sd / √ESS(mean).
  public let mcseMean: Double
  /// The Monte Carlo SE of the posterior sd (`Diagnostics.mcseSD`).
  public let mcseSD: Double

  /// The posterior probability that the parameter has the other sign than its posterior mean,
  /// doubled: 2·min(P(θ > 0), P(θ < 0)). Doubling makes it a two-sided tail probability, so it
  /// falls below 0.05 exactly when the central 95 % interval excludes 0 (up to draws at the
  /// interval's ends), the way a Wald p-value does for a confidence interval.
  public var twoSidedTailProbability: Double { 2 * min(probabilityPositive, 1 - probabilityPositive) }
}

/// The draws of several chains of one target on the natural scale, summarised per parameter, with
/// the sampler's own counts (divergences, saturated trees, gradient evaluations).
public struct Posterior: Sendable {
  public let parameterNames: [String]
  /// draws[p][c] = the post-warm-up draws of parameter p in chain c, natural scale.
  public let draws: [[[Double]]]
  public let chains: [ChainOutput]
  public let summaries: [ParameterSummary]

  /// Maps every draw to the natural scale and summarises each parameter.
  public init(_ target: some ParameterisedDensity, chains: [ChainOutput]) {
    let names = target.parameterNames
    var draws = [[[Double]]](
      repeating: [[Double]](repeating: [], count: chains.count), count: names.count)
    for (c, chain) in chains.enumerated() {
      for p in draws.indices { draws[p][c].reserveCapacity(chain.drawCount) }
      for s in 0..<chain.drawCount {
        let natural = target.constrained(Array(chain.draw(s)))
        for p in draws.indices { draws[p][c].append(natural[p]) }
      }
    }
    self.parameterNames = names
    self.draws = draws
    self.chains = chains
    let symmetric = target.signSymmetricParameters
    self.summaries = zip(names, draws).map { Self.summarise($0, $1, diagnoseMagnitude: symmetric.contains($0)) }
  }

  /// The summary of one parameter; R̂, the ESSs and the MCSE are those of |θ| when
  /// `diagnoseMagnitude` (a sign-symmetric parameter), the moments and quantiles those of θ.
  static func summarise(_ name: String, _ chains: [[Double]], diagnoseMagnitude: Bool) -> ParameterSummary {
    let pooled = chains.flatMap { $0 }
    let n = Double(pooled.count)
    let mean = pooled.reduce(0, +) / n
    let sd = (pooled.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)).squareRoot()
    let sorted = pooled.sorted()
    let d = Diagnostics.summary(diagnoseMagnitude ? chains.map { $0.map(abs) } : chains)
    return ParameterSummary(
      name: name, mean: mean, sd: sd, lower: Diagnostics.quantile(sorted: sorted, 0.025),
      median: Diagnostics.quantile(sorted: sorted, 0.5), upper: Diagnostics.quantile(sorted: sorted, 0.975),
      probabilityPositive: Double(pooled.count { $0 > 0 }) / n, rhat: d.rhat, essBulk: d.essBulk, essTail: d.essTail,
      mcseMean: d.mcseMean, mcseSD: d.mcseSD)
  }

  /// The summary of the parameter named `name`.
  public func summary(_ name: String) -> ParameterSummary? { summaries.first { $0.name == name } }

  /// Post-warm-up divergent transitions, over all chains.
  public var divergences: Int { chains.reduce(0) { $0 + $1.divergences } }
  /// Post-warm-up transitions that hit the maximum tree depth, over all chains.
  public var treeDepthSaturations: Int { chains.reduce(0) { $0 + $1.treeDepthSaturations } }
  /// Log-density gradient evaluations, warm-up included, over all chains.
  public var gradientEvaluations: Int { chains.reduce(0) { $0 + $1.gradientEvaluations } }

  /// Why these draws should not be trusted, one phrase per problem (empty when none): any
  /// divergence, any of `parameters` (all by default) with R̂ above `maxRhat` or bulk ESS below
  /// `minESS` (the thresholds of Vehtari et al. 2021 for four chains).
  public func convergenceProblems(of parameters: [String]? = nil, maxRhat: Double = 1.01, minESS: Double = 400) -> [String] {
    var problems: [String] = []
    if divergences > 0 { problems.append("\(divergences) divergent transition\(divergences == 1 ? "" : "s")") }
    let summaries = parameters.map { names in self.summaries.filter { names.contains($0.name) } } ?? self.summaries
    let highRhat = summaries.filter { !($0.rhat <= maxRhat) }
    if let worst = highRhat.max(by: { !($0.rhat >= $1.rhat) }) {
      problems.append(
        "R̂ > \(maxRhat) for \(highRhat.count) parameter\(highRhat.count == 1 ? "" : "s") (largest \(worst.name): \(String(format: "%.3f", worst.rhat)))")
    }
    let lowESS = summaries.filter { !($0.essBulk >= minESS) }
    if let worst = lowESS.min(by: { !($0.essBulk <= $1.essBulk) }) {
      problems.append(
        "bulk ESS < \(Int(minESS)) for \(lowESS.count) parameter\(lowESS.count == 1 ? "" : "s") (smallest \(worst.name): \(Int(worst.essBulk.rounded())))")
    }
    return problems
  }
}
