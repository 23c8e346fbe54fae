internal import CKernels
import Foundation
import LinearAlgebra

/// Settings shared by the Newton (IRLS) fits.
public struct NewtonOptions: Sendable, Equatable {
  /// Converged when the Newton decrement λ = (gᵀH⁻¹g)^{1/2} at the current iterate (g the score,
  /// H the information) is ≤ tolerance.
  ///
  /// Why this rule: λ bounds the remaining Newton step of every coefficient in its own standard
  /// errors, |Δβ_k|/SE_k ≤ λ (Cauchy–Schwarz with SE_k² = (H⁻¹)_kk), and λ²/2 is the predicted
  /// remaining increase of the log-likelihood. So at the default 1e-10 the reported estimate is
  /// within 1e-10 standard errors of the maximum — far below any Monte Carlo error — and the
  /// iteration stops as soon as that is known, without the extra pass(es) that a rule on the
  /// change between iterates needs (the previous rule, relative deviance change ≤ 1e-10, stopped
  /// one or two passes later at a comparable or worse accuracy, ~λ² of the last step). Newton
  /// converges quadratically, so a tighter tolerance costs at most one more pass.
  public var tolerance: Double = 1e-10
  /// Iteration cap, reported when reached.
  public var maxIterations: Int = 100
  /// Step halvings allowed per iteration before the step is declared unable to decrease the deviance.
  public var maxHalvings: Int = 30

  public init(tolerance: Double = 1e-10, maxIterations: Int = 100, maxHalvings: Int = 30) {
    self.tolerance = tolerance
    self.maxIterations = maxIterations
    self.maxHalvings = maxHalvings
  }
}

/// Maximum-likelihood logistic regression y_j ~ Bernoulli(logistic(x_jᵀβ)) by Newton's method
/// (IRLS) with step halving.
///
/// Each evaluation is one fused pass over the rows: η_j = x_jᵀβ, p_j, the deviance
/// D = −2Σ log p(y_j), the score g = Xᵀ(y − p) and the upper triangle of the information
/// H = XᵀWX, W = diag(p(1 − p)), accumulated row by row (for the few coefficients of these models
/// a BLAS call per product costs more than the arithmetic). One exponential per row: with
/// a = e^{−|η|}, p = 1/(1 + a) or a/(1 + a), 1 − p and p(1 − p) = a/(1 + a)² without cancellation,
/// and log(1 + e^{∓η}) = max(∓η, 0) + log(1 + a), the logs taken of products of 256 factors in
/// [1, 2]. The Newton step H⁻¹g comes from a Cholesky factor of H; the step is halved until the
/// deviance does not increase, and the accepted trial's pass already holds the next g and H, so an
/// iteration costs one pass, O(n p²) (O(n p·m) with m non-zeros per row: zero entries are skipped,
/// so a design with one dummy per group costs O(n p) rather than O(n p²)), and no allocation.
/// Convergence: Newton decrement λ = (gᵀH⁻¹g)^{1/2} ≤ `tolerance` (see `NewtonOptions.tolerance`).
/// Covariance: (XᵀWX)⁻¹ at the estimate. A rank-deficient design throws `.invalidInput`: the first
/// pass (β = 0, W = I/4) gives XᵀX, which clears a design of full rank with a wide margin; any other
/// goes to the QR rank check of `Matrix.leastSquares`.
///
/// Separation (Albert & Anderson 1984: the MLE exists iff the two outcome classes overlap):
/// * complete separation is certified when an iterate classifies every observation correctly,
///   (2y_j − 1)·x_jᵀβ > 0 for all j — then the likelihood tends to 1 along β;
/// * quasi-complete separation is recognised once the predicted deviance decrease λ² falls to
///   1e-10·(|D| + 0.1) (or the iteration stops) while some observations are fitted with
///   probability of their own outcome above 1 − e⁻¹⁰: if three further Newton steps push their
///   linear predictors out by more than 1 in total (at a finite maximum Newton steps are ~0; along
///   a separating direction each step adds about 1 to |x_jᵀβ|), the MLE does not exist. Otherwise
///   the iteration continues from there to the tolerance.
/// Both throw `EstimationError.separation` with the reason.
public enum LogisticRegression {
  public static func fit(
    design: Matrix, y: [Double], names: [String], options: NewtonOptions = NewtonOptions()
  ) throws(EstimationError) -> BinaryChoiceFit {
    try fit(design: design, y: y, weights: nil, names: names, options: options)
  }

