import LinearAlgebra

/// The additive effects removed from a T×N panel before its factor structure is estimated (the
/// `force` option of Bai's and Xu's interactive-fixed-effects software).
///
/// The grand mean μ is always removed. `unit` also removes unit effects α_i, `time` period
/// effects ξ_t, `twoWay` both. For a balanced panel the sequential demeaning below is the exact
/// least-squares fit of the additive part:
///
///     E = Y − μ,  μ = mean of all Y_ti
///     α_i = mean_t E_ti,  E ← E − α          (unit, twoWay)
///     ξ_t = mean_i E_ti,  E ← E − ξ          (time, twoWay; computed after the α step)
public enum AdditiveEffects: String, Sendable, CaseIterable {
  case none, unit, time, twoWay

  /// Whether unit effects α_i are removed.
  public var removesUnitEffects: Bool { self == .unit || self == .twoWay }
  /// Whether period effects ξ_t are removed.
  public var removesPeriodEffects: Bool { self == .time || self == .twoWay }

  /// The additive-effect parameters beyond the grand mean, net of the r that the factor part
  /// absorbs (Docs/FactorModels.md §4): 0, (N−1)−r, (T−1)−r or (N−1)+(T−1)−2r.
  func extraParameters(units n: Int, periods t: Int, rank r: Int) -> Int {
    switch self {
    case .none: 0
    case .unit: (n - 1) - r
    case .time: (t - 1) - r
    case .twoWay: (n - 1) + (t - 1) - 2 * r
    }
  }

  /// An upper bound on the rank of the demeaned panel: removing unit means makes every column sum
  /// to zero (rank ≤ T − 1), removing period means every row (rank ≤ N − 1).
  func rankBound(units n: Int, periods t: Int) -> Int {
    Swift.min(t - (removesUnitEffects ? 1 : 0), n - (removesPeriodEffects ? 1 : 0))
  }
}

/// A panel with its additive effects removed: E, μ, α (N, zeros when not removed), ξ (T, likewise).
struct DemeanedPanel {
  var residual: Matrix
  var mean: Double
  var unitEffects: [Double]
  var periodEffects: [Double]

  /// Demeans `y` (T×N) as `AdditiveEffects` documents, in three sweeps and no temporary panel:
  /// the grand sum (reading Y); per unit column, E = Y − μ written with its sum, then E − α_i
  /// with the period sums accumulated (the column stays in L1); and finally E − ξ. The arithmetic
  /// and its order are those of one pass per effect, so the result is bit-identical to it. The
  /// grand mean is NaN or infinite exactly when some element is, so it doubles as the finiteness
  /// check.
  init(_ y: Matrix, force: AdditiveEffects) {
    let t = y.rows
    let n = y.cols
    let count = n * t
    var alpha = [Double](repeating: 0, count: n)
    var xi = [Double](repeating: 0, count: t)
    var grand = 0.0
    let unitStep = force.removesUnitEffects
    let periodStep = force.removesPeriodEffects
    let e = y.elements.withUnsafeBufferPointer { yp in
      var s = 0.0
      for k in 0..<count { s += yp[k] }
      let g = s / Double(count)
      grand = g
      return [Double](unsafeUninitializedCapacity: count) { p, initialized in
        alpha.withUnsafeMutableBufferPointer { a in
          xi.withUnsafeMutableBufferPointer { x in
            for i in 0..<n {
              let base = i * t
              if unitStep {
                var si = 0.0
                for s in 0..<t {
                  let v = yp[base + s] - g
                  p[base + s] = v
                  si += v
                }
                let ai = si / Double(t)
                a[i] = ai
                if periodStep {
                  for s in 0..<t {
                    let v = p[base + s] - ai
                    p[base + s] = v
                    x[s] += v
                  }
                } else {
                  for s in 0..<t { p[base + s] -= ai }
                }
              } else if periodStep {
                for s in 0..<t {
                  let v = yp[base + s] - g
                  p[base + s] = v
                  x[s] += v
                }
              } else {
                for s in 0..<t { p[base + s] = yp[base + s] - g }
              }
            }
            if periodStep {
              let scale = 1 / Double(n)
              for s in 0..<t { x[s] *= scale }
              for i in 0..<n {
                let base = i * t
                for s in 0..<t { p[base + s] -= x[s] }
              }
            }
          }
        }
        initialized = count
      }
    }
    residual = Matrix(rows: t, cols: n, elements: e)
    mean = grand
    unitEffects = alpha
    periodEffects = xi
  }

  /// The panel as it is, nothing removed (for a free or omitted intercept, `InterceptConvention`):
  /// E = Y, α and ξ zero. `mean` is 0, or the non-finite grand sum when Y holds NaN or ±∞, so the
  /// same finiteness check reads it.
  init(uncentred y: Matrix) {
    let s = y.elements.reduce(0, +)
    residual = y
    mean = s.isFinite ? 0 : s
    unitEffects = [Double](repeating: 0, count: y.cols)
    periodEffects = [Double](repeating: 0, count: y.rows)
  }
}
