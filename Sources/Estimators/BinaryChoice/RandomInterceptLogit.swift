import Foundation
import LinearAlgebra
import NumericalMethods

/// The random-intercept (multilevel) logit
///   logit P(y_j = 1 | a_g) = β₀ + β_x x_j + β_z z_g [+ β_m x̄_g] + a_g,   a_g ~ N(0, τ²),
/// by maximum marginal likelihood, the random intercept integrated out per group by the Laplace
/// approximation or adaptive Gauss–Hermite quadrature (`MarginalLogitIntegral`).
///
/// With `groupMeanOfX` the group mean x̄_g is added as a covariate: the Mundlak (1978) correlated
/// random-effects logit, whose β_x is the within-group slope and is not biased by a group-level
/// confounder that acts through x̄_g. Without it, β_x mixes within and between variation and is
/// biased under such confounding, while β_z is fine.
///
/// Parameters θ = (β, τ), optimised jointly by BFGS with the exact gradient of the approximated
/// marginal log-likelihood (`QuasiNewton`, predicted relative decrease 1e-10, cap 200 iterations),
/// started from the ordinary logit on the same covariates (whose separation, if any, is reported:
/// a separated fixed part leaves the marginal likelihood unbounded too), its coefficients inflated
/// by √(1 + c²τ²) (`attenuation`) at the τ ∈ {0.25, 0.5, 1, 2} with the highest marginal
/// likelihood, and with the (modified) inverse of a numerical Hessian at the start as the first
/// quasi-Newton matrix (`maximiseMarginalLikelihood`). τ is optimised unconstrained and enters only
/// through τ²: a variance that is truly 0 is then an interior point τ = 0 rather than log τ → −∞
/// (the reported τ is |τ|). Standard errors: the inverse observed information, the Hessian of
/// −log L by central differences of the analytic gradient (`NumericalDerivatives.hessian`).
public struct RandomInterceptLogit: Sendable {
  public var integration: RandomEffectIntegration
  /// Adds x̄_g as a covariate (the Mundlak model).
  public var groupMeanOfX: Bool
  public var options: QuasiNewtonOptions

  public init(
    integration: RandomEffectIntegration = .adaptiveGaussHermite(nodes: 7), groupMeanOfX: Bool = false,
    options: QuasiNewtonOptions = QuasiNewtonOptions()
  ) {
    self.integration = integration
    self.groupMeanOfX = groupMeanOfX
    self.options = options
  }

  /// The Mundlak (correlated random effects) logit.
  public static func mundlak(integration: RandomEffectIntegration = .adaptiveGaussHermite(nodes: 7)) -> Self {
    Self(integration: integration, groupMeanOfX: true)
  }

  /// "(Intercept)", "x", "z", ["mean x",] "tau": the order of the parameter vector.
  public var parameterNames: [String] {
    ["(Intercept)", "x", "z"] + (groupMeanOfX ? ["mean x"] : []) + ["tau"]
  }

  /// The approximate marginal log-likelihood Σ_g log I_g at θ = (β, τ) in `parameterNames` order.
  public func logLikelihood(_ data: GroupedBinaryData, parameters: [Double]) throws(EstimationError) -> Double {
    let problem = try RandomInterceptProblem(data, groupMeanOfX: groupMeanOfX, integration: integration)
    precondition(parameters.count == problem.design.cols + 1, "θ needs one value per parameter")
    var none: [Double] = []
    return try -problem.negativeLogLikelihood(parameters, gradient: &none)
  }

  public func fit(_ data: GroupedBinaryData) throws(EstimationError) -> BinaryChoiceFit {
    let model = "random-intercept logit (\(integration))"
    try InformativeGroups.checkWithinGroupSeparation(data, model: model)
    let problem = try RandomInterceptProblem(data, groupMeanOfX: groupMeanOfX, integration: integration)
    let names = parameterNames
    let glm = try LogisticRegression.fit(design: problem.design, y: data.y, names: Array(names.dropLast()))
    let candidates = [0.25, 0.5, 1, 2].map { tau in
      glm.coefficients.map { $0 * (1 + attenuation * tau * tau).squareRoot() } + [tau]
    }
    var result = try maximiseFromBestStart(problem, candidates: candidates, model: model, options: options)
    result.orientScale(at: names.count - 1)
    return BinaryChoiceFit(
      names: names, coefficients: result.estimate, covariance: result.covariance,
      logLikelihood: result.logLikelihood, summary: result.summary)
  }
}

/// c² in the attenuation of logit coefficients by a N(0, τ²) random intercept,
/// β_marginal ≈ β/√(1 + c²τ²), c = 16√3/(15π) (Zeger, Liang & Albert 1988, eq. 2.4).
let attenuation = pow(16 * 3.0.squareRoot() / (15 * Double.pi), 2)