  /// Binomial rows: y_j successes out of t_j trials, y_j ~ Binomial(t_j, logistic(x_jᵀβ)). Each row
  /// becomes up to two weighted Bernoulli rows (outcome 1 with weight y_j, outcome 0 with weight
  /// t_j − y_j; weight-0 rows left out), whose weighted likelihood is the binomial one without the
  /// constant Σ log C(t_j, y_j); the separation certificates then apply to those rows unchanged (a
  /// row with both outcomes can never be classified correctly). The reported log-likelihood excludes
  /// that constant.
  public static func fit(
    design: Matrix, successes: [Double], trials: [Double], names: [String], options: NewtonOptions = NewtonOptions()
  ) throws(EstimationError) -> BinaryChoiceFit {
    let n = design.rows
    precondition(successes.count == n && trials.count == n, "one count per row")
    var rows: [Int] = []
    var y: [Double] = []
    var weights: [Double] = []
    for j in 0..<n {
      guard successes[j] >= 0, successes[j] <= trials[j], trials[j].isFinite else {
        throw .invalidInput("row \(j + 1) has \(successes[j]) successes out of \(trials[j]) trials")
      }
      if successes[j] > 0 {
        rows.append(j)
        y.append(1)
        weights.append(successes[j])
      }
      if trials[j] > successes[j] {
        rows.append(j)
        y.append(0)
        weights.append(trials[j] - successes[j])
      }
    }
    let expanded = Matrix(rows: rows.count, cols: design.cols) { i, k in design[rows[i], k] }
    return try fit(design: expanded, y: y, weights: weights, names: names, options: options)
  }

  private static func fit(
    design: Matrix, y: [Double], weights: [Double]?, names: [String], options: NewtonOptions
  ) throws(EstimationError) -> BinaryChoiceFit {
    let n = design.rows
    let p = design.cols
    precondition(y.count == n && names.count == p, "design, response and names must agree")
    guard n > p else { throw .invalidInput("logistic regression needs more observations (\(n)) than coefficients (\(p))") }
    return try design.elements.withUnsafeBufferPointer { xBuffer throws(EstimationError) in
      try y.withUnsafeBufferPointer { yBuffer throws(EstimationError) in
        try (weights ?? []).withUnsafeBufferPointer { wBuffer throws(EstimationError) in
        let newton = LogitNewton(
          x: xBuffer.baseAddress!, y: yBuffer.baseAddress!, weights: weights == nil ? nil : wBuffer.baseAddress!, n: n, p: p)
        defer { newton.deallocate() }
        // The pass at β = 0 has W = I/4, so its information is XᵀX/4: the rank check's Gram matrix
        // comes for free, and only a design it cannot clear goes to the QR check.
        newton.evaluate(&newton.current)
        if !newton.clearlyFullRank() {
          do {
            _ = try design.leastSquares(y)
          } catch {
            throw .invalidInput("the design matrix is rank deficient (\(error)); a coefficient is not identified")
          }
        }
        return try newton.run(names: names, options: options)
        }
      }
    }
  }
}

/// The state of `LogisticRegression` at one β: the pass's results.
private struct LogitState {
  var beta: UnsafeMutablePointer<Double>
  var eta: UnsafeMutablePointer<Double>
  var score: UnsafeMutablePointer<Double>
  /// The information, p×p column-major, both triangles filled.
  var information: UnsafeMutablePointer<Double>
  var deviance = 0.0
  /// The number of observations classified correctly, (2y_j − 1)η_j > 0, and the largest such margin.
  var correct = 0
  var largestMargin = -Double.infinity

  init(n: Int, p: Int) {
    func buffer(_ count: Int) -> UnsafeMutablePointer<Double> {
      let b = UnsafeMutablePointer<Double>.allocate(capacity: max(count, 1))
      b.initialize(repeating: 0, count: max(count, 1))
      return b
    }
    beta = buffer(p)
    eta = buffer(n)
    score = buffer(p)
    information = buffer(p * p)
  }

  func deallocate() {
    beta.deallocate()
    eta.deallocate()
    score.deallocate()
    information.deallocate()
  }
}

