import DynamicPanel
import SimStudy
import Testing

/// The two estimators against numbers computed another way: the within estimator against the
/// dummy-variable regression it is equivalent to (solved by QR least squares with N unit dummies),
/// Anderson–Hsiao against a case worked by hand.
@Suite struct EstimatorTests {
  /// N = 3 units, T = 4 periods after y_i0 (arbitrary, unequal numbers, no pattern).
  static let tiny: [[Double]] = [
    [0.3, 1.2, 0.7, 1.9, 1.4],
    [-1.0, -0.4, -1.3, -0.2, 0.6],
    [2.1, 2.9, 2.2, 3.5, 3.1],
  ]

  /// LSDV by brute force: y_it on [y_i,t−1, D_1, D_2, D_3] over t = 1..4 (12 rows, 4 columns, no
  /// intercept), β̂ by Householder QR, s² = RSS/(12 − 4) and SE(ρ̂) = √(s²·[(XᵀX)⁻¹]₁₁) with the
  /// inverse from a Cholesky factor — nothing shared with the within estimator's demeaning code.
  @Test func withinEqualsTheDummyVariableRegression() throws {
    let n = Self.tiny.count, t = Self.tiny[0].count - 1
    var rows: [[Double]] = []
    var y: [Double] = []
    for i in 0..<n {
      for s in 1...t {
        rows.append([Self.tiny[i][s - 1]] + (0..<n).map { $0 == i ? 1 : 0 })
        y.append(Self.tiny[i][s])
      }
    }
    let x = Matrix(rows)
    let beta = try x.leastSquares(y)
    let fitted = x.multiplied(byVector: beta)
    let rss = zip(y, fitted).map { ($0 - $1) * ($0 - $1) }.reduce(0, +)
    let s2 = rss / Double(n * t - (n + 1))
    let xtxInverse = try Cholesky(x.gram()).inverse()
    let lsdvSE = (s2 * xtxInverse[0, 0]).squareRoot()

    let fit = try WithinEstimator().fit(DynamicPanelSample(rows: Self.tiny))
    #expect(abs(fit.rho - beta[0]) < 1e-12)
    #expect(abs(fit.se - lsdvSE) < 1e-12)
    #expect(fit.observations == 12)
    // The dummies' coefficients are the unit means' residuals ȳ_i − ρ̂·ȳ_i,−1 (a sanity check that
    // the regression above is the LSDV one).
    for i in 0..<n {
      let ybar = Self.tiny[i][1...].reduce(0, +) / 4, xbar = Self.tiny[i][..<4].reduce(0, +) / 4
      #expect(abs(beta[1 + i] - (ybar - fit.rho * xbar)) < 1e-12)
    }
  }

  /// Worked by hand. Unit 1: y = 1, 2, 4, 5 (Δy₁ = 1, Δy₂ = 2, Δy₃ = 1); unit 2: y = 1, 2, 1.5, 1
  /// (Δy₁ = 1, Δy₂ = −0.5, Δy₃ = −0.5). Terms y_{t−2}·Δy_t and y_{t−2}·Δy_{t−1} for t = 2, 3:
  ///   unit 1: 1·2 + 2·1 = 4 and 1·1 + 2·2 = 5;  unit 2: 1·(−0.5) + 2·(−0.5) = −1.5 and 1·1 + 2·(−0.5) = 0.
  /// ρ̂ = (4 − 1.5)/(5 + 0) = 0.5. Residuals û = Δy_t − 0.5·Δy_{t−1}: unit 1: 1.5, 0; unit 2: −1, −0.25.
  /// Scores Σ_t y_{t−2}û_t: unit 1: 1·1.5 + 2·0 = 1.5; unit 2: 1·(−1) + 2·(−0.25) = −1.5 (they sum
  /// to 0, as a just-identified IV's must). V̂ = N/(N − 1)·Σ score²/den² = 2·(2.25 + 2.25)/25 = 0.36,
  /// SE = 0.6.
  @Test func andersonHsiaoMatchesTheHandWorkedCase() throws {
    let fit = try AndersonHsiao().fit(DynamicPanelSample(rows: [[1, 2, 4, 5], [1, 2, 1.5, 1]]))
    #expect(abs(fit.rho - 0.5) < 1e-15)
    #expect(abs(fit.se - 0.6) < 1e-15)
    #expect(fit.observations == 4)
    let output = fit.output.estimates[0]
    #expect(output.estimand == "rho")
    #expect(abs(output.lower! - (0.5 - 1.959963984540054 * 0.6)) < 1e-9)
  }

  /// Too few periods is invalid input; a sample without variation is a numerical failure.
  @Test func estimatorsRefuseWhatTheyCannotEstimate() throws {
    let oneStep = try DynamicPanelSample(rows: [[1, 2], [3, 5]])  // T = 1
    #expect(Self.error(of: { try WithinEstimator().fit(oneStep) }).map(Self.isInvalidInput) == true)
    #expect(Self.error(of: { try AndersonHsiao().fit(oneStep) }).map(Self.isInvalidInput) == true)

    // Constant within each unit: the demeaned lag and every difference are 0.
    let flat = try DynamicPanelSample(rows: [[1, 1, 1, 1], [2, 2, 2, 2]])
    #expect(Self.error(of: { try WithinEstimator().fit(flat) }).map(Self.isNumerical) == true)
    #expect(Self.error(of: { try AndersonHsiao().fit(flat) }).map(Self.isNumerical) == true)
    // Instruments y_{t−2} all 0 while the regressor varies: Σ y_{t−2}Δy_{t−1} = 0 exactly.
    let zeroInstrument = try DynamicPanelSample(rows: [[0, 1, 0], [0, 2, 0]])
    #expect(Self.error(of: { try AndersonHsiao().fit(zeroInstrument) }).map(Self.isNumerical) == true)

    let single = try DynamicPanelSample(rows: [[1, 2, 4, 5]])  // N = 1
    #expect(Self.error(of: { try AndersonHsiao().fit(single) }).map(Self.isInvalidInput) == true)
    let nonFinite = try DynamicPanelSample(rows: [[1, 2, .nan, 5], [1, 2, 3, 4]])
    #expect(Self.error(of: { try WithinEstimator().fit(nonFinite) }).map(Self.isInvalidInput) == true)
    #expect(Self.error(of: { try AndersonHsiao().fit(nonFinite) }).map(Self.isInvalidInput) == true)
    #expect(throws: EstimationError.self) { try DynamicPanelSample(rows: [[1, 2, 3], [1, 2]]) }
  }

  /// The `EstimationError` the body throws (nil when it returns or throws something else).
  static func error(of body: () throws -> AutoregressiveFit) -> EstimationError? {
    do {
      _ = try body()
      return nil
    } catch { return error as? EstimationError }
  }
  static func isInvalidInput(_ e: EstimationError) -> Bool { if case .invalidInput = e { true } else { false } }
  static func isNumerical(_ e: EstimationError) -> Bool { if case .numerical = e { true } else { false } }
}
