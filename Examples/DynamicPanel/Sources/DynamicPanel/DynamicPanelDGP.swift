import SimStudy

/// A balanced dynamic panel: for each of N units the outcome y_i0, y_i1, …, y_iT (T + 1 values;
/// y_i0 is the initial condition, observed like every other period).
///
/// Stored unit by unit: `y[i * (T + 1) + t]` is y_it. The estimators read only `y`; `alpha`
/// carries the true individual effects when the sample was drawn by ``DynamicPanelDGP`` (for tests
/// and diagnostics) and is `nil` for data from elsewhere.
public struct DynamicPanelSample: Sendable, Equatable {
  /// N, the number of units.
  public let units: Int
  /// T, the number of periods after the initial one (t = 1 … T).
  public let periods: Int
  /// y_it for i = 0 ..< N, t = 0 … T, unit by unit.
  public let y: [Double]
  /// The individual effects α_i the sample was drawn with, if known.
  public let alpha: [Double]?

  /// A sample from its N × (T + 1) values, `y[i * (periods + 1) + t]` = y_it.
  public init(units: Int, periods: Int, y: [Double], alpha: [Double]? = nil) throws(EstimationError) {
    guard units >= 1, periods >= 1 else {
      throw .invalidInput("a dynamic panel needs at least one unit and one period after y_i0 (got N = \(units), T = \(periods))")
    }
    guard y.count == units * (periods + 1) else {
      throw .invalidInput("a panel of N = \(units) units and periods 0…\(periods) needs \(units * (periods + 1)) values, got \(y.count)")
    }
    guard alpha.map({ $0.count == units }) ?? true else {
      throw .invalidInput("one individual effect per unit is needed (\(units)), got \(alpha!.count)")
    }
    self.units = units
    self.periods = periods
    self.y = y
    self.alpha = alpha
  }

  /// A sample from one row per unit, each y_i0, y_i1, …, y_iT (all of the same length, at least 2).
  public init(rows: [[Double]]) throws(EstimationError) {
    guard let first = rows.first, first.count >= 2 else {
      throw .invalidInput("a dynamic panel needs at least one unit observed in at least two periods (y_i0 and y_i1)")
    }
    guard rows.allSatisfy({ $0.count == first.count }) else {
      throw .invalidInput("the panel must be balanced: every unit needs \(first.count) values (y_i0 … y_iT)")
    }
    try self.init(units: rows.count, periods: first.count - 1, y: rows.flatMap { $0 })
  }

  /// y_it (t = 0 … T).
  @inlinable public subscript(i: Int, t: Int) -> Double { y[i * (periods + 1) + t] }

  /// Unit i's series y_i0 … y_iT.
  public func series(_ i: Int) -> ArraySlice<Double> { y[(i * (periods + 1))..<((i + 1) * (periods + 1))] }
}

/// The first-order dynamic panel with individual effects
///
///     y_it = α_i + ρ·y_i,t−1 + ε_it,   i = 1 … N,  t = 1 … T,
///     ε_it ~ N(0, σ²) iid,  α_i ~ N(0, σ_α²) iid, independent of ε,
///
/// with every unit **started from its stationary distribution given α_i** (no burn-in):
///
///     y_i0 = α_i / (1 − ρ) + ε_i0 / √(1 − ρ²),   ε_i0 ~ N(0, σ²),
///
/// so y_i0 | α_i ~ N(α_i/(1 − ρ), σ²/(1 − ρ²)), which is also the distribution of every y_it given
/// α_i (Var y_it = σ_α²/(1 − ρ)² + σ²/(1 − ρ²) unconditionally). This needs |ρ| < 1. It is the
/// design under which Nickell (1981, eq. 18) gives the within estimator's probability limit in
/// closed form (``NickellBias``) and Anderson & Hsiao (1981) study their IV estimators' starting
/// values.
///
/// Draw order from the stream, unit by unit: α_i, ε_i0, ε_i1, …, ε_iT.
///
/// - Nickell, S. (1981). Biases in dynamic models with fixed effects. *Econometrica* 49(6), 1417–1426.
/// - Anderson, T. W. & Hsiao, C. (1981). Estimation of dynamic models with error components.
///   *JASA* 76(375), 598–606.
public struct DynamicPanelDGP: DataGeneratingProcess, Equatable {
  /// N, the number of units.
  public var units: Int
  /// T, the periods after the initial condition.
  public var periods: Int
  /// ρ, the autoregressive coefficient; |ρ| < 1.
  public var rho: Double
  /// σ, the idiosyncratic error's standard deviation.
  public var sigma: Double
  /// σ_α, the individual effects' standard deviation.
  public var sigmaAlpha: Double

  public init(units: Int, periods: Int, rho: Double, sigma: Double = 1, sigmaAlpha: Double = 1) {
    self.units = units
    self.periods = periods
    self.rho = rho
    self.sigma = sigma
    self.sigmaAlpha = sigmaAlpha
  }

  /// Throws for a design that cannot be drawn: |ρ| ≥ 1 (no stationary start), N < 1, T < 1, or a
  /// negative or non-finite standard deviation.
  public func validate() throws(DesignError) {
    guard rho.isFinite, abs(rho) < 1 else {
      throw DesignError("rho = \(rho) has no stationary distribution to start from; it must lie strictly between −1 and 1")
    }
    guard units >= 1, periods >= 1 else { throw DesignError("the panel needs N ≥ 1 and T ≥ 1 (got N = \(units), T = \(periods))") }
    guard sigma.isFinite, sigma >= 0, sigmaAlpha.isFinite, sigmaAlpha >= 0 else {
      throw DesignError("sigma and sigmaAlpha must be finite and non-negative (got \(sigma), \(sigmaAlpha))")
    }
  }

  /// E[y_it | α_i] = α_i/(1 − ρ).
  public func stationaryMean(alpha: Double) -> Double { alpha / (1 - rho) }
  /// Var(y_it | α_i) = σ²/(1 − ρ²).
  public var conditionalVariance: Double { sigma * sigma / (1 - rho * rho) }
  /// Var(y_it) = σ_α²/(1 − ρ)² + σ²/(1 − ρ²) (mean 0).
  public var marginalVariance: Double { sigmaAlpha * sigmaAlpha / ((1 - rho) * (1 - rho)) + conditionalVariance }

  public func draw(using rng: RandomStream) throws -> DynamicPanelSample {
    try validate()
    let width = periods + 1
    let startSD = sigma / (1 - rho * rho).squareRoot()
    var y = [Double](repeating: 0, count: units * width)
    var alpha = [Double](repeating: 0, count: units)
    for i in 0..<units {
      let a = rng.normal(mean: 0, sd: sigmaAlpha)
      alpha[i] = a
      var previous = a / (1 - rho) + rng.normal(mean: 0, sd: startSD)
      y[i * width] = previous
      for t in 1...periods {
        previous = a + rho * previous + rng.normal(mean: 0, sd: sigma)
        y[i * width + t] = previous
      }
    }
    return try DynamicPanelSample(units: units, periods: periods, y: y, alpha: alpha)
  }
}