/// Buffers and passes of one `LogisticRegression` fit (one thread, one fit).
private final class LogitNewton {
  let x: UnsafePointer<Double>
  let y: UnsafePointer<Double>
  /// Frequency weights per row, nil for unweighted rows.
  let weights: UnsafePointer<Double>?
  let n: Int
  let p: Int
  var current: LogitState
  var trial: LogitState
  /// The Newton direction and the Cholesky factor of the information (lower, column-major).
  let delta: UnsafeMutablePointer<Double>
  let factor: UnsafeMutablePointer<Double>

  init(x: UnsafePointer<Double>, y: UnsafePointer<Double>, weights: UnsafePointer<Double>?, n: Int, p: Int) {
    self.x = x
    self.y = y
    self.weights = weights
    self.n = n
    self.p = p
    current = LogitState(n: n, p: p)
    trial = LogitState(n: n, p: p)
    delta = .allocate(capacity: max(p, 1))
    delta.initialize(repeating: 0, count: max(p, 1))
    factor = .allocate(capacity: max(p * p, 1))
    factor.initialize(repeating: 0, count: max(p * p, 1))
  }

  func deallocate() {
    current.deallocate()
    trial.deallocate()
    delta.deallocate()
    factor.deallocate()
  }

  /// The fused pass at `state.beta`: η, deviance, score, information, classification counts.
  /// Unweighted designs of up to 4 columns take the vectorised kernel (CKernels); the others the
  /// loop below, which skips zero entries (dummy-coded designs are mostly zeros).
  func evaluate(_ state: inout LogitState) {
    let p = p
    let n = n
    let x = x
    let y = y
    let beta = state.beta
    let eta = state.eta
    let score = state.score
    let info = state.information
    if weights == nil {
      var totals = simstudy_logit_totals()
      if simstudy_logit_newton_pass(x, n, p, y, beta, eta, score, info, &totals) != 0 {
        state.deviance = 2 * (totals.linear + totals.logProduct)
        state.correct = totals.correct
        state.largestMargin = totals.largestMargin
        return
      }
    }
    for k in 0..<p { score[k] = 0 }
    for i in 0..<(p * p) { info[i] = 0 }
    var linear = 0.0
    var product = 1.0
    var logProduct = 0.0
    var correct = 0
    var largestMargin = -Double.infinity
    /// x_jᵀβ, for the general paths.
    @inline(__always) func linearPredictor(_ j: Int) -> Double {
      var e = 0.0
      for k in 0..<p { e += x[j + k * n] * beta[k] }
      return e
    }
    /// Row j's terms of the score (r x_j) and the information's upper triangle (w x_j x_jᵀ), for the
    /// general paths; zero entries add nothing and are skipped (dummy-coded designs are mostly zeros).
    @inline(__always) func addRow(_ j: Int, residual r: Double, weight w: Double) {
      for k in 0..<p {
        let xk = x[j + k * n]
        if xk == 0 { continue }
        score[k] += r * xk
        let wx = w * xk
        for l in k..<p { info[k + l * p] += wx * x[j + l * n] }
      }
    }
    if let weights {
      for j in 0..<n {
        let e = linearPredictor(j)
        eta[j] = e
        let (r0, w0, margin, f) = logitRow(e, y[j])
        let weight = weights[j]
        let r = weight * r0
        let w = weight * w0
        if margin > 0 { correct += 1 } else { linear -= weight * margin }
        largestMargin = max(largestMargin, margin)
        logProduct += weight * log(f)
        addRow(j, residual: r, weight: w)
      }
    } else {
      for j in 0..<n {
        let e = linearPredictor(j)
        eta[j] = e
        let (r, w, margin, f) = logitRow(e, y[j])
        if margin > 0 { correct += 1 } else { linear -= margin }
        largestMargin = max(largestMargin, margin)
        product *= f
        if j & 255 == 255 {
          logProduct += log(product)
          product = 1
        }
        addRow(j, residual: r, weight: w)
      }
    }
    logProduct += log(product)
    for l in 0..<p { for k in (l + 1)..<p { info[k + l * p] = info[l + k * p] } }
    state.deviance = 2 * (linear + logProduct)
    state.correct = correct
    state.largestMargin = largestMargin
  }

