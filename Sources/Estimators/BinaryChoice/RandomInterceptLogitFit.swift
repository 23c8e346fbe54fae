import Foundation
import LinearAlgebra
import NumericalMethods

/// A random-intercept logit fitted to a general design (`RandomInterceptLogit.fit(_:)` on a
/// `GroupedLogitDesign`): the fixed effects with Wald standard errors, and the random-intercept
/// standard deviation τ with a profile-likelihood interval instead of a Wald SE.
public struct RandomInterceptLogitFit: Sendable {
  /// The fixed effects, their covariance (the β block of the inverse observed information over
  /// (β, τ); with τ̂ on the boundary, the inverse information of β at τ = 0), the maximised
  /// log-likelihood (including Σ log C(t_j, y_j), as lme4's Laplace logLik) and the run.
  public let fixedEffects: BinaryChoiceFit
  public let integration: RandomEffectIntegration
  /// τ̂ ≥ 0.
  public let tau: Double
  /// The Wald SE of τ̂ from the observed information, nil on the boundary (where it is meaningless).
  public let tauStandardError: Double?
  /// The 95 % profile-likelihood interval {τ : 2(ℓ̂ − ℓ_p(τ)) ≤ χ²₁,₀.₉₅ = 3.84}; the lower end is 0
  /// when τ = 0 itself is inside, the upper end +∞ when the profile never falls that far.
  public let tauInterval: (lower: Double, upper: Double)
  /// τ̂ is at (or numerically at) 0: the fit at τ = 0 is as good as the optimum, 2(ℓ̂ − ℓ_p(0)) < 10⁻⁶.
  public let onBoundary: Bool
  /// The likelihood-ratio statistic 2(ℓ̂ − ℓ_p(0)) for τ = 0 and its p-value ½·P(χ²₁ > stat), the
  /// boundary null distribution ½χ²₀ + ½χ²₁ (Self & Liang 1987).
  public let tauZeroStatistic: Double
  public let tauZeroPValue: Double
  public let observations: Int
  public let groups: Int

  public var logLikelihood: Double { fixedEffects.logLikelihood }
  /// −2 log L.
  public var deviance: Double { -2 * logLikelihood }
  /// Parameters: the fixed effects and τ.
  public var parameterCount: Int { fixedEffects.names.count + 1 }
  public var aic: Double { deviance + 2 * Double(parameterCount) }
  /// With n the number of rows, as lme4 counts observations.
  public var bic: Double { deviance + log(Double(observations)) * Double(parameterCount) }
  public var residualDegreesOfFreedom: Int { observations - parameterCount }

  /// Wald estimates (value, SE, 95 % interval, normal p-value) of the fixed effects.
  public var estimates: [Estimate] {
    fixedEffects.names.indices.map { i in
      Estimate.wald(
        fixedEffects.names[i], value: fixedEffects.coefficients[i], se: fixedEffects.covariance[i, i].squareRoot())
    }
  }
}

