import Foundation
import LinearAlgebra
import NumericalMethods

/// The Mundlak model with a latent group confounder: x and y modelled jointly,
///   u_g ~ N(0, 1),  x_j ~ N(a_x + b_ux u_g, σ_x²),
///   logit P(y_j = 1) = a_g + bxy x_j + bzy z_g + buy u_g,  a_g ~ N(ā, τ²),
/// by maximum marginal likelihood over θ = (a_x, b_ux, log σ_x, ā, τ, bxy, bzy, buy), both group
/// effects (a_g, u_g) integrated out per group. Unlike the plug-in Mundlak model it uses the
/// sampling error of x̄_g, which matters in small groups.
///
/// The 2-D integral is evaluated exactly as a 1-D one. Given u, the x's are Gaussian, so
/// Π_j N(x_j; a_x + b_ux u, σ_x²) φ(u) = p(x_g) · N(u; m_g, v_g) with
///   v_g = σ_x²/(σ_x² + n_g b_ux²),  m_g = n_g b_ux (x̄_g − a_x)/(σ_x² + n_g b_ux²),
///   log p(x_g) = −(n_g/2) log 2π − (n_g − 1) log σ_x − ½ log(σ_x² + n_g b_ux²)
///                − SS_g/(2σ_x²) − n_g (x̄_g − a_x)²/(2(σ_x² + n_g b_ux²)),
/// SS_g = Σ_j (x_j − x̄_g)² (the compound-symmetric normal density of x_g). The y-likelihood
/// depends on (a_g, u_g) only through s_g = a_g + buy u_g, which given x_g is
/// N(ā + buy m_g, τ² + buy² v_g). Hence
///   L_g = p(x_g) ∫ Π_j p(y_j | bxy x_j + bzy z_g + s) N(s; ā + buy m_g, τ² + buy² v_g) ds,
/// an exact identity, and the remaining integral is the random-intercept one with a group offset
/// μ_g = buy m_g and scale ω_g = (τ² + buy² v_g)^{1/2} (`MarginalLogitIntegral`: Laplace or adaptive
/// Gauss–Hermite, default 7 nodes). The tests check the identity against a brute-force 2-D grid.
/// Gradient: analytic, by the chain rule through (μ_g, ω_g) and the closed-form x part.
///
/// Optimisation and standard errors as in `RandomInterceptLogit` (BFGS from moment/ordinary-logit
/// starting values, numerical Hessian of the analytic gradient). τ is unconstrained and enters
/// through τ² only: in the `ConfoundedLogit` DGP (Docs/BinaryChoice.md §1) the true τ is 0 (all
/// group variation in y comes through u), an interior point here but log τ = −∞ in a log
/// parameterisation. (b_ux, buy) and (−b_ux, −buy) give the same likelihood; the start has
/// b_ux > 0 and the reported b_ux is made non-negative (with buy's sign and covariance flipped
/// accordingly).
public struct LatentMundlakLogit: Sendable {
  public var integration: RandomEffectIntegration
  public var options: QuasiNewtonOptions

  public init(
    integration: RandomEffectIntegration = .adaptiveGaussHermite(nodes: 7),
    options: QuasiNewtonOptions = QuasiNewtonOptions()
  ) {
    self.integration = integration
    self.options = options
  }

  /// The parameter order: a_x, b_ux, log σ_x, ā, τ, bxy, bzy, buy.
  public static let parameterNames = ["x: intercept", "x: loading", "x: log sd", "(Intercept)", "tau", "x", "z", "u"]

  /// The joint log-likelihood of (x, y) at θ in `parameterNames` order.
  public func logLikelihood(_ data: GroupedBinaryData, parameters: [Double]) throws(EstimationError) -> Double {
    precondition(parameters.count == 8, "θ has 8 parameters")
    let problem = try LatentMundlakProblem(data, integration: integration)
    var none: [Double] = []
    return try -problem.negativeLogLikelihood(parameters, gradient: &none)
  }