  /// The Newton direction H⁻¹g at the current state into `delta`; returns λ² = gᵀH⁻¹g.
  func direction() throws(EstimationError) -> Double {
    let p = p
    let h = current.information
    let l = factor
    for j in 0..<p {
      var d = h[j + j * p]
      for k in 0..<j { d -= l[j + k * p] * l[j + k * p] }
      guard d > 0, d.isFinite else {
        throw .numerical(
          "logistic regression: the information matrix is not positive definite (leading minor of order \(j + 1))")
      }
      let ljj = d.squareRoot()
      l[j + j * p] = ljj
      for i in (j + 1)..<p {
        var s = h[i + j * p]
        for k in 0..<j { s -= l[i + k * p] * l[j + k * p] }
        l[i + j * p] = s / ljj
      }
    }
    let g = current.score
    for i in 0..<p {
      var s = g[i]
      for k in 0..<i { s -= l[i + k * p] * delta[k] }
      delta[i] = s / l[i + i * p]
    }
    var decrement = 0.0
    for i in 0..<p { decrement += delta[i] * delta[i] }
    for i in stride(from: p - 1, through: 0, by: -1) {
      var s = delta[i]
      for k in (i + 1)..<p { s -= l[k + i * p] * delta[k] }
      delta[i] = s / l[i + i * p]
    }
    return decrement
  }

  /// Step halving along `delta`: the first trial whose deviance does not increase becomes the
  /// current state; false when none does within `maxHalvings`.
  func lineSearch(_ options: NewtonOptions) -> Bool {
    var alpha = 1.0
    for _ in 0...options.maxHalvings {
      for k in 0..<p { trial.beta[k] = current.beta[k] + alpha * delta[k] }
      evaluate(&trial)
      if trial.deviance.isFinite, trial.deviance <= current.deviance * (1 + 1e-14) + 1e-300 {
        swap(&current, &trial)
        return true
      }
      alpha /= 2
    }
    return false
  }

  /// The well-fitted observations, margin > 10, and their largest margin.
  func wellFitted() -> (candidates: [Int], largest: Double) {
    let candidates = (0..<n).filter { (y[$0] == 1 ? current.eta[$0] : -current.eta[$0]) > 10 }
    return (candidates, largestMargin(candidates))
  }

  func largestMargin(_ candidates: [Int]) -> Double {
    candidates.map { y[$0] == 1 ? current.eta[$0] : -current.eta[$0] }.max()!
  }

  func quasiSeparation(_ count: Int, growth: Double) -> EstimationError {
    .separation(
      "quasi-complete separation: \(count) observations are fitted with probability numerically 0 or 1 "
        + "and their linear predictors keep growing (by \(growth) in three Newton steps); the MLE does not exist")
  }

  /// Whether the information at β = 0 (XᵀX/4) shows full column rank with a wide margin: every
  /// Cholesky pivot R_jj ≥ 10⁻⁴ × the largest column norm. The Gram route has absolute error about
  /// √(nε) × that norm in R_jj (≈ 10⁻⁶ for n ≈ 2000), so a design cleared here has R_jj far above
  /// the QR check's threshold max(n, p)·ε·max|R_ii| (`Matrix.leastSquares`) and would pass it;
  /// anything else (nearly or exactly deficient, or non-finite) is left to that check.
  func clearlyFullRank() -> Bool {
    let h = current.information
    var largest = 0.0
    for j in 0..<p { largest = max(largest, h[j + j * p]) }
    guard largest.isFinite, largest > 0 else { return false }
    let floor = 1e-8 * largest  // (10⁻⁴)² on the squared scale
    let l = factor
    for j in 0..<p {
      var d = h[j + j * p]
      for k in 0..<j { d -= l[j + k * p] * l[j + k * p] }
      guard d > floor, d.isFinite else { return false }
      let ljj = d.squareRoot()
      l[j + j * p] = ljj
      for i in (j + 1)..<p {
        var s = h[i + j * p]
        for k in 0..<j { s -= l[i + k * p] * l[j + k * p] }
        l[i + j * p] = s / ljj
      }
    }
    return true
  }