/// The candidate starting point with the smallest objective (the first on ties or if none is finite).
/// A marginal likelihood with an analytic gradient (random-intercept and latent-Mundlak logits).
protocol MarginalLikelihoodProblem {
  func negativeLogLikelihood(_ theta: [Double], gradient: inout [Double]) throws(EstimationError) -> Double
}

extension RandomInterceptProblem: MarginalLikelihoodProblem {}
extension LatentMundlakProblem: MarginalLikelihoodProblem {}

/// Starts BFGS from the candidate with the lowest negative log-likelihood, then maximises.
func maximiseFromBestStart(
  _ problem: some MarginalLikelihoodProblem, candidates: [[Double]], model: String, options: QuasiNewtonOptions
) throws(EstimationError) -> MarginalFit {
  let start = try bestCandidate(candidates) { (theta: [Double]) throws(EstimationError) -> Double in
    var none: [Double] = []
    return try problem.negativeLogLikelihood(theta, gradient: &none)
  }
  return try maximiseMarginalLikelihood(start: start, model: model, options: options) {
    (theta: [Double], gradient: inout [Double]) throws(EstimationError) -> Double in
    try problem.negativeLogLikelihood(theta, gradient: &gradient)
  }
}

func bestCandidate(
  _ candidates: [[Double]], objective: (_ theta: [Double]) throws(EstimationError) -> Double
) throws(EstimationError) -> [Double] {
  var best = candidates[0]
  var bestValue = Double.infinity
  for candidate in candidates {
    let value = try objective(candidate)
    if value < bestValue {
      best = candidate
      bestValue = value
    }
  }
  return best
}

/// The data-dependent part of a random-intercept logit: its fixed-effects design and integral, and
/// the buffers every evaluation reuses (one fit, one thread).
final class RandomInterceptProblem {
  let design: Matrix
  let integral: MarginalLogitIntegral
  let groups: Int
  private var eta: [Double]
  private var dEta: [Double]
  private var dOmega: [Double]
  private var omega: [Double]
  private var dBeta: [Double]

  convenience init(_ data: GroupedBinaryData, groupMeanOfX: Bool, integration: RandomEffectIntegration)
    throws(EstimationError)
  {
    try self.init(
      design: data.design(withGroupMeanOfX: groupMeanOfX), y: data.y, trials: nil, groupStart: data.groupStart,
      integration: integration)
  }

  /// Any fixed-effects design (rows ordered by group), successes y out of `trials` (nil: Bernoulli).
  init(design: Matrix, y: [Double], trials: [Double]?, groupStart: [Int], integration: RandomEffectIntegration)
    throws(EstimationError)
  {
    self.design = design
    integral = try MarginalLogitIntegral(y: y, trials: trials, groupStart: groupStart, integration: integration)
    groups = groupStart.count - 1
    eta = [Double](repeating: 0, count: y.count)
    dEta = eta
    dOmega = [Double](repeating: 0, count: groups)
    omega = dOmega
    dBeta = [Double](repeating: 0, count: design.cols)
  }

  /// −log L(β, τ); fills `gradient` (when non-empty on entry) with its gradient.
  func negativeLogLikelihood(_ theta: [Double], gradient: inout [Double]) throws(EstimationError) -> Double {
    let p = design.cols
    let tau = theta[p]
    multiplyDesign(design, by: theta, into: &eta)
    for g in 0..<groups { omega[g] = tau }
    let wantGradient = !gradient.isEmpty
    var dEtaBuffer: [Double] = []
    if wantGradient { swap(&dEtaBuffer, &dEta) }
    defer { if wantGradient { swap(&dEtaBuffer, &dEta) } }
    let logL = try integral.logLikelihood(eta: eta, mu: nil, omega: omega, dEta: &dEtaBuffer, dOmega: &dOmega)
    if wantGradient {
      multiplyDesignTransposed(design, by: dEtaBuffer, into: &dBeta)
      for i in 0..<p { gradient[i] = -dBeta[i] }
      gradient[p] = -dOmega.reduce(0, +)
    }
    return logL.isFinite ? -logL : .infinity
  }
}

/// η = Xβ for the first `design.cols` entries of `beta`, into the preallocated `eta`: column by
/// column (a design here has 3 or 4 columns, where a BLAS call costs more than the arithmetic).
func multiplyDesign(_ design: Matrix, by beta: [Double], into eta: inout [Double]) {
  let n = design.rows
  let p = design.cols
  precondition(beta.count >= p && eta.count == n)
  design.elements.withUnsafeBufferPointer { x in
    eta.withUnsafeMutableBufferPointer { out in
      let b0 = p > 0 ? beta[0] : 0
      for j in 0..<n { out[j] = p > 0 ? x[j] * b0 : 0 }
      for k in 1..<max(p, 1) {
        let bk = beta[k]
        let column = k * n
        for j in 0..<n { out[j] += x[column + j] * bk }
      }
    }
  }
}

