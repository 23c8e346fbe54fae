internal import CKernels
import Foundation

/// Pareto smoothed importance sampling (PSIS).
///
/// Vehtari, Simpson, Gelman, Yao & Gabry (2024), "Pareto smoothed importance sampling", JMLR
/// 25(72). Raw importance weights have a long right tail when the proposal is poor; PSIS fits a
/// generalised Pareto distribution (GPD) to the M largest weights and replaces them by the GPD's
/// expected order statistics, which lowers the variance of importance-sampling estimates, and the
/// fitted shape k̂ says whether they can be trusted at all (k̂ < 0.7 and below 1 − 1/log₁₀ S, the
/// paper's sample-size dependent threshold; above 1 the weights have no finite mean).
///
/// Computed as arviz 0.23's `psislw` computes it (its `_psislw`, `_gpdfit`, `_gpinv`), so
/// results agree with it to rounding; Tests/Fixtures/diagnostics_reference.json holds the
/// reference values.
public enum PSIS {
  /// Smoothed, truncated and normalised log weights (Σ exp = 1) for S log importance ratios, and
  /// the Pareto shape estimate k̂.
  ///
  /// The steps, with x the log ratios shifted so that max x = 0:
  /// 1. Tail length M = ⌈min(S/5, 3√(S/r_eff))⌉; the cutoff is the (M+1)-th largest x (but not
  ///    below log of the smallest normal double) and the tail the x above it (fewer than M with
  ///    ties at the cutoff).
  /// 2. If the tail has ≤ 4 values, k̂ = +∞ and nothing is smoothed (arviz's rule).
  /// 3. Otherwise a GPD with location exp(cutoff) is fitted to the tail weights exp(x) by
  ///    `generalizedParetoFit`; if k̂ is finite, the tail's i-th smallest weight (i = 1 … M) is
  ///    replaced by the GPD quantile at (i − 1/2)/M, and weights above the largest raw weight
  ///    (exp 0) are truncated to it.
  /// 4. The log weights are normalised by subtracting their log-sum-exp.
  ///
  /// `relativeEfficiency` r_eff = ESS/S of the draws that produced the ratios (1 for independent
  /// draws) lengthens the tail for autocorrelated MCMC draws. With tied ratios in the tail the
  /// smoothed values are assigned to the tied positions in index order (numpy's unstable sort may
  /// assign them differently; the set of log weights is the same). Requires S ≥ 2, r_eff > 0 and
  /// no NaN.
  public static func smooth(logRatios: [Double], relativeEfficiency reff: Double = 1) -> (logWeights: [Double], k: Double) {
    let s = logRatios.count
    precondition(s >= 2, "PSIS.smooth needs at least 2 log ratios")
    precondition(reff > 0, "PSIS.smooth: the relative efficiency must be positive")
    let maxX = logRatios.max()!
    var x = logRatios.map { $0 - maxX }
    var workspace = Workspace(draws: s, relativeEfficiency: reff)
    let k = x.withUnsafeMutableBufferPointer { workspace.smoothTail($0) }
    let normaliser = logSumExp(x)
    for i in x.indices { x[i] -= normaliser }
    return (x, k)
  }

  /// Scratch memory for smoothing many vectors of S log ratios (one per observation in LOO)
  /// without allocating per vector, and the tail of the last one smoothed.
  struct Workspace {
    /// M = ⌈min(S/5, 3√(S/r_eff))⌉.
    let tailTarget: Int
    private var selection: [Double]
    /// The indices of the last vector's tail (its values above the cutoff), by increasing raw value
    /// (ties by index).
    private(set) var tail: [Int] = []
    private var excesses: [Double] = []

    init(draws s: Int, relativeEfficiency reff: Double) {
      tailTarget = Int((min(Double(s) / 5, 3 * (Double(s) / reff).squareRoot())).rounded(.up))
      selection = [Double](repeating: 0, count: s)
      tail.reserveCapacity(tailTarget + 1)
      excesses.reserveCapacity(tailTarget + 1)
    }

    /// Steps 1–3 of `smooth` on x (log ratios shifted so that max x = 0), in place: afterwards
    /// `tail` holds the tail's indices. Returns k̂.
    mutating func smoothTail(_ x: UnsafeMutableBufferPointer<Double>) -> Double {
      let s = x.count
      let cutoff = max(tailCutoff(x), log(Double.leastNormalMagnitude))
      let expCutoff = exp(cutoff)
      tail.removeAll(keepingCapacity: true)
      for i in 0..<s where x[i] > cutoff { tail.append(i) }
      tail.sort { x[$0] < x[$1] || (x[$0] == x[$1] && $0 < $1) }
      guard tail.count > 4 else { return .infinity }
      excesses.removeAll(keepingCapacity: true)
      for i in tail { excesses.append(exp(x[i]) - expCutoff) }
      let fit = generalizedParetoFit(sortedExcesses: excesses)
      guard fit.k.isFinite else { return fit.k }
      let m = Double(tail.count)
      for (j, i) in tail.enumerated() {
        let smoothed = generalizedParetoQuantile((Double(j) + 0.5) / m, k: fit.k, sigma: fit.sigma)
        x[i] = min(log(smoothed + expCutoff), 0)  // truncated at the largest raw weight, exp 0
      }
      return fit.k
    }

