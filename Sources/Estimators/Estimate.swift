import NumericalMethods

/// One method's estimate of one estimand on one replicate: the value and, where the method has
/// them, a standard error, a confidence interval and the p-value of the test that the estimand is 0.
public struct Estimate: Sendable, Equatable {
  public var estimand: String
  /// The point estimate; NaN when `identified` is false.
  public var value: Double
  public var se: Double?
  public var lower: Double?
  public var upper: Double?
  public var pValue: Double?
  /// False when the method cannot identify this estimand (reported as "not identified", not a number).
  public var identified: Bool

  public init(
    estimand: String, value: Double, se: Double? = nil, lower: Double? = nil, upper: Double? = nil,
    pValue: Double? = nil
  ) {
    self.estimand = estimand
    self.value = value
    self.se = se
    self.lower = lower
    self.upper = upper
    self.pValue = pValue
    self.identified = true
  }

  /// A Wald estimate: interval value ± z_{1−(1−level)/2}·se and the two-sided normal p-value of
  /// value/se.
  public static func wald(_ estimand: String, value: Double, se: Double, level: Double = 0.95) -> Estimate {
    let z = StandardNormal.quantile(0.5 + level / 2)
    return Estimate(
      estimand: estimand, value: value, se: se, lower: value - z * se, upper: value + z * se,
      pValue: StandardNormal.twoSidedPValue(value / se))
  }

  /// An estimand this method cannot identify (e.g. a group-level slope under group fixed effects).
  public static func notIdentified(_ estimand: String) -> Estimate {
    var e = Estimate(estimand: estimand, value: .nan)
    e.identified = false
    return e
  }
}

/// What an iterative fit did, kept rather than thrown away (as MixedModels.jl keeps its optimiser run).
public struct FitSummary: Sendable, Equatable {
  public var converged: Bool
  public var iterations: Int
  public var objective: Double?
  public var message: String?

  public init(converged: Bool = true, iterations: Int = 0, objective: Double? = nil, message: String? = nil) {
    self.converged = converged
    self.iterations = iterations
    self.objective = objective
    self.message = message
  }

  /// A closed-form fit: converged, no iterations.
  public static let exact = FitSummary()
}

/// The result of running one method on one sample: its estimates and its fit summary.
public struct MethodOutput: Sendable {
  public var estimates: [Estimate]
  public var fit: FitSummary
  public init(_ estimates: [Estimate], fit: FitSummary = .exact) {
    self.estimates = estimates
    self.fit = fit
  }
}

/// Why an estimator could not produce an estimate on this sample. Thrown, caught by the engine and
/// recorded as that method's failure on that replicate; the run goes on.
public enum EstimationError: Error, CustomStringConvertible, Equatable {
  /// The input cannot be estimated from (non-finite values, too few observations, bad rank …).
  case invalidInput(String)
  /// The iteration hit its cap before meeting its tolerance.
  case notConverged(String)
  /// A numerical failure (a matrix that is not positive definite, a singular system …).
  case numerical(String)
  /// Perfect or quasi-complete separation in a binary-outcome model.
  case separation(String)

  public var description: String {
    switch self {
    case .invalidInput(let s): "invalid input: \(s)"
    case .notConverged(let s): "not converged: \(s)"
    case .numerical(let s): "numerical failure: \(s)"
    case .separation(let s): "separation: \(s)"
    }
  }
}
