import Foundation
import NumericalMethods

/// Convergence and efficiency diagnostics of MCMC draws: rank-normalised split R̂, bulk and tail
/// effective sample size (ESS), and the Monte Carlo standard errors of the mean and the sd.
///
/// Vehtari, Gelman, Simpson, Carpenter & Bürkner (2021), "Rank-normalization, folding, and
/// localization: an improved R̂ for assessing convergence of MCMC", Bayesian Analysis 16(2). Each
/// function computes what arviz 0.23 computes (`arviz.rhat(method="rank")`, `arviz.ess(method=
/// "bulk" | "tail" | "mean")`, `arviz.mcse(method="mean" | "sd")`), step for step, so results agree with
/// it to rounding; Tests/Fixtures/diagnostics_reference.json holds the reference values.
///
/// `chains` is one array per chain, all of the same length. R̂ needs at least 2 chains and every
/// function at least 4 draws per chain (two halves of ≥ 2 each); with fewer, or with any NaN, the
/// result is NaN, as arviz's validity check returns.
///
/// Splitting: each chain of n draws becomes two chains, its first ⌊n/2⌋ and its last ⌊n/2⌋ draws
/// (the middle draw of an odd-length chain is dropped), so a trend within a chain shows up as
/// disagreement between chains.
///
/// Constant input (all draws equal up to 1e-15, arviz's `np.finfo(float).resolution`): every ESS
/// is the number of draws used (2m·⌊n/2⌋ for the split forms, as arviz), the MCSE is 0, and R̂ is
/// NaN (both between- and within-chain variances are 0). Chains that are each constant but differ
/// from each other give R̂ = +∞.
public enum Diagnostics {
  /// Rank-normalised split R̂: max(bulk R̂, folded R̂), where bulk R̂ is the classic
  /// √((B/W + n − 1)/n) of the rank-normalised split chains and folded R̂ the same for the
  /// rank-normalised |x − median|, which detects chains that differ in scale but not location.
  /// Values above 1.01 signal non-convergence. When the folded R̂ is NaN but the bulk one is not
  /// (draws taking two values symmetric about the median), the bulk value is returned, as
  /// Python's `max(bulk, folded)` in arviz does.
  public static func rhat(_ chains: [[Double]]) -> Double {
    guard let s = SplitChains(chains, minimumChains: 2) else { return .nan }
    let ranked = RankedDraws(s.values)
    return rankRhat(ranked, s)
  }

  /// Bulk ESS: the ESS of the rank-normalised split chains, a measure of how well the centre of
  /// the distribution is explored that is also defined for heavy tails (no finite mean needed).
  public static func essBulk(_ chains: [[Double]]) -> Double {
    guard let s = SplitChains(chains, minimumChains: 1) else { return .nan }
    return ess(RankedDraws(s.values).normalScores(), chains: s.chains, draws: s.draws)
  }

  /// Tail ESS: the smaller of the split-chain ESS of the indicators I(x ≤ q₀.₀₅) and I(x ≤ q₀.₉₅),
  /// with the quantiles taken over all draws (R's type 7, as `scipy.stats.mstats.mquantiles`
  /// with α = β = 1 that arviz calls). It measures how reliably the 5% and 95% quantiles are
  /// estimated.
  public static func essTail(_ chains: [[Double]]) -> Double {
    guard let s = SplitChains(chains, minimumChains: 1) else { return .nan }
    return tailEss(s, sortedDraws: chains.joined().sorted())
  }

  /// ESS of the mean: the split-chain ESS of the draws themselves (no rank normalisation), the
  /// one that sets the Monte Carlo error of a posterior mean.
  public static func essMean(_ chains: [[Double]]) -> Double {
    guard let s = SplitChains(chains, minimumChains: 1) else { return .nan }
    return ess(s.values, chains: s.chains, draws: s.draws)
  }