  public func fit(_ data: GroupedBinaryData) throws(EstimationError) -> BinaryChoiceFit {
    let model = "latent Mundlak logit (\(integration))"
    try InformativeGroups.checkWithinGroupSeparation(data, model: model)
    let problem = try LatentMundlakProblem(data, integration: integration)
    // Starting values: the x part from group means and the pooled within variance, the y part from
    // the ordinary logit on (1, x, z, x̄_g) read through E[u_g | x̄_g] ≈ (x̄_g − a_x)/b_ux and inflated
    // for the random intercept as in `RandomInterceptLogit`, at the best τ of {0.25, 0.5, 1}.
    let groups = data.groupCount
    let within = problem.withinSquares.reduce(0, +)
    guard data.count > groups, within > 0 else {
      throw .invalidInput("\(model): x must vary within groups to separate its within and between parts")
    }
    let sigma2 = within / Double(data.count - groups)
    let means = problem.means
    let ax = means.reduce(0, +) / Double(groups)
    let between = means.reduce(0) { $0 + ($1 - ax) * ($1 - ax) } / Double(max(groups - 1, 1))
    let meanInverseSize = problem.sizes.reduce(0) { $0 + 1 / $1 } / Double(groups)
    let bux = max(between - sigma2 * meanInverseSize, 0.01 * sigma2).squareRoot()
    let glm = try LogisticRegression.fit(
      design: data.design(withGroupMeanOfX: true), y: data.y, names: ["(Intercept)", "x", "z", "mean x"])
    let c = glm.coefficients
    let candidates = [0.25, 0.5, 1].map { tau in
      let k = (1 + attenuation * tau * tau).squareRoot()
      return [ax, bux, 0.5 * log(sigma2), k * (c[0] + c[3] * ax), tau, k * c[1], k * c[2], k * c[3] * bux]
    }
    var result = try maximiseFromBestStart(problem, candidates: candidates, model: model, options: options)
    result.orientScale(at: 4)
    if result.estimate[1] < 0 {
      // (b_ux, buy) → (−b_ux, −buy): flip both signs and their covariance rows/columns.
      for i in [1, 7] {
        result.estimate[i] = -result.estimate[i]
        for j in 0..<8 where j != 1 && j != 7 {
          result.covariance[i, j] = -result.covariance[i, j]
          result.covariance[j, i] = -result.covariance[j, i]
        }
      }
    }
    return BinaryChoiceFit(
      names: Self.parameterNames, coefficients: result.estimate, covariance: result.covariance,
      logLikelihood: result.logLikelihood, summary: result.summary)
  }
}

/// The data-dependent part of the latent Mundlak likelihood.
final class LatentMundlakProblem {
  /// The y part's fixed design (1, x, z_g).
  let design: Matrix
  let integral: MarginalLogitIntegral
  let groupStart: [Int]
  /// n_g, x̄_g and SS_g per group.
  let sizes: [Double]
  let means: [Double]
  let withinSquares: [Double]
  private var eta: [Double]
  private var dEta: [Double]
  private var dOmega: [Double]
  private var mu: [Double]
  private var omega: [Double]
  /// Reused per evaluation: the y part's fixed coefficients (ā, bxy, bzy), log L's derivatives in
  /// them, and in θ.
  private var fixed = [Double](repeating: 0, count: 3)
  private var dFixed = [Double](repeating: 0, count: 3)
  private var grad = [Double](repeating: 0, count: 8)

  init(_ data: GroupedBinaryData, integration: RandomEffectIntegration) throws(EstimationError) {
    design = data.design()
    integral = try MarginalLogitIntegral(y: data.y, groupStart: data.groupStart, integration: integration)
    groupStart = data.groupStart
    let groups = data.groupCount
    sizes = (0..<groups).map { Double(data.range($0).count) }
    let m = data.groupMeans
    means = m
    withinSquares = (0..<groups).map { g in data.x[data.range(g)].reduce(0) { $0 + ($1 - m[g]) * ($1 - m[g]) } }
    eta = [Double](repeating: 0, count: data.count)
    dEta = eta
    dOmega = [Double](repeating: 0, count: groups)
    mu = dOmega
    omega = dOmega
  }