    /// The cutoff, the (M+1)-th largest x, by selection (O(S)) rather than by sorting all S values.
    /// For S ≥ 512 the selection runs only over the values above a threshold, the value of every
    /// 8th x that leaves about 1.5(M + 1) + 32 values above it: if at least M + 1 do, the cutoff is
    /// among them (at the same rank from the top), and otherwise (rarely) all S are searched. The
    /// value is the same either way; on 4000 draws the threshold makes it several times faster.
    private mutating func tailCutoff(_ x: UnsafeMutableBufferPointer<Double>) -> Double {
      let s = x.count, above = tailTarget + 1  // the cutoff is the `above`-th largest
      return selection.withUnsafeMutableBufferPointer { buffer in
        let stride = 8, sampled = s / stride
        let sampleRank = sampled - (3 * above / stride / 2 + 4)
        if s >= 512 && sampleRank >= 0 {
          for j in 0..<sampled { buffer[j] = x[j * stride] }
          let threshold = Self.select(sampleRank, in: UnsafeMutableBufferPointer(rebasing: buffer[0..<sampled]))
          var count = 0
          for i in 0..<s {  // without a branch: every value is written, the count moves past those above
            buffer[count] = x[i]
            count += x[i] > threshold ? 1 : 0
          }
          if count >= above { return Self.select(count - above, in: UnsafeMutableBufferPointer(rebasing: buffer[0..<count])) }
        }
        for i in 0..<s { buffer[i] = x[i] }
        return Self.select(s - above, in: buffer)
      }
    }

    /// The value of rank `k` (0-based, increasing) of `a`, reordering `a` (Hoare's quickselect with
    /// a median-of-three pivot).
    private static func select(_ k: Int, in a: UnsafeMutableBufferPointer<Double>) -> Double {
      var lo = 0, hi = a.count - 1
      while lo < hi {
        let mid = lo + (hi - lo) / 2
        if a[mid] < a[lo] { a.swapAt(mid, lo) }
        if a[hi] < a[lo] { a.swapAt(hi, lo) }
        if a[hi] < a[mid] { a.swapAt(hi, mid) }
        let pivot = a[mid]
        var i = lo, j = hi
        while i <= j {
          while a[i] < pivot { i += 1 }
          while a[j] > pivot { j -= 1 }
          if i <= j {
            a.swapAt(i, j)
            i += 1
            j -= 1
          }
        }
        if k <= j {
          hi = j
        } else if k >= i {
          lo = i
        } else {
          return a[k]
        }
      }
      return a[k]
    }
  }

  /// Empirical-Bayes estimate of the generalised Pareto shape k and scale σ from exceedances
  /// x₁ ≤ … ≤ x_n over the threshold, by Zhang & Stephens (2009), "A new and efficient
  /// estimation method for the generalized Pareto distribution", Technometrics 51(3), with
  /// arviz's regularisation:
  ///
  /// Over the grid b_j = 1/x_n + (1 − √(m/(j − 1/2)))/(3 x₍⌊n/4 + 1/2⌋₎), j = 1 … m, m = 30 + ⌊√n⌋
  /// (b is Zhang & Stephens' θ), with k_j = mean_i log1p(−b_j x_i), the profile log likelihood
  /// is L_j = n(log(−b_j/k_j) − k_j − 1); the posterior weights w_j = 1/Σ_l exp(L_l − L_j), those
  /// below 10ε dropped and the rest renormalised, give b̂ = Σ w_j b_j, then k = mean log1p(−b̂x)
  /// and σ = −k/b̂. Finally k is shrunk towards 0.5 by a prior worth 10 observations,
  /// k̂ = (n k + 10 · 0.5)/(n + 10), the weak prior of arviz and of R's loo; σ keeps the unshrunk k.
  /// Here k > 0 is a heavy tail (the sign convention of the GPD in PSIS).
  static func generalizedParetoFit(sortedExcesses x: [Double]) -> (k: Double, sigma: Double) {
    let n = x.count
    let priorBs = 3.0, priorK = 10.0
    let m = 30 + Int(Double(n).squareRoot())
    let quartile = x[Int(Double(n) / 4 + 0.5) - 1]
    var b = (1...m).map { j in
      (1 - (Double(m) / (Double(j) - 0.5)).squareRoot()) / (priorBs * quartile) + 1 / x[n - 1]
    }
    // mean_i log1p(−b x_i), vectorised (CKernels; each term within 1.2 ulp of log1p).
    func meanLog1p(_ bj: Double) -> Double { simstudy_sum_log1p(x, n, -bj) / Double(n) }
    let kGrid = b.map(meanLog1p)
    let lengthScale = (0..<m).map { j in Double(n) * (log(-(b[j] / kGrid[j])) - kGrid[j] - 1) }
    var w = lengthScale.map { lj in 1 / lengthScale.reduce(0) { $0 + exp($1 - lj) } }
    let keep = w.indices.filter { w[$0] >= 10 * Double.ulpOfOne }
    if keep.count < m {
      w = keep.map { w[$0] }
      b = keep.map { b[$0] }
    }
    let wSum = w.reduce(0, +)
    var bPost = 0.0
    for j in w.indices { bPost += b[j] * (w[j] / wSum) }
    let kPost = meanLog1p(bPost)
    let sigma = -kPost / bPost
    return ((Double(n) * kPost + priorK * 0.5) / (Double(n) + priorK), sigma)
  }

  /// The generalised Pareto quantile σ((1 − p)^{−k} − 1)/k (σ·(−log(1 − p)) for |k| < ε), NaN
  /// when σ ≤ 0; for 0 < p < 1.
  static func generalizedParetoQuantile(_ p: Double, k: Double, sigma: Double) -> Double {
    guard sigma > 0 else { return .nan }
    if abs(k) < Double.ulpOfOne { return -log1p(-p) * sigma }
    return expm1(-k * log1p(-p)) / k * sigma
  }

  /// log Σ exp(xᵢ), shifted by the maximum for stability (the sum vectorised, CKernels).
  static func logSumExp(_ x: [Double]) -> Double {
    guard let m = x.max(), m.isFinite else { return x.max() ?? -.infinity }
    return log(simstudy_sum_exp(x, x.count, m)) + m
  }
}
