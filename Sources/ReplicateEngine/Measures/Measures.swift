import Estimators

/// One performance measure of one method on one estimand over a condition's replicates: its
/// estimate and its Monte Carlo standard error (nil where none is defined, e.g. for the count `n`,
/// or when a single replicate leaves nothing to estimate it from).
public struct MeasureValue: Sendable, Equatable {
  public let measure: String
  public let estimate: Double
  public let mcse: Double?
  public init(_ measure: String, _ estimate: Double, mcse: Double?) {
    self.measure = measure
    self.estimate = estimate
    self.mcse = mcse
  }
}

/// One replicate's estimate of one estimand by one method (rows of status ok only), with the
/// truth it was drawn under.
public struct ReplicateEstimate: Sendable {
  public var value: Double
  public var truth: Double
  public var se: Double?
  public var lower: Double?
  public var upper: Double?
  public var pValue: Double?
  public init(
    value: Double, truth: Double, se: Double? = nil, lower: Double? = nil, upper: Double? = nil,
    pValue: Double? = nil
  ) {
    self.value = value
    self.truth = truth
    self.se = se
    self.lower = lower
    self.upper = upper
    self.pValue = pValue
  }

  /// A method's estimate together with the truth of its estimand.
  public init(_ estimate: Estimate, truth: Double) {
    self.init(
      value: estimate.value, truth: truth, se: estimate.se, lower: estimate.lower, upper: estimate.upper,
      pValue: estimate.pValue)
  }
}

