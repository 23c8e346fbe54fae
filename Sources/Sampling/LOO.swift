internal import CKernels
import Foundation

/// The PSIS-LOO estimate of a model's expected log pointwise predictive density (elpd).
public struct LOOResult: Sendable, Equatable {
  /// elpd_loo = Σᵢ elpd_i, the estimated out-of-sample log predictive density.
  public let elpd: Double
  /// Its standard error √(n · var(elpd_i)) (variance with divisor n).
  public let se: Double
  /// Effective number of parameters, lppd − elpd_loo.
  public let pLOO: Double
  /// The in-sample log pointwise predictive density Σᵢ log((1/S) Σₛ p(yᵢ | θₛ)).
  public let lppd: Double
  /// elpd_i = log Σₛ wᵢₛ p(yᵢ | θₛ) with the PSIS weights of observation i.
  public let pointwiseElpd: [Double]
  /// The Pareto shape k̂ of each observation's importance weights.
  public let paretoK: [Double]

  public init(elpd: Double, se: Double, pLOO: Double, lppd: Double, pointwiseElpd: [Double], paretoK: [Double]) {
    self.elpd = elpd
    self.se = se
    self.pLOO = pLOO
    self.lppd = lppd
    self.pointwiseElpd = pointwiseElpd
    self.paretoK = paretoK
  }

  /// The LOO information criterion on the deviance scale, −2 elpd_loo.
  public var looic: Double { -2 * elpd }

  /// How many observations have k̂ > `threshold` (0.7 is the usual limit, also
  /// min(1 − 1/log₁₀ S, 0.7) as arviz warns; +∞ counts as above).
  public func count(kAbove threshold: Double) -> Int { paretoK.count(where: { $0 > threshold }) }
}

/// Leave-one-out cross-validation by Pareto smoothed importance sampling.
///
/// Vehtari, Gelman & Gabry (2017), "Practical Bayesian model evaluation using leave-one-out
/// cross-validation and WAIC", Statistics and Computing 27. The LOO predictive density of yᵢ is
/// estimated from posterior draws θₛ with importance ratios 1/p(yᵢ | θₛ), smoothed by `PSIS`.
/// Computed as arviz 0.23's `loo` and `compare` compute them.
public enum LOO {
  /// PSIS-LOO from the pointwise log likelihood.
  ///
  /// `pointwise[i * draws + s]` = log p(yᵢ | θₛ): one contiguous row of S = `draws` draws per
  /// observation, the chains concatenated. For each i the log ratios −log p(yᵢ | θₛ) are smoothed
  /// with `relativeEfficiency` (`relativeEfficiency(parameters:)` gives arviz's default), and
  /// elpd_i = log Σₛ exp(log wᵢₛ + log p(yᵢ | θₛ)) with the normalised smoothed log weights.
  public static func compute(
    pointwise: [Double], observations: Int, draws: Int, relativeEfficiency reff: Double = 1
  ) -> LOOResult {
    precondition(pointwise.count == observations * draws, "LOO.compute: pointwise must hold observations × draws values")
    precondition(observations >= 1 && draws >= 2, "LOO.compute needs at least 1 observation and 2 draws")
    var elpdI = [Double](repeating: 0, count: observations)
    var k = [Double](repeating: 0, count: observations)
    var lppd = 0.0
    let logS = log(Double(draws))
    var workspace = PSIS.Workspace(draws: draws, relativeEfficiency: reff)
    var x = [Double](repeating: 0, count: draws)
    pointwise.withUnsafeBufferPointer { all in
      x.withUnsafeMutableBufferPointer { x in
        for i in 0..<observations {
          let ll = UnsafeBufferPointer(rebasing: all[(i * draws)..<((i + 1) * draws)])
          var minLL = Double.infinity, maxLL = -Double.infinity
          for v in ll {
            minLL = min(minLL, v)
            maxLL = max(maxLL, v)
          }
          lppd += log(simstudy_sum_exp(ll.baseAddress!, draws, maxLL)) + maxLL - logS
          // Log ratios −log p(yᵢ | θₛ), shifted so that their maximum is 0, then smoothed: x̃ₛ.
          for s in 0..<draws { x[s] = minLL - ll[s] }
          k[i] = workspace.smoothTail(x)
          var top = -Double.infinity
          for v in x { top = max(top, v) }
          let logNormaliser = log(simstudy_sum_exp(UnsafePointer(x.baseAddress!), draws, top)) + top  // log Σₛ exp x̃ₛ
          // elpd_i = log Σₛ exp(x̃ₛ + log p(yᵢ | θₛ)) − log Σₛ exp x̃ₛ, and outside the tail
          // x̃ₛ + log p(yᵢ | θₛ) = minLL: only the tail needs exponentials.
          let tail = workspace.tail
          var numerator = Double(draws - tail.count)
          for t in tail { numerator += exp(x[t] + ll[t] - minLL) }
          elpdI[i] = minLL + log(numerator) - logNormaliser
        }
      }
    }
    let elpd = elpdI.reduce(0, +)
    let n = Double(observations)
    let se = (n * Diagnostics.variance(elpdI, ddof: 0)).squareRoot()
    return LOOResult(elpd: elpd, se: se, pLOO: lppd - elpd, lppd: lppd, pointwiseElpd: elpdI, paretoK: k)
  }

  /// arviz's default r_eff for `loo`: the mean over the posterior's parameters (every scalar
  /// coordinate) of ESS_mean / S, S = chains × draws; 1 for a single chain.
  /// `parameters[p][c]` is the draws of parameter p in chain c.
  public static func relativeEfficiency(parameters: [[[Double]]]) -> Double {
    guard let first = parameters.first, first.count > 1, let draws = first.first?.count else { return 1 }
    let s = Double(first.count * draws)
    let total = parameters.reduce(0.0) { $0 + Diagnostics.essMean($1) }
    return total / Double(parameters.count) / s
  }

  /// Pairwise comparison of models fitted to the same observations, as arviz's `compare`:
  /// the best model has the largest elpd; for each model j,
  /// Δelpd_j = Σᵢ (elpd_best,i − elpd_j,i) ≥ 0 and its standard error √(n · var(Δᵢ)), which
  /// accounts for the correlation between the models' pointwise values (Vehtari et al. 2017,
  /// sec. 5.2). Both are 0 for the best model. The arrays are in the order of `results`.
  public static func compare(_ results: [LOOResult]) -> (best: Int, elpdDifferences: [Double], seDifferences: [Double]) {
    precondition(!results.isEmpty, "LOO.compare needs at least one result")
    let n = results[0].pointwiseElpd.count
    precondition(results.allSatisfy { $0.pointwiseElpd.count == n }, "LOO.compare: all models must have the same observations")
    var best = 0
    for j in results.indices where results[j].elpd > results[best].elpd { best = j }
    var differences = [Double](), ses = [Double]()
    for r in results {
      let d = zip(results[best].pointwiseElpd, r.pointwiseElpd).map { $0 - $1 }
      differences.append(d.reduce(0, +))
      ses.append((Double(n) * Diagnostics.variance(d, ddof: 0)).squareRoot())
    }
    return (best, differences, ses)
  }
}
