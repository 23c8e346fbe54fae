import LinearAlgebra
import RandomStreams

/// A panel whose slopes are shared within latent groups:
///
///     y_it = α_{g(i)}'x_it + μ_i + λ_i'F_t + ε_it,   ε_it ~ N(0, σ²),
///
/// with G groups of fixed sizes N_g (from `shares`), membership assigned to a uniformly random
/// permutation of the units. Two presets (Docs/GroupedSlopes.md §1):
///
/// - `ssp-static` (Su, Shi & Phillips 2016, DGP 1): μ_i ~ N(0, 1), no factors,
///   x_itk = 0.2μ_i + e_itk for k = 1, 2 and 0.3μ_i + e_itk for k = 3, 4, e ~ N(0, 1), so the
///   regressors are correlated with the fixed effects (pooled OLS without demeaning is biased).
/// - `su-ju` (interactive effects, after Su & Ju 2018): no μ_i; R factors F_t ~ N(0, I_R) and
///   loadings λ_i ~ N(0, I_R); the regressors load on the same common component,
///   x_itk = 1 + λ_i'F_t + η_itk, η ~ N(0, 1), so least squares that ignores the factors is biased.
///
/// Slopes, with the separation knob C (C = 0.6 gives the published values): for G = 3 and p = 2,
/// α_1 = (1−C, 1+C), α_2 = (1, 1), α_3 = (1+C, 1−C); in general group g = 0..G−1 has
/// (1 + C·s_g, 1 − C·s_g) with s_g = −1 + 2g/(G−1) (s = 0 when G = 1), and for p = 4 the last two
/// components are the negatives of the first two (α_1 = (0.4, 1.6, −0.4, −1.6) at C = 0.6, as in SSP).
///
/// Draw order (fixed, so a stream key always gives the same panel): the membership permutation,
/// then μ (N draws, `ssp-static` only), then F (T·R, row by row) and Λ (N·R, unit by unit), then for
/// each unit its regressor noise (T·p, period-major) and its errors (T).
public struct GroupedSlopesPanel: DataGeneratingProcess {
  public enum Preset: String, Sendable, CaseIterable {
    case sspStatic = "ssp-static"
    case suJu = "su-ju"
  }

  public let preset: Preset
  /// N.
  public let units: Int
  /// T.
  public let periods: Int
  /// p (2 or 4).
  public let regressors: Int
  /// G.
  public let groups: Int
  /// Group shares, summing to 1; the sizes N_g are their largest-remainder rounding of N.
  public let shares: [Double]
  /// The separation knob C.
  public let separation: Double
  /// σ, the error standard deviation.
  public let errorSD: Double
  /// R, the number of common factors (0 for `ssp-static`).
  public let factors: Int

  /// - Parameters:
  ///   - shares: defaults to 0.3/0.3/0.4 for G = 3 and to equal shares otherwise.
  ///   - factors: defaults to 0 for `ssp-static` and 2 for `su-ju`; must be 0 for `ssp-static`.
  public init(
    preset: Preset = .sspStatic, units: Int, periods: Int, regressors: Int = 2, groups: Int = 3,
    shares: [Double]? = nil, separation: Double = 0.6, errorSD: Double = 1, factors: Int? = nil
  ) throws(DesignError) {
    guard units >= 1, periods >= 2 else { throw DesignError("a grouped-slopes panel needs N ≥ 1 and T ≥ 2") }
    guard regressors == 2 || regressors == 4 else {
      throw DesignError("the grouped-slopes presets define p = 2 or p = 4 regressors, not \(regressors)")
    }
    guard groups >= 1, groups <= units else { throw DesignError("the number of groups G must be between 1 and N") }
    let s = shares ?? (groups == 3 ? [0.3, 0.3, 0.4] : Array(repeating: 1 / Double(groups), count: groups))
    guard s.count == groups, s.allSatisfy({ $0 > 0 && $0.isFinite }), abs(s.reduce(0, +) - 1) < 1e-9 else {
      throw DesignError("shares must be G positive numbers summing to 1")
    }
    guard separation.isFinite, errorSD.isFinite, errorSD >= 0 else {
      throw DesignError("the separation C and the error sd must be finite (sd ≥ 0)")
    }
    let r = factors ?? (preset == .suJu ? 2 : 0)
    guard r >= 0, r < periods else { throw DesignError("the number of factors R must be between 0 and T − 1") }
    if preset == .sspStatic && r != 0 { throw DesignError("the ssp-static preset has no factors; use su-ju for R > 0") }
    self.preset = preset
    self.units = units
    self.periods = periods
    self.regressors = regressors
    self.groups = groups
    self.shares = s
    self.separation = separation
    self.errorSD = errorSD
    self.factors = r
  }

