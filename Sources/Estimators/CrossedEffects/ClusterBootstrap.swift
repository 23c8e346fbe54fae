import RandomStreams

/// The result of a cluster bootstrap: the statistic on the original data, its bootstrap standard
/// error, and the replicates it came from.
public struct ClusterBootstrapResult: Sendable {
  /// The statistic on the original data.
  public let estimate: Double
  /// √(Σ_b (θ*_b − θ̄*)²/(B' − 1)) over the B' replicates that succeeded.
  public let standardError: Double
  /// The statistic on each successful resample, in draw order.
  public let replicates: [Double]
  /// Resamples on which the statistic threw (e.g. a fit that failed); they are left out.
  public let failures: Int
}

/// The cluster (block) bootstrap: resample whole clusters with replacement, recompute the statistic
/// on each resample, and take the standard deviation of the replicates as its standard error
/// (Davison & Hinkley 1997, *Bootstrap Methods and their Application*, §3.8; Cameron, Gelbach &
/// Miller 2008, "Bootstrap-based improvements for inference with clustered errors", REStat 90(3)).
/// A cluster drawn twice enters twice, as two distinct clusters. Randomness comes only from the
/// stream passed in, so a result is reproducible from its stream key.
public enum ClusterBootstrap {
  /// Bootstraps `statistic` over `clusters` clusters (codes 0..<clusters): each replicate draws
  /// `clusters` codes uniformly with replacement (`uniformInt`) and passes them, in draw order, to
  /// `statistic`. Cost: B statistic evaluations.
  public static func standardError(
    clusters: Int, replications: Int, using rng: RandomStream, estimate: Double,
    statistic: ([Int]) throws -> Double
  ) throws(EstimationError) -> ClusterBootstrapResult {
    guard clusters >= 2 else { throw .invalidInput("a cluster bootstrap needs at least two clusters") }
    guard replications >= 2 else { throw .invalidInput("a bootstrap needs at least two replications") }
    var replicates: [Double] = []
    replicates.reserveCapacity(replications)
    var failures = 0
    for _ in 0..<replications {
      let draws = (0..<clusters).map { _ in rng.uniformInt(clusters) }
      if let v = try? statistic(draws), v.isFinite { replicates.append(v) } else { failures += 1 }
    }
    guard replicates.count >= 2 else {
      throw .numerical("the statistic failed on \(failures) of \(replications) bootstrap resamples")
    }
    let mean = replicates.reduce(0, +) / Double(replicates.count)
    let variance = replicates.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(replicates.count - 1)
    return ClusterBootstrapResult(
      estimate: estimate, standardError: variance.squareRoot(), replicates: replicates, failures: failures)
  }
}

extension CrossedLMM {
  /// The cluster-bootstrap standard error of a statistic of the fit (e.g. `{ $0.fixedEffects[0] }`),
  /// resampling the levels of the random-effect factor `factor`: each resample keeps all rows of
  /// the drawn levels (`CrossedDesign.resampled`), builds the model anew and fits it by REML or ML.
  public func clusterBootstrap(
    factor: String, replications: Int, reml: Bool = true, options: CrossedLMMOptions = .init(),
    using rng: RandomStream, statistic: (CrossedLMMFit) -> Double
  ) throws(EstimationError) -> ClusterBootstrapResult {
    guard let term = design.terms.firstIndex(where: { $0.factor == factor }) else {
      throw .invalidInput("no random-effect factor '\(factor)'; the factors are \(design.terms.map(\.factor))")
    }
    let original = statistic(try fit(reml: reml, options: options))
    return try ClusterBootstrap.standardError(
      clusters: design.terms[term].levels.count, replications: replications, using: rng, estimate: original
    ) { draws in
      statistic(try CrossedLMM(try design.resampled(term: term, draws: draws)).fit(reml: reml, options: options))
    }
  }
}