  /// Monte Carlo standard error of the posterior mean: sd / √ESS_mean, with sd the sample
  /// standard deviation (divisor N − 1) of all draws, unsplit.
  public static func mcseMean(_ chains: [[Double]]) -> Double {
    guard SplitChains(chains, minimumChains: 1) != nil else { return .nan }
    let all = Array(chains.joined())
    return (variance(all, ddof: 1)).squareRoot() / essMean(chains).squareRoot()
  }

  /// Monte Carlo standard error of the posterior sd, as arviz's `mcse(method="sd")`: with
  /// c = (x − x̄)² over all draws, Var(σ̂²) ≈ (mean(c²) − mean(c)²) / ESS_mean(c) and, by the delta
  /// method, SE(σ̂) = √(Var(σ̂²) / (4 mean(c))). Through the fourth moment this accounts for heavy
  /// tails and skew, which sd/√(2 ESS), exact for normal draws, understates. NaN for constant
  /// draws (0/0), as in arviz.
  public static func mcseSD(_ chains: [[Double]]) -> Double {
    guard SplitChains(chains, minimumChains: 1) != nil else { return .nan }
    return sdError(chains)
  }

  /// `mcseSD` of chains already checked.
  static func sdError(_ chains: [[Double]]) -> Double {
    let n = Double(chains.reduce(0) { $0 + $1.count })
    let mean = chains.joined().reduce(0, +) / n
    let squares = chains.map { $0.map { ($0 - mean) * ($0 - mean) } }
    let variance = squares.joined().reduce(0, +) / n
    let fourth = squares.joined().reduce(0) { $0 + $1 * $1 } / n
    let s = SplitChains(squares, minimumChains: 1)!
    let varianceOfVariance = (fourth - variance * variance) / ess(s.values, chains: s.chains, draws: s.draws)
    return (varianceOfVariance / variance / 4).squareRoot()
  }

  /// All six diagnostics of one parameter, computed together: one sort of the draws serves the
  /// bulk ranks, the median, the folded ranks (merged outward from the median) and the tail
  /// quantiles, so this costs about as much as `rhat` alone. Each field equals the function of
  /// the same name.
  public struct Summary: Sendable, Equatable {
    public let rhat, essBulk, essTail, essMean, mcseMean, mcseSD: Double
  }

  /// `Summary` of one parameter's chains (R̂ is NaN for a single chain, as `rhat`).
  public static func summary(_ chains: [[Double]]) -> Summary {
    guard let s = SplitChains(chains, minimumChains: 1) else {
      return Summary(rhat: .nan, essBulk: .nan, essTail: .nan, essMean: .nan, mcseMean: .nan, mcseSD: .nan)
    }
    let ranked = RankedDraws(s.values)
    let rhat = chains.count >= 2 ? rankRhat(ranked, s) : .nan
    let essBulk = ess(ranked.normalScores(), chains: s.chains, draws: s.draws)
    // with an even chain length the split draws are all the draws
    let sortedAll = s.values.count == chains.count * chains[0].count ? ranked.sortedValues : chains.joined().sorted()
    let essTail = tailEss(s, sortedDraws: sortedAll)
    let essMean = ess(s.values, chains: s.chains, draws: s.draws)
    let sd = variance(chains.joined(), ddof: 1).squareRoot()
    return Summary(
      rhat: rhat, essBulk: essBulk, essTail: essTail, essMean: essMean, mcseMean: sd / essMean.squareRoot(),
      mcseSD: sdError(chains))
  }

  /// The p-quantile of `values` by linear interpolation between order statistics (Hyndman & Fan
  /// type 7, numpy's default `np.quantile(method="linear")`, R's default): with x₍₀₎ ≤ … ≤ x₍N−1₎
  /// and h = (N − 1)p, x₍⌊h⌋₎ + (h − ⌊h⌋)(x₍⌊h⌋+1₎ − x₍⌊h⌋₎). The interpolation is written as
  /// numpy's `_lerp` writes it so results agree to the last bit. NaN for empty input or p outside
  /// [0, 1].
  public static func quantile(_ values: [Double], _ p: Double) -> Double {
    guard !values.isEmpty, p >= 0, p <= 1 else { return .nan }
    return sortedQuantile(values.sorted(), p)
  }