extension RandomInterceptLogit {
  /// The random-intercept logit on any design: logit P(success in row j | a_g) = x_jᵀβ + a_g,
  /// a_g ~ N(0, τ²), over binomial rows, by the marginal likelihood of `fit(_: GroupedBinaryData)`
  /// (same integrals, starts, BFGS and Newton polish; `groupMeanOfX` is ignored here — add group means
  /// with `GroupedLogitDesign.addingGroupMeans`).
  ///
  /// Before fitting, within-group separation is checked for the whole design
  /// (`GroupedLogitDesign.checkWithinGroupSeparation`) and the starting logit certifies the absence
  /// of separation in the pooled data; either throws `.separation` with the reason.
  ///
  /// τ: the profile log-likelihood ℓ_p(τ) = max_β ℓ(β, τ) (each a BFGS fit warm-started from the
  /// last) gives the 95 % interval, its ends found by doubling away from τ̂ and then regula falsi
  /// (Illinois) on 2(ℓ̂ − ℓ_p(τ)) − 3.84 to |Δτ| ≤ 10⁻⁶(1 + τ). When 2(ℓ̂ − ℓ_p(0)) < 10⁻⁶ the
  /// estimate is reported on the boundary: τ̂ = 0, β̂ the τ = 0 fit (the ordinary logit: at ω = 0 the
  /// integral is exact), no SE for τ, and β's SEs from the information at τ = 0.
  ///
  /// `start` (β followed by τ) replaces the search over starting points, e.g. to refit from an optimum.
  public func fit(_ design: GroupedLogitDesign, start: [Double]? = nil) throws(EstimationError) -> RandomInterceptLogitFit {
    let model = "random-intercept logit (\(integration))"
    try design.checkWithinGroupSeparation(model: model)
    let trials = design.trials ?? [Double](repeating: 1, count: design.count)
    let p = design.fixed.cols
    guard design.count > p else {
      throw .invalidInput("\(model): \(design.count) rows cannot identify \(p) fixed effects and τ")
    }
    let problem = try RandomInterceptProblem(
      design: design.fixed, y: design.successes, trials: design.trials, groupStart: design.groupStart,
      integration: integration)
    // The ordinary logit also certifies that the pooled data are not separated.
    let glm = try LogisticRegression.fit(
      design: design.fixed, successes: design.successes, trials: trials, names: design.fixedNames)
    let candidates = [0.25, 0.5, 1, 2].map { tau in
      glm.coefficients.map { $0 * (1 + attenuation * tau * tau).squareRoot() } + [tau]
    }
    let initial: [Double]
    if let start {
      precondition(start.count == p + 1, "the start needs β and τ")
      initial = start
    } else {
      initial = try bestCandidate(candidates) { (theta: [Double]) throws(EstimationError) -> Double in
        var none: [Double] = []
        return try problem.negativeLogLikelihood(theta, gradient: &none)
      }
    }
    let optimum = try newtonPolishedOptimum(start: initial, model: model, options: options) {
      (theta: [Double], gradient: inout [Double]) throws(EstimationError) -> Double in
      try problem.negativeLogLikelihood(theta, gradient: &gradient)
    }
    let constant = design.logBinomialCoefficients
    var profile = TauProfile(problem: problem, p: p, options: options)
    let atZero = try profile.maximum(tau: 0, start: Array(optimum.theta.prefix(p)))
    let logLikelihood = -optimum.value
    let statistic = max(0, 2 * (logLikelihood - atZero.logLikelihood))
    let onBoundary = statistic < 1e-6 || atZero.logLikelihood > logLikelihood
    let tau = onBoundary ? 0 : abs(optimum.theta[p])
    let best = onBoundary ? atZero.logLikelihood : logLikelihood
    let beta = onBoundary ? atZero.beta : Array(optimum.theta.prefix(p))

    // Covariance: the β block of the inverse information over (β, τ), or at τ = 0 the inverse of the ββ block.
    let covariance: Matrix
    var tauSE: Double? = nil
    if onBoundary {
      let hessian = try NumericalDerivatives.hessian(at: beta + [0]) { (theta: [Double]) throws(EstimationError) -> [Double] in
        var g = [Double](repeating: 0, count: p + 1)
        _ = try problem.negativeLogLikelihood(theta, gradient: &g)
        return g
      }
      covariance = try covarianceFromInformation(Matrix(rows: p, cols: p) { i, j in hessian[i, j] }, model: model)
    } else {
      let full = try covarianceFromInformation(optimum.hessian, model: model)
      covariance = Matrix(rows: p, cols: p) { i, j in full[i, j] }
      tauSE = full[p, p].squareRoot()
    }

    // The profile interval.
    let target = 3.841_458_820_694_124
    func excess(_ l: Double) -> Double { 2 * (best - l) - target }
    let lower: Double
    if excess(atZero.logLikelihood) <= 0 {
      lower = 0
    } else {
      lower = try profile.crossing(from: (tau, excess(best)), to: (0, excess(atZero.logLikelihood)), start: beta, excess: excess)
    }
    var upper = Double.infinity
    var inside = (tau: tau, value: excess(best))
    var step = max(tau, 0.25)
    var warm = beta
    for _ in 0..<40 {
      let trial = inside.tau + step
      let m = try profile.maximum(tau: trial, start: warm)
      let e = excess(m.logLikelihood)
      if e > 0 {
        upper = try profile.crossing(from: inside, to: (trial, e), start: m.beta, excess: excess)
        break
      }
      inside = (trial, e)
      warm = m.beta
      step *= 2
    }

    let summary = onBoundary
      ? FitSummary(
        converged: atZero.converged, iterations: optimum.summary.iterations, objective: -2 * (best + constant),
        message: atZero.converged ? nil : "\(model): the fit at τ = 0 did not converge")
      : FitSummary(
        converged: optimum.summary.converged, iterations: optimum.summary.iterations,
        objective: -2 * (best + constant), message: optimum.summary.message)
    let fixedEffects = BinaryChoiceFit(
      names: design.fixedNames, coefficients: beta, covariance: covariance, logLikelihood: best + constant,
      summary: summary)
    let pValue = statistic > 0 ? 0.5 * erfc((statistic / 2).squareRoot()) : 0.5
    return RandomInterceptLogitFit(
      fixedEffects: fixedEffects, integration: integration, tau: tau, tauStandardError: tauSE,
      tauInterval: (lower, upper), onBoundary: onBoundary, tauZeroStatistic: statistic, tauZeroPValue: pValue,
      observations: design.count, groups: design.groupCount)
  }
}

