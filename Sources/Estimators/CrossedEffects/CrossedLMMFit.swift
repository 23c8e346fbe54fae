import Foundation
import LinearAlgebra
import NumericalMethods

/// The estimated covariance of one term's random effects, σ̂²·T_kT_k'.
public struct VarianceComponent: Sendable, Equatable {
  public let factor: String
  /// "(Intercept)" and the slope names.
  public let effectNames: [String]
  /// q×q covariance matrix of the term's per-level random-effect vector.
  public let covariance: Matrix
  public var variances: [Double] { covariance.diagonal }
  public var standardDeviations: [Double] { variances.map { $0.squareRoot() } }
  /// The correlation of effects i and j (NaN when either variance is 0).
  public func correlation(_ i: Int, _ j: Int) -> Double {
    let d = (covariance[i, i] * covariance[j, j]).squareRoot()
    return d > 0 ? covariance[i, j] / d : .nan
  }
}

/// The conditional modes (BLUPs) b̂ = Λ_θ̂ û of one term, one row per level.
public struct RandomEffects: Sendable {
  public let factor: String
  public let effectNames: [String]
  public let slopeNames: [String]
  public let levels: [String]
  /// ℓ×q: row k holds level k's intercept and slope effects.
  public let values: Matrix
  let levelIndex: [String: Int]

  /// The effects of the level labelled `label`, or nil for a level the model has not seen.
  public func effects(of label: String) -> [Double]? { levelIndex[label].map { values.row($0) } }
}

/// A fitted `CrossedLMM`: estimates, predictions, likelihood and the optimiser's run.
public struct CrossedLMMFit: Sendable {
  /// True for REML, false for ML.
  public let reml: Bool
  public let fixedEffectNames: [String]
  /// β̂, the solution of R_X β = (the X part of the factor's y row).
  public let fixedEffects: [Double]
  /// σ̂²(R_X'R_X)⁻¹.
  public let fixedEffectCovariance: Matrix
  /// √diag of the covariance: σ̂·‖row j of R_X⁻¹‖.
  public let standardErrors: [Double]
  /// θ̂ in `CrossedLMM.thetaNames` order (after boundary snapping).
  public let theta: [Double]
  /// One per term, in the design's order.
  public let varianceComponents: [VarianceComponent]
  /// σ̂² = r²/(n − p) for REML, r²/n for ML.
  public let residualVariance: Double
  /// BLUPs per term, in the design's order.
  public let randomEffects: [RandomEffects]
  /// Conditional fitted values Xβ̂ + Zb̂.
  public let fitted: [Double]
  /// Marginal fitted values Xβ̂.
  public let marginalFitted: [Double]
  /// y − conditional fitted values.
  public let residuals: [Double]
  /// The profiled objective at θ̂: −2 log L (ML) or lme4's "REML criterion".
  public let objective: Double
  /// r²(θ̂) = ‖y − Xβ̂ − Zb̂‖² + ‖û‖².
  public let penalizedResidualSumOfSquares: Double
  /// ‖û‖², the penalty part of r² (spherical random effects û = Λ⁻¹b̂).
  public let penalty: Double
  /// The optimiser's run (start, end, evaluations, iterations, convergence).
  public let optimizer: MinimizerRun
  public let observationCount: Int
  /// True when some diagonal θ_i < 10⁻⁴: a variance (or a direction of a covariance) is at 0.
  public let isSingular: Bool

  /// Wald inference per fixed effect: β̂ ± 1.96·SE, two-sided z p-value.
  public var coefficients: [Estimate] {
    fixedEffectNames.indices.map { Estimate.wald(fixedEffectNames[$0], value: fixedEffects[$0], se: standardErrors[$0]) }
  }
  /// The variance of `effect` ("(Intercept)" or a slope's column name) among the random effects
  /// of `factor` (for `a:b`, "a:b"), whichever of the factor's terms holds it; nil if none does.
  public func variance(of factor: String, effect: String = CrossedDesign.interceptName) -> Double? {
    for vc in varianceComponents where vc.factor == factor {
      if let a = vc.effectNames.firstIndex(of: effect) { return vc.variances[a] }
    }
    return nil
  }