  /// `quantile` of values already sorted increasingly (several quantiles from one sort).
  public static func quantile(sorted x: [Double], _ p: Double) -> Double {
    guard !x.isEmpty, p >= 0, p <= 1 else { return .nan }
    return sortedQuantile(x, p)
  }

  /// `quantile` of values already sorted increasingly.
  static func sortedQuantile(_ x: [Double], _ p: Double) -> Double {
    let n = x.count
    let h = Double(n - 1) * p
    if h >= Double(n - 1) { return x[n - 1] }
    let lo = Int(h.rounded(.down))
    let g = h - Double(lo)
    let a = x[lo], b = x[lo + 1], d = b - a
    return g >= 0.5 ? b - d * (1 - g) : a + d * g
  }

  /// Type-7 quantile written as `scipy.stats.mstats.mquantiles(alphap=1, betap=1)` computes it,
  /// (1 − γ)x₍k−1₎ + γx₍k₎ with k = ⌊clip(Np + 1 − p, 1, N − 1)⌋. Mathematically `sortedQuantile`;
  /// kept separate because the tail ESS compares draws against it with ≤, where a last-bit
  /// difference at tied draws would change the indicator.
  static func typeSevenQuantileAsMquantiles(_ x: [Double], _ p: Double) -> Double {
    let n = x.count
    if n == 1 { return x[0] }
    let aleph = Double(n) * p + (1 + p * (1 - 1 - 1))
    let k = Int(min(max(aleph, 1), Double(n - 1)).rounded(.down))
    let g = min(max(aleph - Double(k), 0), 1)
    return (1 - g) * x[k - 1] + g * x[k]
  }

  // MARK: - Building blocks

  /// Chains split in halves and stored chain after chain: value j of split chain c at c·draws + j.
  struct SplitChains {
    let values: [Double]
    let chains: Int
    let draws: Int

    /// nil where arviz's validity check fails: fewer than `minimumChains` chains, fewer than 4
    /// draws, or a NaN.
    init?(_ chains: [[Double]], minimumChains: Int) {
      guard chains.count >= minimumChains, let n = chains.first?.count, n >= 4 else { return nil }
      precondition(chains.allSatisfy { $0.count == n }, "Diagnostics: all chains must have the same length")
      let half = n / 2
      var v = [Double]()
      v.reserveCapacity(2 * chains.count * half)
      for c in chains {
        for x in c {
          if x.isNaN { return nil }
        }
        v.append(contentsOf: c[0..<half])
        v.append(contentsOf: c[(n - half)..<n])
      }
      values = v
      self.chains = 2 * chains.count
      draws = half
    }
  }

  /// The split draws with their sort order, from which both rank normalisations are read.
  ///
  /// Rank normalisation: z = Φ⁻¹((r − 3/8)/(N + 1/4)) with r the rank of each value among all N
  /// (1-based, ties given their average rank) — Blom's (1958) offset c = 3/8 in
  /// (r − c)/(N − 2c + 1). The folded values |x − median| are ordered without a second sort:
  /// v ↦ |v − m| is non-increasing below the median and non-decreasing above it (also after
  /// rounding), so merging the two runs outward from the median orders them.
  struct RankedDraws {
    let values: [Double]
    /// indices of `values` in increasing order of value
    let order: [Int]
    let sortedValues: [Double]
    /// Φ⁻¹((r − 3/8)/(N + 1/4)) for r = 1 … N: the scores of untied ranks, shared by both
    /// normalisations (ties get their own).
    let scores: [Double]

    init(_ values: [Double]) {
      self.values = values
      var pairs = values.indices.map { (values[$0], $0) }
      pairs.sort { $0.0 < $1.0 }
      order = pairs.map(\.1)
      sortedValues = pairs.map(\.0)
      let denominator = Double(values.count) + 0.25
      scores = (1...values.count).map { StandardNormal.quantile((Double($0) - 0.375) / denominator) }
    }

    /// The median (mean of the two middle values for an even count), as `np.median`.
    var median: Double {
      let n = sortedValues.count
      return n % 2 == 1 ? sortedValues[n / 2] : (sortedValues[n / 2 - 1] + sortedValues[n / 2]) / 2
    }