/// The performance measures of a simulation study and their Monte Carlo standard errors (MCSE),
/// after Morris, White & Crowther (2019), "Using simulation studies to evaluate statistical
/// methods", Statistics in Medicine 38:2074–2102, Table 6.
///
/// Conventions shared by every function here:
/// - Inputs are the n replicates with a valid estimate, in the engine's replicate order. Every sum
///   runs sequentially in that order (two passes: the mean, then the sum of squared deviations), so
///   identical input in identical order gives bit-identical output. Cost O(n) per measure
///   (O(n log n) for the distribution of a discrete estimand).
/// - n = 0: only the measure `n` (= 0) is returned.
/// - n = 1: measures whose estimate exists from one replicate are returned with `mcse` nil (no
///   Monte Carlo error can be estimated from one replicate); measures that need n − 1 ≥ 1
///   degrees of freedom (`emp_se`, `rel_error_model_se`) are omitted. For finite input no
///   estimate or MCSE is ever NaN.
/// - Zero spread: an MCSE whose formula divides by the spread it multiplies (RMSE with MSE = 0,
///   model SE with every SEᵢ = 0) is 0, its limit; a measure whose estimate divides by a zero
///   spread (`rel_error_model_se` with EmpSE = 0) is omitted.
/// - Values must be finite (the engine passes only identified estimates of status ok); non-finite
///   input propagates into the affected measures.
public enum PerformanceMeasures {
  /// The measures of a continuous estimand, named (in this order) `n`, `bias`, `emp_se`, `mse`,
  /// `rmse`, `model_se`, `rel_error_model_se`, `coverage`, `be_coverage`, `rejection`, `mean`.
  /// With θ̂ᵢ the estimates, θ the truth, θ̄ = Σθ̂ᵢ/n, SEᵢ the model SEs, and sums in row order:
  ///
  /// | measure | estimate | MCSE |
  /// |---|---|---|
  /// | bias | θ̄ − θ | EmpSE/√n |
  /// | emp_se | EmpSE = √(Σ(θ̂ᵢ−θ̄)²/(n−1)) | EmpSE/√(2(n−1)) |
  /// | mse | MSE = Σ(θ̂ᵢ−θ)²/n | √(Σ((θ̂ᵢ−θ)²−MSE)²/(n(n−1))) |
  /// | rmse | √MSE | MCSE(MSE)/(2·RMSE) (0 when RMSE = 0) |
  /// | model_se | ModSE = √(ΣSEᵢ²/n) | √(Var(SEᵢ²)/(4n·ModSE²)) (0 when ModSE = 0) |
  /// | rel_error_model_se | 100(ModSE/EmpSE − 1) | 100(ModSE/EmpSE)·√(Var(SEᵢ²)/(4n·ModSE⁴) + 1/(2(n−1))) |
  /// | coverage | C = share of rows with lowerᵢ ≤ θ ≤ upperᵢ | √(C(1−C)/n) |
  /// | be_coverage | B = share of rows with lowerᵢ ≤ θ̄ ≤ upperᵢ | √(B(1−B)/n) |
  /// | rejection | P = share of rows with pᵢ ≤ alpha | √(P(1−P)/n) |
  /// | mean | θ̄ | EmpSE/√n |
  ///
  /// Var(SEᵢ²) is the sample variance (denominator n − 1). `model_se` and `rel_error_model_se`
  /// appear only when every row has an SE, the two coverages only when every row has both interval
  /// ends, and `rejection` only when every row has a p-value. Intervals are closed.
  ///
  /// Normal theory: the MCSE of `emp_se` (and the 1/(2(n−1)) term of `rel_error_model_se`) is the
  /// large-sample SD of a sample SD of *normal* estimates; for estimates with kurtosis κ the true
  /// value is √((κ−1)/2) times it. The relative-error MCSE also treats ModSE and EmpSE as
  /// independent (as they are when θ̂ᵢ is a normal sample mean and SEᵢ comes from that sample's
  /// variance).
  /// rsimsum computed the second term as 1/(2n − 1) instead of the paper's 1/(2(n − 1)) until its
  /// issue #45 / pull request #46 (February 2023; Stata's simsum agrees with the paper); this
  /// follows the paper.
  ///
  /// Truth varying by row: when the rows do not all share one truth, let dᵢ = θ̂ᵢ − θᵢ. Then bias is
  /// d̄ = Σdᵢ/n with MCSE sd(dᵢ)/√n, MSE is Σdᵢ²/n (formula above with θᵢ for θ), coverage counts
  /// lowerᵢ ≤ θᵢ ≤ upperᵢ, and bias-eliminated coverage counts lowerᵢ ≤ θᵢ + d̄ ≤ upperᵢ; EmpSE
  /// and the mean stay the SD and mean of the estimates θ̂ᵢ themselves (so EmpSE, and the relative
  /// error of the model SE against it, include the spread of the truths). With one common truth
  /// these are exactly the table's formulas.
  public static func continuous(_ rows: [ReplicateEstimate], alpha: Double = 0.05) -> [MeasureValue] {
    let n = rows.count
    var out = [MeasureValue("n", Double(n), mcse: nil)]
    guard n > 0 else { return out }
    let nd = Double(n)
    let estimates = SampleMoments(rows.map(\.value))
    let empSE = estimates.sd
    let first = rows[0].truth
    let commonTruth: Double? = rows.allSatisfy { $0.truth == first } ? first : nil

    // Bias: θ̄ − θ with MCSE EmpSE/√n, or, for varying truths, d̄ with MCSE sd(dᵢ)/√n.
    let bias: Double
    let biasSD: Double?
    if let theta = commonTruth {
      bias = estimates.mean - theta
      biasSD = empSE
    } else {
      let errors = SampleMoments(rows.map { $0.value - $0.truth })
      bias = errors.mean
      biasSD = errors.sd
    }
    out.append(MeasureValue("bias", bias, mcse: biasSD.map { $0 / nd.squareRoot() }))

    if let empSE {
      out.append(MeasureValue("emp_se", empSE, mcse: empSE / (2 * (nd - 1)).squareRoot()))
    }

    // MSE = mean of dᵢ², MCSE = sd(dᵢ²)/√n; RMSE by the delta method.
    let squaredErrors = SampleMoments(rows.map { ($0.value - $0.truth) * ($0.value - $0.truth) })
    let mse = squaredErrors.mean
    let mseMCSE = squaredErrors.variance.map { ($0 / nd).squareRoot() }
    out.append(MeasureValue("mse", mse, mcse: mseMCSE))
    let rmse = mse.squareRoot()
    out.append(MeasureValue("rmse", rmse, mcse: mseMCSE.map { rmse > 0 ? $0 / (2 * rmse) : 0 }))

    // Model SE = √(mean SEᵢ²) and the relative error of the model SE against EmpSE.
    if let ses = rows.allNonNil({ $0.se }) {
      let variances = SampleMoments(ses.map { $0 * $0 })
      let modSE = variances.mean.squareRoot()
      let varOfVariances = variances.variance
      out.append(
        MeasureValue(
          "model_se", modSE,
          mcse: varOfVariances.map { modSE > 0 ? ($0 / (4 * nd * modSE * modSE)).squareRoot() : 0 }))
      if let empSE, let varOfVariances, empSE > 0 {
        let ratio = modSE / empSE
        let modSETerm = modSE > 0 ? varOfVariances / (4 * nd * variances.mean * variances.mean) : 0
        out.append(
          MeasureValue(
            "rel_error_model_se", 100 * (ratio - 1),
            mcse: 100 * ratio * (modSETerm + 1 / (2 * (nd - 1))).squareRoot()))
      }
    }

    if let lowers = rows.allNonNil({ $0.lower }), let uppers = rows.allNonNil({ $0.upper }) {
      var covered = 0
      var coveredBiasFree = 0
      for i in 0..<n {
        let truth = rows[i].truth
        if lowers[i] <= truth && truth <= uppers[i] { covered += 1 }
        let centre = commonTruth == nil ? truth + bias : estimates.mean
        if lowers[i] <= centre && centre <= uppers[i] { coveredBiasFree += 1 }
      }
      out.append(share("coverage", covered, of: n))
      out.append(share("be_coverage", coveredBiasFree, of: n))
    }

    if let pValues = rows.allNonNil({ $0.pValue }) {
      out.append(share("rejection", pValues.count(where: { $0 <= alpha }), of: n))
    }

    out.append(MeasureValue("mean", estimates.mean, mcse: empSE.map { $0 / nd.squareRoot() }))
    return out
  }