extension RandomInterceptLogit {
  /// The approximate marginal log-likelihood at θ = (β, τ) (β in `design.fixedNames` order), including
  /// Σ log C(t_j, y_j).
  public func logLikelihood(_ design: GroupedLogitDesign, parameters: [Double]) throws(EstimationError) -> Double {
    precondition(parameters.count == design.fixed.cols + 1, "θ needs β and τ")
    let problem = try RandomInterceptProblem(
      design: design.fixed, y: design.successes, trials: design.trials, groupStart: design.groupStart,
      integration: integration)
    var none: [Double] = []
    return try -problem.negativeLogLikelihood(parameters, gradient: &none) + design.logBinomialCoefficients
  }

  /// Its gradient in θ (analytic), for checks.
  public func logLikelihoodGradient(_ design: GroupedLogitDesign, parameters: [Double]) throws(EstimationError) -> [Double] {
    let problem = try RandomInterceptProblem(
      design: design.fixed, y: design.successes, trials: design.trials, groupStart: design.groupStart,
      integration: integration)
    var g = [Double](repeating: 0, count: parameters.count)
    _ = try problem.negativeLogLikelihood(parameters, gradient: &g)
    return g.map { -$0 }
  }
}

/// The profile log-likelihood of τ for one problem: ℓ_p(τ) = max_β ℓ(β, τ) by BFGS
/// (`bfgsFromNumericalHessian`, as the full fit).
struct TauProfile {
  let problem: RandomInterceptProblem
  let p: Int
  let options: QuasiNewtonOptions

  struct Point {
    var beta: [Double]
    var logLikelihood: Double
    var converged: Bool
  }

  mutating func maximum(tau: Double, start: [Double]) throws(EstimationError) -> Point {
    let problem = problem
    let p = p
    var full = [Double](repeating: 0, count: p + 1)
    func objective(_ beta: [Double], _ gradient: inout [Double]) throws(EstimationError) -> Double {
      let theta = beta + [tau]
      if gradient.isEmpty {
        var none: [Double] = []
        return try problem.negativeLogLikelihood(theta, gradient: &none)
      }
      let value = try problem.negativeLogLikelihood(theta, gradient: &full)
      for i in 0..<p { gradient[i] = full[i] }
      return value
    }
    let run = try bfgsFromNumericalHessian(start: start, options: options, objective)
    guard run.value.isFinite else {
      throw .numerical("the profile likelihood of τ is not finite at τ = \(tau) (\(run.message))")
    }
    return Point(beta: run.minimiser, logLikelihood: -run.value, converged: run.converged)
  }

  /// The τ between `a` (excess < 0) and `b` (excess > 0) where excess(ℓ_p(τ)) = 0, by regula falsi
  /// with the Illinois modification, to |Δτ| ≤ 10⁻⁶(1 + τ) (cap 60 steps).
  mutating func crossing(
    from a: (tau: Double, value: Double), to b: (tau: Double, value: Double), start: [Double],
    excess: (Double) -> Double
  ) throws(EstimationError) -> Double {
    var (t0, f0) = a
    var (t1, f1) = b
    var warm = start
    for _ in 0..<60 {
      let t = t1 - f1 * (t1 - t0) / (f1 - f0)
      let m = try maximum(tau: t, start: warm)
      warm = m.beta
      let f = excess(m.logLikelihood)
      if f == 0 { return t }
      if (f > 0) != (f1 > 0) {
        (t0, f0) = (t1, f1)
      } else {
        f0 /= 2
      }
      (t1, f1) = (t, f)
      if abs(t1 - t0) <= 1e-6 * (1 + abs(t1)) { return t1 }
    }
    return t1
  }
}