  /// −log L(θ) for θ = (a_x, b_ux, log σ_x, ā, τ, bxy, bzy, buy); fills `gradient` when non-empty.
  func negativeLogLikelihood(_ theta: [Double], gradient: inout [Double]) throws(EstimationError) -> Double {
    let (ax, bux, logSigma, intercept, tau, bxy, bzy, buy) =
      (theta[0], theta[1], theta[2], theta[3], theta[4], theta[5], theta[6], theta[7])
    let s2 = exp(2 * logSigma)
    guard s2.isFinite, s2 > 0 else { return .infinity }
    let groups = sizes.count
    var logLX = 0.0
    for g in 0..<groups {
      let n = sizes[g]
      let q = s2 + n * bux * bux
      let dev = means[g] - ax
      mu[g] = buy * n * bux * dev / q
      omega[g] = (tau * tau + buy * buy * s2 / q).squareRoot()
      logLX +=
        -n / 2 * log(2 * Double.pi) - (n - 1) * logSigma - 0.5 * log(q) - withinSquares[g] / (2 * s2)
        - n * dev * dev / (2 * q)
    }
    fixed[0] = intercept
    fixed[1] = bxy
    fixed[2] = bzy
    multiplyDesign(design, by: fixed, into: &eta)
    let wantGradient = !gradient.isEmpty
    var dEtaBuffer: [Double] = []
    if wantGradient { swap(&dEtaBuffer, &dEta) }
    defer { if wantGradient { swap(&dEtaBuffer, &dEta) } }
    let logLY = try integral.logLikelihood(eta: eta, mu: mu, omega: omega, dEta: &dEtaBuffer, dOmega: &dOmega)
    let logL = logLX + logLY
    guard logL.isFinite else { return .infinity }
    guard wantGradient else { return -logL }

    multiplyDesignTransposed(design, by: dEtaBuffer, into: &dFixed)
    for i in 0..<8 { grad[i] = 0 }
    grad[3] = dFixed[0]
    grad[5] = dFixed[1]
    grad[6] = dFixed[2]
    for g in 0..<groups {
      let n = sizes[g]
      let q = s2 + n * bux * bux
      let q2 = q * q
      let dev = means[g] - ax
      let m = n * bux * dev / q
      let v = s2 / q
      var dMu = 0.0
      for j in groupStart[g]..<groupStart[g + 1] { dMu += dEtaBuffer[j] }
      let dOm = dOmega[g]
      let om = omega[g]
      // ∂m/∂(a_x, b_ux, log σ_x) and ∂v/∂(b_ux, log σ_x).
      let mA = -n * bux / q
      let mB = n * dev * (s2 - n * bux * bux) / q2
      let mS = -2 * n * bux * dev * s2 / q2
      let vB = -2 * n * bux * s2 / q2
      let vS = 2 * s2 * n * bux * bux / q2
      let omegaFactor = om > 0 ? dOm / om : 0  // ∂/∂ω · ∂ω/∂(ω²) · 2 = dOm/ω per unit of ∂(ω²)/2
      grad[0] += dMu * buy * mA + n * dev / q
      grad[1] += dMu * buy * mB + omegaFactor * buy * buy * vB / 2 - n * bux / q + n * n * bux * dev * dev / q2
      grad[2] +=
        dMu * buy * mS + omegaFactor * buy * buy * vS / 2 - (n - 1) - s2 / q + withinSquares[g] / s2
        + n * dev * dev * s2 / q2
      grad[4] += omegaFactor * tau
      grad[7] += dMu * m + omegaFactor * buy * v
    }
    for i in 0..<8 { gradient[i] = -grad[i] }
    return -logL
  }
}
