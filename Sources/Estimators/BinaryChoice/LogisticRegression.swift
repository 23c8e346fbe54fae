import Foundation
import LinearAlgebra

/// Settings shared by the Newton (IRLS) fits.
public struct NewtonOptions: Sendable, Equatable {
  /// Converged when the relative deviance change |D_old − D_new|/(|D_new| + 0.1) ≤ tolerance.
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
/// Each iteration forms the score Xᵀ(y − p) (`dgemv`) and the information XᵀWX, W = diag(p(1 − p)),
/// as the Gram matrix of W^{1/2}X (`dsyrk`), solves for the Newton step by Cholesky and halves it
/// until the deviance D = −2Σ log p(y_j) does not increase. Convergence: relative deviance change
/// ≤ `tolerance` (default 1e-10). Covariance: (XᵀWX)⁻¹ at the estimate. Cost O(n p²) per iteration.
///
/// Separation (Albert & Anderson 1984: the MLE exists iff the two outcome classes overlap):
/// * complete separation is certified when an iterate classifies every observation correctly,
///   (2y_j − 1)·x_jᵀβ > 0 for all j — then the likelihood tends to 1 along β;
/// * quasi-complete separation is recognised after the iteration stops when some observations are
///   fitted with probability of their own outcome above 1 − e⁻¹⁰ and three further Newton steps
///   push their linear predictors out by more than 1 in total (at a finite maximum Newton steps
///   are ~0; along a separating direction each step adds about 1 to |x_jᵀβ|).
/// Both throw `EstimationError.separation` with the reason.
public enum LogisticRegression {
  public static func fit(
    design: Matrix, y: [Double], names: [String], options: NewtonOptions = NewtonOptions()
  ) throws(EstimationError) -> BinaryChoiceFit {
    let n = design.rows
    let p = design.cols
    precondition(y.count == n && names.count == p, "design, response and names must agree")
    guard n > p else { throw .invalidInput("logistic regression needs more observations (\(n)) than coefficients (\(p))") }
    do {
      _ = try design.leastSquares(y)
    } catch {
      throw .invalidInput("the design matrix is rank deficient (\(error)); a coefficient is not identified")
    }
    let sign = y.map { 2 * $0 - 1 }

    func deviance(_ beta: [Double]) -> (eta: [Double], deviance: Double) {
      let eta = design.multiplied(byVector: beta)
      var d = 0.0
      for j in 0..<n { d += softplus(-sign[j] * eta[j]) }
      return (eta, 2 * d)
    }

    /// Score and information at η.
    func newtonSystem(_ eta: [Double]) -> (score: [Double], information: Matrix) {
      var residual = [Double](repeating: 0, count: n)
      var scaled = design
      scaled.elements.withUnsafeMutableBufferPointer { a in
        for j in 0..<n {
          let prob = logistic(eta[j])
          residual[j] = y[j] - prob
          let root = (prob * (1 - prob)).squareRoot()
          for k in 0..<p { a[j + k * n] *= root }
        }
      }
      return (design.multiplied(byVector: residual, transposeSelf: true), scaled.gram())
    }

    /// One Newton step with step halving from β; nil when no halving decreases the deviance.
    func step(_ beta: [Double], _ current: (eta: [Double], deviance: Double)) throws(EstimationError)
      -> (beta: [Double], eta: [Double], deviance: Double)?
    {
      let (score, information) = newtonSystem(current.eta)
      let delta: [Double]
      do {
        delta = try Cholesky(information).solve(score)
      } catch {
        throw .numerical("logistic regression: the information matrix is not positive definite (\(error))")
      }
      var alpha = 1.0
      for _ in 0...options.maxHalvings {
        let trial = zip(beta, delta).map { $0 + alpha * $1 }
        let t = deviance(trial)
        if t.deviance.isFinite, t.deviance <= current.deviance * (1 + 1e-14) + 1e-300 {
          return (trial, t.eta, t.deviance)
        }
        alpha /= 2
      }
      return nil
    }

    var beta = [Double](repeating: 0, count: p)
    var current = deviance(beta)
    var iterations = 0
    var converged = false
    var lastChange = Double.infinity
    while iterations < options.maxIterations {
      iterations += 1
      guard let next = try step(beta, current) else {
        // The deviance cannot be decreased any further along the Newton direction: at the limit of
        // floating-point resolution, which is convergence.
        converged = true
        break
      }
      if (0..<n).allSatisfy({ sign[$0] * next.eta[$0] > 0 }) {
        throw .separation(
          "complete separation: at iteration \(iterations) the linear predictor classifies all \(n) observations "
            + "correctly, so the likelihood increases without bound and the MLE does not exist")
      }
      lastChange = relativeChange(current.deviance, next.deviance)
      beta = next.beta
      current = (next.eta, next.deviance)
      if lastChange <= options.tolerance {
        converged = true
        break
      }
    }

    // Quasi-complete separation: observations fitted (numerically) perfectly whose linear
    // predictors keep growing under further Newton steps.
    let candidates = (0..<n).filter { sign[$0] * current.eta[$0] > 10 }
    if !candidates.isEmpty {
      let before = candidates.map { sign[$0] * current.eta[$0] }.max()!
      var probe = (beta: beta, eta: current.eta, deviance: current.deviance)
      for _ in 0..<3 {
        guard let next = try step(probe.beta, (probe.eta, probe.deviance)) else { break }
        probe = next
      }
      let after = candidates.map { sign[$0] * probe.eta[$0] }.max()!
      if after - before > 1 {
        throw .separation(
          "quasi-complete separation: \(candidates.count) observations are fitted with probability numerically 0 or 1 "
            + "and their linear predictors keep growing (by \(after - before) in three Newton steps); the MLE does not exist")
      }
    }

    let covariance = try covarianceFromInformation(newtonSystem(current.eta).information, model: "logistic regression")
    return BinaryChoiceFit(
      names: names, coefficients: beta, covariance: covariance, logLikelihood: -current.deviance / 2,
      summary: FitSummary(
        converged: converged, iterations: iterations, objective: current.deviance,
        message: converged
          ? nil : "iteration cap \(options.maxIterations) reached; last relative deviance change \(lastChange)"))
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