/// Xᵀv into the preallocated `result` (length `design.cols`): four columns per pass over the rows,
/// each with its own accumulator.
func multiplyDesignTransposed(_ design: Matrix, by v: [Double], into result: inout [Double]) {
  let n = design.rows
  let p = design.cols
  precondition(v.count == n && result.count == p)
  design.elements.withUnsafeBufferPointer { x in
    v.withUnsafeBufferPointer { v in
      var k = 0
      while k < p {
        let width = min(4, p - k)
        var acc = SIMD4<Double>(repeating: 0)
        let c0 = k * n
        let c1 = (k + min(1, width - 1)) * n
        let c2 = (k + min(2, width - 1)) * n
        let c3 = (k + min(3, width - 1)) * n
        for j in 0..<n {
          acc += SIMD4(x[c0 + j], x[c1 + j], x[c2 + j], x[c3 + j]) * v[j]
        }
        for i in 0..<width { result[k + i] = acc[i] }
        k += width
      }
    }
  }
}

/// The outcome of maximising a marginal likelihood.
struct MarginalFit {
  var estimate: [Double]
  var covariance: Matrix
  var logLikelihood: Double
  var summary: FitSummary

  /// Flips the sign of a scale parameter that enters only through its square (and its covariance
  /// row and column), so the reported scale is non-negative.
  mutating func orientScale(at i: Int) {
    guard estimate[i] < 0 else { return }
    estimate[i] = -estimate[i]
    for j in 0..<estimate.count where j != i {
      covariance[i, j] = -covariance[i, j]
      covariance[j, i] = -covariance[j, i]
    }
  }
}

/// The inverse of a Hessian modified to be positive definite, V diag(1/max(|λ_i|, 10⁻⁶ max|λ|)) Vᵀ
/// from its eigen-decomposition (Nocedal & Wright 2006, §3.4): far from the optimum a marginal
/// likelihood is often not concave (typically along the variance parameter), and flipping the sign
/// of negative curvature keeps the scale information that a plain identity matrix would lose.
/// nil when the Hessian is not finite or cannot be decomposed.
func modifiedInverse(_ hessian: Matrix) -> Matrix? {
  guard hessian.isFinite, let eigen = try? hessian.symmetricEigen(), let vectors = eigen.vectors else { return nil }
  let largest = eigen.values.map { abs($0) }.max() ?? 0
  guard largest > 0 else { return nil }
  var scaled = vectors
  for (j, value) in eigen.values.enumerated() {
    let inverse = 1 / max(abs(value), 1e-6 * largest)
    for i in 0..<scaled.rows { scaled[i, j] *= inverse }
  }
  return scaled.multiplied(by: vectors, transposeOther: true)
}

/// Minimises −log L by BFGS from `start`, then polishes the optimum by Newton steps with the
/// numerically differentiated analytic gradient (central differences, 2p gradients), whose inverse
/// at the end is also the covariance. The first quasi-Newton matrix is the inverse of a
/// forward-difference Hessian at the start (p + 1 gradients, repaid by far fewer iterations),
/// modified to be positive definite where it is not (`modifiedInverse`).
///
/// Why the Newton polish: BFGS stops on a predicted decrease relative to |f|, which leaves each
/// estimate up to about √(2·10⁻¹⁰·|f|) standard errors from the maximum (10⁻⁴ SE for |f| ≈ 100).
/// The Newton decrement λ = (gᵀH⁻¹g)^{1/2} with the Hessian H of −log L bounds every coordinate's
/// remaining step in its own standard errors, |Δθ_k|/SE_k ≤ λ (as in `NewtonOptions`); up to
/// `polishSteps` Newton steps (halved while −log L increases) bring λ to ≤ `polishTolerance`
/// (10⁻⁸), so refitting from the reported optimum moves no estimate by more than that many SEs. The
/// steps reuse the one Hessian computed where BFGS stopped (a chord method: one gradient per step);
/// that Hessian, 10⁻⁴ SE or less from the optimum, also gives the standard errors, as it did before
/// the polish. The fit is converged when λ ≤ 10⁻⁶ at the end (whatever BFGS reported: the Newton
/// steps may finish what its iteration cap left).
func maximiseMarginalLikelihood(
  start: [Double], model: String, options: QuasiNewtonOptions,
  negativeLogLikelihood: (_ theta: [Double], _ gradient: inout [Double]) throws(EstimationError) -> Double
) throws(EstimationError) -> MarginalFit {
  let optimum = try newtonPolishedOptimum(
    start: start, model: model, options: options, negativeLogLikelihood: negativeLogLikelihood)
  let covariance = try covarianceFromInformation(optimum.hessian, model: model)
  return MarginalFit(
    estimate: optimum.theta, covariance: covariance, logLikelihood: -optimum.value, summary: optimum.summary)
}