  /// The measures of a discrete estimand (e.g. a selected rank), with sums in the given order:
  /// - `n`;
  /// - `share_correct` S = share of values equal to `truth`, MCSE √(S(1−S)/n);
  /// - `mean` x̄, MCSE s/√n with s = √(Σ(xᵢ−x̄)²/(n−1));
  /// - `emp_se` s, MCSE √(V̂ar(s²))/(2s) with V̂ar(s²) = (m₄ − s⁴(n−3)/(n−1))/n and
  ///   m₄ = Σ(xᵢ−x̄)⁴/n (the unbiased-variance formula for Var(s²) with plug-in moments, then the
  ///   delta method; 0 when s = 0). Under normal kurtosis m₄ = 3s⁴ this is Table 6's
  ///   s/√(2(n−1)) exactly, but a discrete estimate that is mostly right has a large kurtosis κ,
  ///   and the normal-theory MCSE would be too small by a factor √((κ−1)/2);
  /// - the distribution: `freq_<k>` = share of values equal to k, MCSE √(f(1−f)/n), one per
  ///   observed value k in increasing order of k. Values are expected to be integers (k is written
  ///   without a decimal point); a non-integer value is written as Swift prints the Double.
  ///
  /// `share_correct` equals `freq_<truth>` when the truth was observed, and 0 otherwise. The
  /// n = 0 and n = 1 cases follow the conventions of ``PerformanceMeasures``.
  public static func discrete(values: [Double], truth: Double) -> [MeasureValue] {
    let n = values.count
    var out = [MeasureValue("n", Double(n), mcse: nil)]
    guard n > 0 else { return out }
    let nd = Double(n)
    out.append(share("share_correct", values.count(where: { $0 == truth }), of: n))
    let moments = SampleMoments(values)
    out.append(MeasureValue("mean", moments.mean, mcse: moments.sd.map { $0 / nd.squareRoot() }))
    if let s = moments.sd, let s2 = moments.variance {
      var m4 = 0.0
      for x in values {
        let d2 = (x - moments.mean) * (x - moments.mean)
        m4 += d2 * d2
      }
      m4 /= nd
      let varianceOfS2 = max(0, (m4 - s2 * s2 * (nd - 3) / (nd - 1)) / nd)
      out.append(MeasureValue("emp_se", s, mcse: s > 0 ? varianceOfS2.squareRoot() / (2 * s) : 0))
    }
    var counts: [Double: Int] = [:]
    for x in values { counts[x, default: 0] += 1 }
    for k in counts.keys.sorted() {
      out.append(share("freq_\(label(k))", counts[k]!, of: n))
    }
    return out
  }

  /// A per-replicate score with no truth (e.g. a fit's RMSE against the noiseless signal):
  /// `n`; `mean` x̄ with MCSE s/√n; `emp_se` s = √(Σ(xᵢ−x̄)²/(n−1)) with the normal-theory MCSE
  /// s/√(2(n−1)) of Morris, White & Crowther (2019) Table 6. Sums in the given order; n = 0 and
  /// n = 1 follow the conventions of ``PerformanceMeasures``.
  public static func score(_ values: [Double]) -> [MeasureValue] {
    let n = values.count
    var out = [MeasureValue("n", Double(n), mcse: nil)]
    guard n > 0 else { return out }
    let nd = Double(n)
    let moments = SampleMoments(values)
    out.append(MeasureValue("mean", moments.mean, mcse: moments.sd.map { $0 / nd.squareRoot() }))
    if let s = moments.sd {
      out.append(MeasureValue("emp_se", s, mcse: s / (2 * (nd - 1)).squareRoot()))
    }
    return out
  }