  /// Runs Newton's method from the current state (evaluated at β = 0).
  func run(names: [String], options: NewtonOptions) throws(EstimationError) -> BinaryChoiceFit {
    var iterations = 0
    var converged = false
    var decrement = Double.infinity
    // Quasi-complete separation probe: the candidates, their largest margin when it began and the
    // Newton steps still to take.
    var probe: (candidates: [Int], before: Double, steps: Int)?
    var probed = false
    while true {
      let squared = try direction()
      decrement = squared.squareRoot()
      if !probed, current.largestMargin > 10, squared <= 1e-10 * (abs(current.deviance) + 0.1) {
        let (candidates, largest) = wellFitted()
        probe = (candidates, largest, 3)
        probed = true
      }
      if let active = probe, active.steps == 0 || decrement <= options.tolerance {
        let growth = largestMargin(active.candidates) - active.before
        if growth > 1 { throw quasiSeparation(active.candidates.count, growth: growth) }
        probe = nil
      }
      if probe == nil, decrement <= options.tolerance {
        converged = true
        break
      }
      guard iterations < options.maxIterations else { break }
      iterations += 1
      guard lineSearch(options) else {
        // The deviance cannot be decreased any further along the Newton direction: at the limit of
        // floating-point resolution, which is convergence.
        converged = true
        break
      }
      if current.correct == n {
        throw .separation(
          "complete separation: at iteration \(iterations) the linear predictor classifies all \(n) observations "
            + "correctly, so the likelihood increases without bound and the MLE does not exist")
      }
      if let active = probe { probe!.steps = active.steps - 1 }
    }

    if let active = probe {
      let growth = largestMargin(active.candidates) - active.before
      if growth > 1 { throw quasiSeparation(active.candidates.count, growth: growth) }
    } else if !probed, current.largestMargin > 10 {
      // The iteration stopped (cap or floating-point resolution) before the probe began: probe from
      // a copy and report the state where it stopped.
      let (candidates, before) = wellFitted()
      let saved = (
        beta: Array(UnsafeBufferPointer(start: current.beta, count: p)),
        information: Array(UnsafeBufferPointer(start: current.information, count: p * p)),
        deviance: current.deviance
      )
      for _ in 0..<3 {
        _ = try direction()
        guard lineSearch(options) else { break }
      }
      let growth = largestMargin(candidates) - before
      if growth > 1 { throw quasiSeparation(candidates.count, growth: growth) }
      for k in 0..<p { current.beta[k] = saved.beta[k] }
      for i in 0..<(p * p) { current.information[i] = saved.information[i] }
      current.deviance = saved.deviance
    }

    let information = Matrix(
      rows: p, cols: p, elements: Array(UnsafeBufferPointer(start: current.information, count: p * p)))
    let covariance = try covarianceFromInformation(information, model: "logistic regression")
    return BinaryChoiceFit(
      names: names, coefficients: Array(UnsafeBufferPointer(start: current.beta, count: p)), covariance: covariance,
      logLikelihood: -current.deviance / 2,
      summary: FitSummary(
        converged: converged, iterations: iterations, objective: current.deviance,
        message: converged
          ? nil : "iteration cap \(options.maxIterations) reached; last Newton decrement \(decrement)"))
  }
}

/// The naive (pooled) logit y ~ 1 + x + z, ignoring the grouping: biased for the slope of x when a
/// group-level confounder drives both x and y.
public struct NaiveLogit: Sendable {
  public var options: NewtonOptions
  public init(options: NewtonOptions = NewtonOptions()) { self.options = options }

  /// Coefficients "(Intercept)", "x", "z".
  public func fit(_ data: GroupedBinaryData) throws(EstimationError) -> BinaryChoiceFit {
    try LogisticRegression.fit(design: data.design(), y: data.y, names: ["(Intercept)", "x", "z"], options: options)
  }
}

/// One observation of a logit at linear predictor η with outcome y ∈ {0, 1}, from one exponential
/// a = e^{−|η|}: the residual y − p, the weight p(1 − p) = a/(1 + a)², the margin (2y − 1)η and the
/// factor 1 + a with log(1 + e^{−margin}) = max(−margin, 0) + log(1 + a). 1 − p is formed as a/(1 + a)
/// or 1/(1 + a), so neither the residual nor the weight cancels in the tails.
@inline(__always) func logitRow(_ e: Double, _ yj: Double) -> (r: Double, w: Double, margin: Double, factor: Double) {
  let a = exp(-abs(e))
  let f = 1 + a
  let inverse = 1 / f
  let big = e >= 0 ? inverse : a * inverse  // p
  let small = e >= 0 ? a * inverse : inverse  // 1 − p
  let r = yj == 1 ? small : -big
  return (r, a * inverse * inverse, yj == 1 ? e : -e, f)
}