    /// Rank-normalised values (z-scores of the ranks), in the order of `values`.
    func normalScores() -> [Double] { scoresOf(order: order) { values[$0] } }

    /// Rank-normalised |x − median|, in the order of `values`.
    func foldedNormalScores() -> [Double] {
      let m = median
      let n = sortedValues.count
      var upper = sortedValues.firstIndex { $0 >= m } ?? n  // first position of the upper run
      var lower = upper - 1
      var foldedOrder = [Int]()
      foldedOrder.reserveCapacity(n)
      while lower >= 0 || upper < n {
        if upper == n || (lower >= 0 && abs(sortedValues[lower] - m) <= abs(sortedValues[upper] - m)) {
          foldedOrder.append(order[lower])
          lower -= 1
        } else {
          foldedOrder.append(order[upper])
          upper += 1
        }
      }
      return scoresOf(order: foldedOrder) { abs(values[$0] - m) }
    }

    /// z-scores of average ranks of `key` over the indices listed in increasing order of key.
    private func scoresOf(order: [Int], key: (Int) -> Double) -> [Double] {
      let n = order.count
      var z = [Double](repeating: 0, count: n)
      let denominator = Double(n) + 0.25
      var i = 0
      while i < n {
        let v = key(order[i])
        var j = i + 1
        while j < n && key(order[j]) == v { j += 1 }
        if j == i + 1 {
          z[order[i]] = scores[i]
        } else {
          // positions i..<j tie; their ranks i+1 … j average to (i + 1 + j)/2
          let rank = Double(i + 1 + j) / 2
          let score = StandardNormal.quantile((rank - 0.375) / denominator)
          for k in i..<j { z[order[k]] = score }
        }
        i = j
      }
      return z
    }
  }

  /// max(bulk R̂, folded R̂) as Python's `max(bulk, folded)`: the folded value only if greater.
  static func rankRhat(_ ranked: RankedDraws, _ s: SplitChains) -> Double {
    let bulk = splitRhat(ranked.normalScores(), chains: s.chains, draws: s.draws)
    let folded = splitRhat(ranked.foldedNormalScores(), chains: s.chains, draws: s.draws)
    return folded > bulk ? folded : bulk
  }

  /// min over p ∈ {0.05, 0.95} of the split ESS of I(x ≤ q_p), q from all draws (sorted).
  static func tailEss(_ s: SplitChains, sortedDraws: [Double]) -> Double {
    var result = Double.infinity
    for p in [0.05, 0.95] {
      let q = typeSevenQuantileAsMquantiles(sortedDraws, p)
      let e = ess(s.values.map { $0 <= q ? 1 : 0 }, chains: s.chains, draws: s.draws)
      if !(e >= result) { result = e }  // min that propagates NaN
    }
    return result
  }

  /// Sample variance with divisor N − ddof (two-pass).
  static func variance<C: Collection>(_ x: C, ddof: Int) -> Double where C.Element == Double {
    let mean = x.reduce(0, +) / Double(x.count)
    var s = 0.0
    for v in x { s += (v - mean) * (v - mean) }
    return s / Double(x.count - ddof)
  }

  /// The potential scale reduction √((B/W + n − 1)/n) of m chains of n draws (stored chain after
  /// chain): B = n·var(chain means), W = mean of the chain variances (both with divisor − 1).
  static func splitRhat(_ x: [Double], chains m: Int, draws n: Int) -> Double {
    var means = [Double](repeating: 0, count: m)
    var w = 0.0
    for c in 0..<m {
      let chain = x[(c * n)..<((c + 1) * n)]
      means[c] = chain.reduce(0, +) / Double(n)
      w += variance(chain, ddof: 1)
    }
    w /= Double(m)
    let b = Double(n) * variance(means, ddof: 1)
    return ((b / w + Double(n) - 1) / Double(n)).squareRoot()
  }

