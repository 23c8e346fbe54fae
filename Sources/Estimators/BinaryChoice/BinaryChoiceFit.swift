import Foundation
import LinearAlgebra

/// The result of one binary-choice fit: named coefficients, their covariance (from the observed
/// information), the maximised log-likelihood and what the iteration did.
public struct BinaryChoiceFit: Sendable {
  /// Coefficient names ("(Intercept)", "x", "z", …); the model's other parameters (a random-effect
  /// scale, the latent-confounder block) follow the regression coefficients.
  public let names: [String]
  public let coefficients: [Double]
  /// The estimated covariance of `coefficients` (the inverse observed information).
  public let covariance: Matrix
  /// The maximised (marginal, or conditional) log-likelihood.
  public let logLikelihood: Double
  public let summary: FitSummary

  public init(names: [String], coefficients: [Double], covariance: Matrix, logLikelihood: Double, summary: FitSummary) {
    precondition(names.count == coefficients.count && covariance.rows == names.count && covariance.cols == names.count)
    self.names = names
    self.coefficients = coefficients
    self.covariance = covariance
    self.logLikelihood = logLikelihood
    self.summary = summary
  }

  /// The estimate of a named coefficient, nil when the model has none of that name.
  public func coefficient(_ name: String) -> Double? {
    names.firstIndex(of: name).map { coefficients[$0] }
  }

  /// The standard error √(covariance_ii) of a named coefficient.
  public func standardError(_ name: String) -> Double? {
    names.firstIndex(of: name).map { covariance[$0, $0].squareRoot() }
  }

  /// The method output for a study: for each (estimand, coefficient name) pair a Wald estimate
  /// (value, SE, 95% interval, p-value of "= 0"), or `Estimate.notIdentified` when the model has no
  /// such coefficient (e.g. a group-level slope under group fixed effects).
  public func output(_ estimands: [(estimand: String, coefficient: String)]) -> MethodOutput {
    MethodOutput(
      estimands.map { pair in
        guard let i = names.firstIndex(of: pair.coefficient) else { return Estimate.notIdentified(pair.estimand) }
        return Estimate.wald(pair.estimand, value: coefficients[i], se: covariance[i, i].squareRoot())
      }, fit: summary)
  }
}

/// The inverse of a symmetric positive-definite information matrix by Cholesky, with a failure
/// named after the model.
func covarianceFromInformation(_ information: Matrix, model: String) throws(EstimationError) -> Matrix {
  guard information.isFinite else { throw .numerical("\(model): the information matrix is not finite") }
  do {
    return try Cholesky(information).inverse()
  } catch {
    throw .numerical("\(model): the observed information is not positive definite (\(error))")
  }
}
