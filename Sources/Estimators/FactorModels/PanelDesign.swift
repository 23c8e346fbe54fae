import LinearAlgebra

/// A covariate left out of a panel regression because demeaning removed all of its variation
/// (it is constant, or varies only along a dimension whose effects were removed). Its slope is
/// reported as `Estimate.notIdentified(estimand)` and the reason is listed in the fit's
/// `droppedCovariates` and in its `FitSummary.message`.
public struct DroppedCovariate: Sendable, Equatable {
  /// Position in the covariate list (0-based).
  public let index: Int
  /// The estimand name of its slope: the covariate's name, "beta\(index + 1)" when it has none.
  public let estimand: String
  public let reason: String
}

/// The name of the k-th slope (0-based k): "beta1", "beta2", ….
func slopeName(_ k: Int) -> String { "beta\(k + 1)" }

/// A panel outcome and covariates, all demeaned the same way, ready for the regressions.
///
/// `stacked` is the NT×(K+1) matrix Z = [vec X̃_1 … vec X̃_K, vec ỹ] over the kept covariates
/// (vec stacks the T×N panel column by column, unit after unit); `crossProducts` is Z'Z (`dsyrk`).
/// A covariate is dropped when ‖X̃_k‖_F ≤ 1e-10·‖X_k‖_F (relative rounding level; this also drops an
/// all-zero covariate).
///
/// With `force = .none` and a `free` or `omitted` intercept (`InterceptConvention`) nothing is
/// removed: Z holds the raw panels, and for `free` a column of ones follows the kept covariates, so
/// its coefficient (the last) is μ. A constant covariate is then dropped under `free` (it *is* the
/// intercept) and kept under `omitted` (it takes the intercept's place); an all-zero one is always
/// dropped.
struct PanelDesign {
  let periods: Int
  let units: Int
  let outcome: DemeanedPanel
  /// The demeaned kept covariates, in input order.
  let covariates: [DemeanedPanel]
  /// Input positions of the kept covariates.
  let kept: [Int]
  let dropped: [DroppedCovariate]
  let stacked: Matrix
  let crossProducts: Matrix
  /// Whether Z carries a column of ones after the kept covariates (a free intercept).
  let interceptColumn: Bool
  /// Every covariate's estimand name, in input order (the given names, else beta1, beta2, …).
  let slopeNames: [String]

  static let dropTolerance = 1e-10

  init(
    outcome y: Matrix, covariates x: [Matrix], force: AdditiveEffects, intercept: InterceptConvention = .grandMean,
    names: [String]? = nil
  ) throws {
    let t = y.rows
    let n = y.cols
    guard t >= 2, n >= 2 else {
      throw EstimationError.invalidInput("a panel needs at least 2 periods and 2 units (got T = \(t), N = \(n))")
    }
    for (k, xk) in x.enumerated() where xk.rows != t || xk.cols != n {
      throw EstimationError.invalidInput(
        "covariate \(k + 1) is \(xk.rows)×\(xk.cols) but the outcome panel is \(t)×\(n)")
    }
    let centred = force != .none || intercept == .grandMean
    if let names, names.count != x.count {
      throw EstimationError.invalidInput("\(names.count) covariate names were given for \(x.count) covariates")
    }
    let slopeNames = names ?? x.indices.map(slopeName)
    let dy = centred ? DemeanedPanel(y, force: force) : DemeanedPanel(uncentred: y)
    guard dy.mean.isFinite else { throw EstimationError.invalidInput("the outcome panel holds NaN or infinite values") }
    var kept: [Int] = []
    var demeaned: [DemeanedPanel] = []
    var dropped: [DroppedCovariate] = []
    for (k, xk) in x.enumerated() {
      let dx = centred ? DemeanedPanel(xk, force: force) : DemeanedPanel(uncentred: xk)
      guard dx.mean.isFinite else {
        throw EstimationError.invalidInput("covariate \(k + 1) holds NaN or infinite values")
      }
      let total = dot(xk.elements, xk.elements).squareRoot()
      // What is left of X_k once what the model absorbs is removed (for `free`, its mean).
      let left: Double
      if centred || intercept == .free {
        let r = centred ? dx.residual : DemeanedPanel(xk, force: .none).residual
        left = dot(r.elements, r.elements).squareRoot()
      } else {
        left = total
      }
      if left <= Self.dropTolerance * total {
        let reason =
          switch (force, intercept) {
          case (.none, .grandMean): "is constant, so the grand-mean intercept absorbs it"
          case (.none, .free): "is constant, so it is the free intercept, reported as (Intercept)"
          case (.none, .omitted): "is zero everywhere"
          case (.unit, _): "has no variation left after removing the unit effects (it varies only across units)"
          case (.time, _): "has no variation left after removing the period effects (it varies only across periods)"
          case (.twoWay, _):
            "has no variation left after removing the two-way effects (it varies only across units or only across periods)"
          }
        // "beta2 not identified: covariate 2 is …" unnamed, "'price' is not identified: it is …" named.
        let why =
          names == nil
          ? "\(slopeNames[k]) not identified: covariate \(k + 1) \(reason)" : "'\(slopeNames[k])' is not identified: it \(reason)"
        dropped.append(DroppedCovariate(index: k, estimand: slopeNames[k], reason: why))
      } else {
        kept.append(k)
        demeaned.append(dx)
      }
    }
    let nt = n * t
    let interceptColumn = !centred && intercept == .free
    let columns = kept.count + (interceptColumn ? 1 : 0)
    var z = [Double](repeating: 0, count: nt * (columns + 1))
    for (j, dx) in demeaned.enumerated() { z.replaceSubrange((j * nt)..<((j + 1) * nt), with: dx.residual.elements) }
    if interceptColumn {
      z.replaceSubrange((kept.count * nt)..<((kept.count + 1) * nt), with: repeatElement(1.0, count: nt))
    }
    z.replaceSubrange((columns * nt)..<((columns + 1) * nt), with: dy.residual.elements)
    self.interceptColumn = interceptColumn
    self.slopeNames = slopeNames
    self.periods = t
    self.units = n
    self.outcome = dy
    self.covariates = demeaned
    self.kept = kept
    self.dropped = dropped
    self.stacked = Matrix(rows: nt, cols: columns + 1, elements: z)
    self.crossProducts = stacked.gram()
  }