  /// The correlation of two effects of `factor` (nil unless one correlated term holds both).
  public func correlation(of factor: String, _ first: String, _ second: String) -> Double? {
    for vc in varianceComponents where vc.factor == factor {
      if let a = vc.effectNames.firstIndex(of: first), let b = vc.effectNames.firstIndex(of: second) {
        return vc.correlation(a, b)
      }
    }
    return nil
  }

  /// The BLUP of `effect` for the level labelled `level` of `factor`; nil for an unknown factor,
  /// effect or level.
  public func randomEffect(of factor: String, effect: String = CrossedDesign.interceptName, level: String) -> Double? {
    for re in randomEffects where re.factor == factor {
      if let a = re.effectNames.firstIndex(of: effect) { return re.effects(of: level)?[a] }
    }
    return nil
  }

  /// Levels per term, in the design's order.
  public var levelCounts: [Int] { randomEffects.map { $0.levels.count } }
  /// log L = −objective/2 (the REML log-likelihood for a REML fit, as lme4 reports).
  public var logLikelihood: Double { -objective / 2 }
  /// k = p + #θ + 1 (the residual variance).
  public var parameterCount: Int { fixedEffects.count + theta.count + 1 }
  public var aic: Double { objective + 2 * Double(parameterCount) }
  public var bic: Double { objective + Double(parameterCount) * log(Double(observationCount)) }
  public var converged: Bool { optimizer.converged }
  public var evaluations: Int { optimizer.evaluations }
  public var iterations: Int { optimizer.iterations }
  public var summary: FitSummary {
    FitSummary(
      converged: converged, iterations: iterations, objective: objective,
      message: "\(optimizer.message); \(evaluations) objective evaluations")
  }

  /// Predictions for the rows of `table`, which needs the fixed-effect columns, each term's factor
  /// column and slope columns by name. Conditional (default): Xβ̂ + Zb̂ with BLUP 0 for levels the
  /// model has not seen; marginal: Xβ̂.
  public func predict(_ table: LongTable, conditional: Bool = true) throws(EstimationError) -> [Double] {
    let x = try CrossedDesign.fixedMatrix(table, names: fixedEffectNames)
    var out =
      fixedEffects.isEmpty ? [Double](repeating: 0, count: table.rowCount) : x.multiplied(byVector: fixedEffects)
    guard conditional else { return out }
    for re in randomEffects {
      let labels = try table.labels(re.factor)
      var slopes: [[Double]] = []
      for name in re.slopeNames { slopes.append(try table.numeric(name)) }
      for i in 0..<table.rowCount {
        guard let r = re.levelIndex[labels[i]] else { continue }
        let first = re.effectNames.count - slopes.count
      if first == 1 { out[i] += re.values[r, 0] }
      for (c, s) in slopes.enumerated() { out[i] += s[i] * re.values[r, first + c] }
      }
    }
    return out
  }