  /// Measures of a method relative to a reference method on the same replicates (rsimsum's `ref`),
  /// from the pairs (θ̂ᵢ of the method, θ̂ᵢ of the reference) of the replicates where both
  /// succeeded, in replicate order:
  ///
  /// | measure | estimate | MCSE |
  /// |---|---|---|
  /// | n_paired | n, the number of pairs | — |
  /// | bias_diff | D̄ = Σ(θ̂ᵢ − θ̂ᵢ^ref)/n, the bias difference | sd(θ̂ᵢ − θ̂ᵢ^ref)/√n |
  /// | rel_precision | 100((EmpSE_ref/EmpSE)² − 1) | 200(EmpSE_ref/EmpSE)²·√((1 − ρ²)/(n − 1)) |
  ///
  /// ρ is the correlation of the two methods' estimates. `bias_diff` needs no truth (it cancels)
  /// and its MCSE uses the pairing, so it is far smaller than the two biases' MCSEs combined when
  /// the methods are correlated. `rel_precision` is Morris, White & Crowther (2019) Table 6's
  /// "relative % increase in precision" of the method over the reference; its MCSE is normal theory
  /// (bivariate normal estimates). n = 0 gives only `n_paired`; n = 1 gives `bias_diff` without MCSE;
  /// `rel_precision` is omitted when either EmpSE is 0.
  public static func relative(_ pairs: [(method: Double, reference: Double)]) -> [MeasureValue] {
    let n = pairs.count
    var out = [MeasureValue("n_paired", Double(n), mcse: nil)]
    guard n > 0 else { return out }
    let nd = Double(n)
    let differences = SampleMoments(pairs.map { $0.method - $0.reference })
    out.append(MeasureValue("bias_diff", differences.mean, mcse: differences.sd.map { $0 / nd.squareRoot() }))
    let method = SampleMoments(pairs.map(\.method))
    let reference = SampleMoments(pairs.map(\.reference))
    if n > 1, method.sumOfSquares > 0, reference.sumOfSquares > 0 {
      var cross = 0.0
      for (a, b) in pairs { cross += (a - method.mean) * (b - reference.mean) }
      let rho2 = cross * cross / (method.sumOfSquares * reference.sumOfSquares)
      let ratio = reference.sumOfSquares / method.sumOfSquares  // (EmpSE_ref/EmpSE)²
      out.append(
        MeasureValue(
          "rel_precision", 100 * (ratio - 1), mcse: 200 * ratio * (max(0, 1 - rho2) / (nd - 1)).squareRoot()))
    }
    return out
  }

  /// A rate such as the failure rate: p = count/total with the binomial MCSE √(p(1−p)/total).
  /// For total = 0 the estimate is 0 with no MCSE, and for total = 1 there is no MCSE (as for
  /// n = 1 elsewhere). Precondition: 0 ≤ count ≤ total.
  public static func rate(_ name: String, count: Int, of total: Int) -> MeasureValue {
    precondition(count >= 0 && count <= total, "rate: count \(count) is not within 0…\(total)")
    guard total > 0 else { return MeasureValue(name, 0, mcse: nil) }
    return share(name, count, of: total)
  }

  /// A share p = count/n with the binomial MCSE √(p(1−p)/n) (none for n = 1). n > 0.
  private static func share(_ name: String, _ count: Int, of n: Int) -> MeasureValue {
    let p = Double(count) / Double(n)
    return MeasureValue(name, p, mcse: n > 1 ? (p * (1 - p) / Double(n)).squareRoot() : nil)
  }

  /// "3" for 3.0, "-1" for −1.0; other values as Swift prints them.
  private static func label(_ k: Double) -> String {
    if k.isFinite && k == k.rounded() && abs(k) < 1e15 { return String(Int(k)) }
    return String(describing: k)
  }
}

/// Mean and sum of squared deviations by two sequential passes in array order (numerically
/// stable, and bit-reproducible for the same order).
private struct SampleMoments {
  let count: Int
  let mean: Double
  /// Σ(xᵢ − x̄)².
  let sumOfSquares: Double

  init(_ x: [Double]) {
    count = x.count
    var sum = 0.0
    for v in x { sum += v }
    let m = x.isEmpty ? 0 : sum / Double(x.count)
    var ss = 0.0
    for v in x { ss += (v - m) * (v - m) }
    mean = m
    sumOfSquares = ss
  }

  /// The sample variance Σ(xᵢ − x̄)²/(n − 1); nil for n < 2.
  var variance: Double? { count > 1 ? sumOfSquares / Double(count - 1) : nil }
  /// The sample standard deviation; nil for n < 2.
  var sd: Double? { variance.map { $0.squareRoot() } }
}

extension Array where Element == ReplicateEstimate {
  /// The field of every row, or nil when some row lacks it.
  fileprivate func allNonNil(_ field: (ReplicateEstimate) -> Double?) -> [Double]? {
    var values: [Double] = []
    values.reserveCapacity(count)
    for row in self {
      guard let v = field(row) else { return nil }
      values.append(v)
    }
    return values
  }
}