  /// K, the number of regressors in Z: the kept covariates and, for a free intercept, the ones.
  var keptCount: Int { kept.count + (interceptColumn ? 1 : 0) }

  /// The T×N panel ỹ − Σ_k β_k X̃_k (one `dgemv` on Z with coefficients (−β, 1)).
  func residualPanel(_ beta: [Double]) -> Matrix {
    var c = beta.map { -$0 }
    c.append(1)
    return Matrix(rows: periods, cols: units, elements: stacked.multiplied(byVector: c))
  }

  /// ‖ỹ − X̃β‖² = c'(Z'Z)c with c = (−β, 1): O(K²) instead of O(NT).
  func residualSumOfSquares(_ beta: [Double]) -> Double {
    var c = beta.map { -$0 }
    c.append(1)
    return dot(c, crossProducts.multiplied(byVector: c))
  }

  /// The least-squares slopes of the demeaned regression of ỹ on X̃ (normal equations by
  /// Cholesky), with the factorisation of X̃'X̃.
  func leastSquares() throws -> (beta: [Double], xtx: Cholesky) {
    let k = keptCount
    let (xtx, xty) = Self.split(crossProducts, k)
    let chol = try Self.factorise(xtx)
    return (try chol.solve(xty), chol)
  }

  /// The K×K block and the K-vector of the last column of a (K+1)×(K+1) cross-product matrix.
  static func split(_ m: Matrix, _ k: Int) -> (Matrix, [Double]) {
    var a = Matrix(rows: k, cols: k)
    for j in 0..<k { for i in 0..<k { a[i, j] = m[i, j] } }
    return (a, (0..<k).map { m[$0, k] })
  }

  /// Cholesky of a normal-equations matrix; failure means collinear covariates.
  static func factorise(_ a: Matrix) throws -> Cholesky {
    do {
      return try Cholesky(a)
    } catch {
      throw EstimationError.numerical("the covariates are collinear after demeaning (\(error))")
    }
  }

  /// Slope estimates in input order: Wald estimates for the kept covariates, not identified for
  /// the dropped ones; then, with a free intercept, "(Intercept)" (the last coefficient).
  func estimates(beta: [Double], covariance: Matrix) -> [Estimate] {
    var out = slopeNames.map { Estimate.notIdentified($0) }
    for (j, k) in kept.enumerated() {
      out[k] = Estimate.wald(slopeNames[k], value: beta[j], se: covariance[j, j].squareRoot())
    }
    if interceptColumn {
      let j = kept.count
      out.append(Estimate.wald(Self.interceptName, value: beta[j], se: covariance[j, j].squareRoot()))
    }
    return out
  }

  /// The estimand name of a free intercept, as R and Julia print it.
  static let interceptName = "(Intercept)"

  /// The drop reasons joined for a `FitSummary` message (nil when nothing was dropped).
  var dropMessage: String? { dropped.isEmpty ? nil : dropped.map(\.reason).joined(separator: "; ") }
}