  /// Effective sample size of m chains of n draws (stored chain after chain), by Geyer's initial
  /// positive and initial monotone sequence estimators applied to the multi-chain autocorrelation
  /// (Vehtari et al. 2021, eqs. 10–11; Stan's and arviz's `_ess`):
  ///
  ///   ρ̂_t = 1 − (W − mean_c γ̂_{c,t}) / var⁺,   var⁺ = (n − 1)/n · W + var(chain means),
  ///
  /// with γ̂_{c,t} = (1/n) Σ_{i<n−t} (x_{c,i} − x̄_c)(x_{c,i+t} − x̄_c) and W = mean_c γ̂_{c,0}·n/(n − 1).
  /// Pairs ρ̂_{2k} + ρ̂_{2k+1} are summed while positive, then made non-increasing; τ̂ =
  /// −1 + 2 Σ_{t ≤ T} ρ̂_t + ρ̂_{T+1}, bounded below by 1/log₁₀(mn), and ESS = mn/τ̂.
  ///
  /// The autocovariances are computed directly, lag by lag, only as far as the sequence is read
  /// (arviz computes all lags by FFT; the values are the same up to round-off). That costs
  /// O(m·n·T) for T lags read, which is small unless the chains barely mix.
  static func ess(_ x: [Double], chains m: Int, draws n: Int) -> Double {
    var lo = Double.infinity, hi = -Double.infinity
    for v in x {
      if v.isNaN { return .nan }
      lo = min(lo, v)
      hi = max(hi, v)
    }
    let total = Double(m * n)
    if hi - lo < 1e-15 { return total }

    // centred chains and their means
    var centred = x
    var means = [Double](repeating: 0, count: m)
    for c in 0..<m {
      let start = c * n
      var s = 0.0
      for i in start..<(start + n) { s += x[i] }
      let mean = s / Double(n)
      means[c] = mean
      for i in start..<(start + n) { centred[i] -= mean }
    }
    /// mean over chains of the lag-t autocovariance γ̂_{c,t}
    func meanAutocovariance(_ t: Int) -> Double {
      var sum = 0.0
      centred.withUnsafeBufferPointer { p in
        for c in 0..<m {
          let base = c * n
          var s = 0.0
          for i in base..<(base + n - t) { s += p[i] * p[i + t] }
          sum += s
        }
      }
      return sum / Double(n) / Double(m)
    }

    let meanVar = meanAutocovariance(0) * Double(n) / (Double(n) - 1)
    var varPlus = meanVar * (Double(n) - 1) / Double(n)
    if m > 1 { varPlus += variance(means, ddof: 1) }

    var rho = [Double](repeating: 0, count: n)
    var rhoEven = 1.0
    rho[0] = rhoEven
    var rhoOdd = 1 - (meanVar - meanAutocovariance(1)) / varPlus
    rho[1] = rhoOdd

    // Geyer's initial positive sequence
    var t = 1
    while t < n - 3 && rhoEven + rhoOdd > 0 {
      rhoEven = 1 - (meanVar - meanAutocovariance(t + 1)) / varPlus
      rhoOdd = 1 - (meanVar - meanAutocovariance(t + 2)) / varPlus
      if rhoEven + rhoOdd >= 0 {
        rho[t + 1] = rhoEven
        rho[t + 2] = rhoOdd
      }
      t += 2
    }
    let maxT = t - 2
    if rhoEven > 0 { rho[maxT + 1] = rhoEven }
    // Geyer's initial monotone sequence
    t = 1
    while t <= maxT - 2 {
      if rho[t + 1] + rho[t + 2] > rho[t - 1] + rho[t] {
        rho[t + 1] = (rho[t - 1] + rho[t]) / 2
        rho[t + 2] = rho[t + 1]
      }
      t += 2
    }
    var sum = 0.0
    if maxT >= 0 { for i in 0...maxT { sum += rho[i] } }
    var tau = -1 + 2 * sum + (maxT + 1 < n ? rho[maxT + 1] : 0)
    tau = max(tau, 1 / log10(total))
    if rho.contains(where: \.isNaN) { return .nan }
    return total / tau
  }
}