  /// Reads every result off the factorisation left in `ws` by the evaluation at θ̂.
  init(
    model: CrossedLMM, theta: [Double], objective: Double, reml: Bool, run: MinimizerRun, ws: CrossedWorkspace
  ) throws(EstimationError) {
    let L = model.layout
    let design = model.design
    let m = L.m
    let oX = L.oX
    let p = L.p
    let q0 = L.q[L.first]
    let n = design.observationCount
    let c = ws.c

    // β̂: R_X β = l_yX with R_X = L_XX'.
    var beta = (0..<p).map { c[(m - 1) + (oX + $0) * m] }
    beta.withUnsafeMutableBufferPointer { b in
      if p > 0 { InPlace.solveLower(c + oX + oX * m, n: p, ld: m, b.baseAddress!, transpose: true) }
    }
    let lyy = c[(m - 1) + (m - 1) * m]
    let r2 = lyy * lyy
    let sigma2 = r2 / Double(reml ? n - p : n)

    // σ̂²(L_XX L_XX')⁻¹.
    var cov = Matrix(rows: p, cols: p)
    for j in 0..<p { for i in j..<p { cov[i, j] = c[(oX + i) + (oX + j) * m] } }
    do {
      try cov.elements.withUnsafeMutableBufferPointer { (e) throws(LinearAlgebraError) in
        if p > 0 { try InPlace.inverseFromCholeskyLower(e.baseAddress!, n: p, ld: p) }
      }
    } catch { throw .numerical("the fixed-effects covariance is singular: \(error)") }
    cov.symmetrizeFromLower()
    cov = sigma2 * cov

    // û for the dense terms: L_DD' u_D = l_yD − L_XD'β.
    var u = [Double](repeating: 0, count: oX)
    for j in 0..<oX {
      var v = c[(m - 1) + j * m]
      for x in 0..<p { v -= c[(oX + x) + j * m] * beta[x] }
      u[j] = v
    }
    u.withUnsafeMutableBufferPointer { b in
      if oX > 0 { InPlace.solveLower(c, n: oX, ld: m, b.baseAddress!, transpose: true) }
    }
    // û for the first term, level by level: L₁ₛ' uₛ = w_y − Σ_a w_a z_a.
    let l0 = L.levels[L.first]
    var u0 = [Double](repeating: 0, count: l0 * q0)
    var rhs = [Double](repeating: 0, count: q0)
    for s in 0..<l0 {
      let rs = model.blocks.levelStart[s]
      let re = model.blocks.levelStart[s + 1]
      for k in 0..<q0 { rhs[k] = ws.w[(re - 1) * q0 + k] }
      for a in rs..<(re - 1) {
        let i = Int(model.blocks.rowIndex[a])
        let z = i < oX ? u[i] : beta[i - oX]
        for k in 0..<q0 { rhs[k] -= ws.w[a * q0 + k] * z }
      }
      if q0 == 1 {
        rhs[0] /= ws.l0[s]
      } else {
        rhs.withUnsafeMutableBufferPointer { InPlace.solveLower(ws.l0 + s * q0 * q0, n: q0, ld: q0, $0.baseAddress!, transpose: true) }
      }
      for k in 0..<q0 { u0[s * q0 + k] = rhs[k] }
    }
    let uNorm2 = u.reduce(0) { $0 + $1 * $1 } + u0.reduce(0) { $0 + $1 * $1 }

    // b̂ = T_k û per level; variance components σ̂²T_kT_k'.
    var randomEffects: [RandomEffects] = []
    var components: [VarianceComponent] = []
    for (k, term) in design.terms.enumerated() {
      let q = L.q[k]
      let t = Matrix(rows: q, cols: q) { i, j in ws.t[k][i + j * q] }
      var values = Matrix(rows: L.levels[k], cols: q)
      for r in 0..<L.levels[k] {
        for a in 0..<q {
          var v = 0.0
          for b in 0...a {
            let ub = k == L.first ? u0[r * q0 + b] : u[L.offset[k] + r * q + b]
            v += t[a, b] * ub
          }
          values[r, a] = v
        }
      }
      randomEffects.append(
        RandomEffects(
          factor: term.factor, effectNames: term.effectNames, slopeNames: term.slopeNames, levels: term.levels,
          values: values, levelIndex: term.levelIndex))
      components.append(
        VarianceComponent(factor: term.factor, effectNames: term.effectNames, covariance: sigma2 * t.gram(outer: true)))
    }

    // Fitted values and residuals.
    let marginal =
      p > 0 ? design.fixed.multiplied(byVector: beta) : [Double](repeating: 0, count: n)
    var fitted = marginal
    for (k, term) in design.terms.enumerated() {
      let b = randomEffects[k].values
      for i in 0..<n {
        let r = term.codes[i]
        for a in 0..<L.q[k] { fitted[i] += term.regressor(i, a) * b[r, a] }
      }
    }

    self.reml = reml
    fixedEffectNames = design.fixedNames
    fixedEffects = beta
    fixedEffectCovariance = cov
    standardErrors = cov.diagonal.map { $0.squareRoot() }
    self.theta = theta
    varianceComponents = components
    residualVariance = sigma2
    self.randomEffects = randomEffects
    self.fitted = fitted
    marginalFitted = marginal
    residuals = (0..<n).map { design.response[$0] - fitted[$0] }
    self.objective = objective
    penalizedResidualSumOfSquares = r2
    optimizer = run
    observationCount = n
    isSingular = zip(theta, L.isDiagonal).contains { $0.1 && $0.0 < 1e-4 }
    penalty = uNorm2
  }
}