/// The minimiser of −log L, its value, the Hessian (central differences of the gradient, where BFGS
/// stopped) and the run, as `maximiseMarginalLikelihood` describes, before the Hessian is inverted.
struct PolishedOptimum {
  var theta: [Double]
  var value: Double
  var hessian: Matrix
  var summary: FitSummary
}

/// BFGS from `start`, its first inverse Hessian the (modified) inverse of a forward-difference
/// Hessian of the gradient there.
func bfgsFromNumericalHessian(
  start: [Double], options: QuasiNewtonOptions,
  _ negativeLogLikelihood: (_ theta: [Double], _ gradient: inout [Double]) throws(EstimationError) -> Double
) throws(EstimationError) -> QuasiNewtonResult {
  func gradientAt(_ theta: [Double]) throws(EstimationError) -> [Double] {
    var g = [Double](repeating: 0, count: start.count)
    _ = try negativeLogLikelihood(theta, &g)
    return g
  }
  let startHessian = try NumericalDerivatives.forwardHessian(
    at: start, gradientAtX: gradientAt(start), gradient: gradientAt)
  return try QuasiNewton.minimise(start: start, initialInverseHessian: modifiedInverse(startHessian), options: options) {
    (theta: [Double], gradient: inout [Double]) throws(EstimationError) -> Double in
    try negativeLogLikelihood(theta, &gradient)
  }
}

func newtonPolishedOptimum(
  start: [Double], model: String, options: QuasiNewtonOptions,
  negativeLogLikelihood: (_ theta: [Double], _ gradient: inout [Double]) throws(EstimationError) -> Double
) throws(EstimationError) -> PolishedOptimum {
  let p = start.count
  func gradientAt(_ theta: [Double]) throws(EstimationError) -> [Double] {
    var g = [Double](repeating: 0, count: p)
    _ = try negativeLogLikelihood(theta, &g)
    return g
  }
  let run = try bfgsFromNumericalHessian(start: start, options: options, negativeLogLikelihood)
  guard run.value.isFinite else { throw .numerical("\(model): the marginal likelihood is not finite (\(run.message))") }
  var theta = run.minimiser
  var value = run.value
  var gradient = run.gradient
  // One Hessian (central differences, as the standard errors need), factored once; the Newton
  // steps reuse it (chord steps: one gradient each, and λ shrinks by a factor of about the step
  // length in SEs per step, since the Hessian barely changes that close to the optimum).
  let hessian = try NumericalDerivatives.hessian(at: theta, gradient: gradientAt)
  let factor = try? Cholesky(hessian)
  /// The chord Newton step H⁻¹g and the decrement (gᵀH⁻¹g)^{1/2} at gradient g.
  func newtonStep(_ g: [Double]) -> (step: [Double], decrement: Double)? {
    guard let factor, let step = try? factor.solve(g) else { return nil }
    return (step, zip(g, step).reduce(0) { $0 + $1.0 * $1.1 }.squareRoot())
  }
  var decrement = Double.infinity
  var polished = 0
  newton: for _ in 0...polishSteps {
    guard let (step, d) = newtonStep(gradient) else { break }
    decrement = d
    guard decrement > polishTolerance, polished < polishSteps else { break }
    // A step is accepted when it halves the decrement (a test on the gradient, which stays exact
    // where −log L changes by less than its rounding), or when −log L decreases.
    var alpha = 1.0
    for _ in 0..<20 {
      let trial = zip(theta, step).map { $0 - alpha * $1 }
      var trialGradient = [Double](repeating: 0, count: p)
      let trialValue = try negativeLogLikelihood(trial, &trialGradient)
      let trialDecrement = newtonStep(trialGradient)?.decrement ?? .infinity
      if trialValue.isFinite, trialValue <= value || trialDecrement <= decrement / 2 {
        (theta, value, gradient) = (trial, trialValue, trialGradient)
        polished += 1
        continue newton
      }
      alpha /= 2
    }
    break  // no step helps: the optimum is at floating-point resolution
  }
  let converged = decrement <= 1e-6
  return PolishedOptimum(
    theta: theta, value: value, hessian: hessian,
    summary: FitSummary(
      converged: converged, iterations: run.iterations + polished, objective: 2 * value,
      message: converged
        ? nil
        : "\(model): Newton decrement \(decrement) after BFGS (\(run.message)) and \(polished) Newton steps"))
}

/// Newton steps allowed after BFGS, and the Newton decrement (in standard errors) they aim for.
let polishSteps = 5
let polishTolerance = 1e-8
