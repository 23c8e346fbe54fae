import Foundation

/// Estimators of the number of factors r, each a function of one shared `PanelSpectrum`
/// (Docs/FactorModels.md §6). Notation: μ_1 ≥ μ_2 ≥ … the eigenvalues of EE'/(NT) of the
/// demeaned panel E, m = min(N, T), V(k) = Σ_{j>k} μ_j, C² = min(N, T), k ranges over 0…kmax.
///
/// - Bai & Ng (2002), k̂ = argmin_k, with σ̂² = V(kmax) and
///   g1 = (N+T)/(NT)·ln(NT/(N+T)), g2 = (N+T)/(NT)·ln C², g3 = ln C²/C²:
///   PC_pj(k) = V(k) + k·σ̂²·g_j,  IC_pj(k) = ln V(k) + k·g_j.
/// - Ahn & Horenstein (2013), k̂ = argmax_k, with the mock eigenvalue μ_0 = V(0)/ln m:
///   ER(k) = μ_k/μ_{k+1},  GR(k) = ln(V(k−1)/V(k)) / ln(V(k)/V(k+1)),  V(−1) = V(0) + μ_0.
/// - Onatski (2010) ED: starting from j = kmax + 1, regress (μ_j … μ_{j+4}) by OLS on a constant and
///   ((j−1)^{2/3} … (j+3)^{2/3}), set δ = 2|slope|, r̂ = max{i ≤ kmax : μ_i − μ_{i+1} ≥ δ} (0 if
///   none), j = r̂ + 1, and repeat until r̂ is unchanged (at most 10 passes). Onatski uses the
///   eigenvalues of XX'/T; the rule is invariant to rescaling all eigenvalues, so μ serves.
///
/// Ties go to the smallest k. Cost: O(kmax) given the spectrum.
public enum RankSelector: String, CaseIterable, Sendable {
  case icp1, icp2, icp3, pcp1, pcp2, pcp3, er, gr, ed

  /// The name used in tables: "IC_p1" … "PC_p3", "ER", "GR", "ED".
  public var displayName: String {
    switch self {
    case .icp1: "IC_p1"
    case .icp2: "IC_p2"
    case .icp3: "IC_p3"
    case .pcp1: "PC_p1"
    case .pcp2: "PC_p2"
    case .pcp3: "PC_p3"
    case .er: "ER"
    case .gr: "GR"
    case .ed: "ED"
    }
  }

  /// The ED pass cap.
  public static let edMaximumPasses = 10

  /// The selected number of factors, in 0…`s.kmax`.
  ///
  /// Only ED throws: `EstimationError.invalidInput` when the demeaned panel cannot supply
  /// kmax + 5 genuine eigenvalues (`s.rankBound < s.kmax + 5`; no fallback is substituted, so a
  /// study records ED as failed there rather than as a different estimator), and
  /// `EstimationError.notConverged` when r̂ still changes after `edMaximumPasses` passes.
  public func select(_ s: PanelSpectrum) throws(EstimationError) -> Int {
    guard let values = criterion(s) else {
      guard s.rankBound >= s.kmax + 5 else {
        throw .invalidInput(
          "ED needs kmax + 5 = \(s.kmax + 5) eigenvalues but the demeaned \(s.periods)×\(s.units) panel has rank at most \(s.rankBound)"
        )
      }
      return try Self.onatski(s.eigenvalues, kmax: s.kmax)
    }
    let minimise = self != .er && self != .gr
    var best = 0
    for k in 1..<values.count where minimise ? values[k] < values[best] : values[k] > values[best] { best = k }
    return best
  }

  /// The criterion for k = 0…kmax (minimised for IC/PC, maximised for ER/GR); nil for ED, which
  /// is a sequential rule rather than an optimised criterion.
  public func criterion(_ s: PanelSpectrum) -> [Double]? {
    let kmax = s.kmax
    let n = Double(s.units)
    let t = Double(s.periods)
    let nt = n * t
    let c2 = Double(s.minDimension)
    let mu = s.eigenvalues
    var values = [Double](repeating: 0, count: kmax + 1)
    switch self {
    case .icp1, .icp2, .icp3, .pcp1, .pcp2, .pcp3:
      let g: Double
      switch self {
      case .icp1, .pcp1: g = (n + t) / nt * log(nt / (n + t))
      case .icp2, .pcp2: g = (n + t) / nt * log(c2)
      default: g = log(c2) / c2
      }
      let isIC = self == .icp1 || self == .icp2 || self == .icp3
      let sigma2 = s.meanSquaredResidual(rank: kmax)
      for k in 0...kmax {
        let v = s.meanSquaredResidual(rank: k)
        values[k] = isIC ? log(v) + Double(k) * g : v + Double(k) * sigma2 * g
      }
    case .er:
      let mu0 = s.trace / log(c2)
      for k in 0...kmax { values[k] = (k == 0 ? mu0 : mu[k - 1]) / mu[k] }
    case .gr:
      let mu0 = s.trace / log(c2)
      var previous = s.trace + mu0  // V(−1)
      var current = s.trace  // V(0)
      for k in 0...kmax {
        let next = s.meanSquaredResidual(rank: k + 1)
        values[k] = log(previous / current) / log(current / next)
        previous = current
        current = next
      }
    case .ed:
      return nil
    }
    return values
  }

  /// Onatski's (2010) edge-distribution estimator on descending eigenvalues μ (0-based array, so
  /// μ_i is `mu[i − 1]`); needs `mu.count ≥ kmax + 5`.
  static func onatski(_ mu: [Double], kmax: Int) throws(EstimationError) -> Int {
    var j = kmax + 1
    var previous = -1
    for _ in 0..<edMaximumPasses {
      // OLS slope of μ_j … μ_{j+4} on (j−1)^{2/3} … (j+3)^{2/3}.
      var x = [Double](repeating: 0, count: 5)
      var y = [Double](repeating: 0, count: 5)
      for h in 0..<5 {
        x[h] = pow(Double(j - 1 + h), 2.0 / 3.0)
        y[h] = mu[j - 1 + h]
      }
      let xBar = x.reduce(0, +) / 5
      let yBar = y.reduce(0, +) / 5
      var sxy = 0.0
      var sxx = 0.0
      for h in 0..<5 {
        sxy += (x[h] - xBar) * (y[h] - yBar)
        sxx += (x[h] - xBar) * (x[h] - xBar)
      }
      let delta = 2 * abs(sxy / sxx)
      var rHat = 0
      for i in stride(from: kmax, through: 1, by: -1) where mu[i - 1] - mu[i] >= delta {
        rHat = i
        break
      }
      if rHat == previous { return rHat }
      previous = rHat
      j = rHat + 1
    }
    throw .notConverged("ED: the estimate still changed after \(edMaximumPasses) passes")
  }
}