  /// The true group slopes α_g (G × p), see the type's documentation.
  public var slopes: [[Double]] {
    (0..<groups).map { g in
      let s = groups == 1 ? 0 : -1 + 2 * Double(g) / Double(groups - 1)
      let first = [1 + separation * s, 1 - separation * s]
      return regressors == 2 ? first : first + first.map { -$0 }
    }
  }

  /// The group sizes N_g: ⌊share·N⌋ plus one for the largest remainders until they sum to N
  /// (exact for the default 0.3/0.3/0.4 when N is a multiple of 10). A tiny share may round to an
  /// empty group.
  public var groupSizes: [Int] {
    let raw = shares.map { $0 * Double(units) }
    var sizes = raw.map { Int($0.rounded(.down)) }
    let order = raw.indices.sorted { (raw[$0] - raw[$0].rounded(.down)) > (raw[$1] - raw[$1].rounded(.down)) }
    var k = 0
    while sizes.reduce(0, +) < units {
      sizes[order[k % order.count]] += 1
      k += 1
    }
    return sizes
  }

  public func draw(using rng: RandomStream) throws -> GroupedSlopesSample {
    let n = units, t = periods, p = regressors, r = factors
    let alpha = slopes

    // Membership: the first N_1 units of a random permutation form group 0, and so on.
    let perm = rng.permutation(n)
    var group = [Int](repeating: 0, count: n)
    var next = 0
    for (g, size) in groupSizes.enumerated() {
      for _ in 0..<size {
        group[perm[next]] = g
        next += 1
      }
    }

    let mu = preset == .sspStatic ? rng.normals(n) : [Double](repeating: 0, count: n)
    var factorMatrix = Matrix(rows: t, cols: r)
    var loadings = Matrix(rows: n, cols: r)
    for s in 0..<t { for j in 0..<r { factorMatrix[s, j] = rng.normal() } }
    for i in 0..<n { for j in 0..<r { loadings[i, j] = rng.normal() } }
    // The common component c_it = λ_i'F_t (T×N), zero without factors.
    let common = r > 0 ? factorMatrix.multiplied(by: loadings, transposeOther: true) : Matrix(rows: t, cols: n)

    var y = Matrix(rows: t, cols: n)
    var x = Matrix(rows: t, cols: n * p)
    for i in 0..<n {
      let a = alpha[group[i]]
      for s in 0..<t {
        let c = common[s, i]
        var signal = mu[i] + c
        for k in 0..<p {
          let shift: Double
          switch preset {
          case .sspStatic: shift = (k < 2 ? 0.2 : 0.3) * mu[i]
          case .suJu: shift = 1 + c
          }
          let v = shift + rng.normal()
          x[s, i * p + k] = v
          signal += a[k] * v
        }
        y[s, i] = signal
      }
      for s in 0..<t { y[s, i] += rng.normal(sd: errorSD) }
    }
    return GroupedSlopesSample(
      y: y, x: x, regressors: p, group: group, slopes: alpha, fixedEffects: mu, factors: factorMatrix,
      loadings: loadings)
  }
}

/// One draw of a `GroupedSlopesPanel`: the data and the truth it was drawn under.
public struct GroupedSlopesSample: Sendable {
  /// y, T×N (column i is unit i's series).
  public let y: Matrix
  /// The regressors, T×(N·p): unit i's T×p block is columns i·p ..< (i+1)·p.
  public let x: Matrix
  /// p.
  public let regressors: Int
  /// The true group of each unit, 0..<G.
  public let group: [Int]
  /// The true group slopes α_g (G × p).
  public let slopes: [[Double]]
  /// μ_i (zeros for `su-ju`).
  public let fixedEffects: [Double]
  /// F, T×R (R = 0 for `ssp-static`).
  public let factors: Matrix
  /// Λ, N×R.
  public let loadings: Matrix

  public var units: Int { y.cols }
  public var periods: Int { y.rows }
  /// The number of units in each true group.
  public var groupSizes: [Int] {
    var sizes = [Int](repeating: 0, count: slopes.count)
    for g in group { sizes[g] += 1 }
    return sizes
  }
}
