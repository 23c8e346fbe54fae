import Foundation
import LinearAlgebra
import NumericalMethods

/// Settings of a `CrossedLMM` fit.
public struct CrossedLMMOptions: Sendable {
  /// The starting θ (in `CrossedLMM.thetaNames` order); nil = the variance-ratio start for
  /// intercept-only terms (θ_f = √(var of the f-level means of the OLS residuals ÷ their pooled
  /// within-level variance), clamped to [0.01, 10]) and T = I for terms with slopes.
  public var initialTheta: [Double]?
  /// ρ_beg of the optimiser; nil = min(0.25, max(0.05, half the smallest starting diagonal θ)).
  public var initialRadius: Double?
  /// ρ_end: θ is located to about this accuracy unless the objective tolerance stops it earlier.
  public var finalRadius: Double
  /// Stop once a resolution level of the optimiser improves the objective by at most this relative
  /// amount and its model predicts no larger decrease (0 = always go on to ρ_end).
  public var relativeTolerance: Double
  /// Cap on deviance evaluations; hitting it is reported as non-convergence.
  public var maxEvaluations: Int

  public init(
    initialTheta: [Double]? = nil, initialRadius: Double? = nil, finalRadius: Double = 1e-6,
    relativeTolerance: Double = 1e-10, maxEvaluations: Int = 1000
  ) {
    self.relativeTolerance = relativeTolerance
    self.initialTheta = initialTheta
    self.initialRadius = initialRadius
    self.finalRadius = finalRadius
    self.maxEvaluations = maxEvaluations
  }
}

/// A linear mixed model with crossed (or nested) random effects, fitted by profiled REML or ML in
/// the formulation of lme4 and MixedModels.jl (Bates, Mächler, Bolker & Walker 2015, "Fitting
/// linear mixed-effects models using lme4", J. Stat. Softw. 67(1), §3):
///
///   y = Xβ + Zb + ε,  b = Λ_θ u,  u ~ N(0, σ²I),  ε ~ N(0, σ²I),
///
/// Λ_θ block diagonal with I_ℓ ⊗ T_k for term k (T_k lower triangular q_k×q_k, θ its lower
/// triangle column by column, diagonal ≥ 0). For fixed θ, the Cholesky factor of
/// [Λ'Z'ZΛ + I, Λ'Z'X, Λ'Z'y; ·, X'X, X'y; ·, ·, y'y] gives L_θ, R_X and r²(θ) = L_yy², the
/// penalised residual sum of squares, and the profiled objectives (−2 log likelihood):
///
///   ML:   log|L_θ|² + n[1 + log(2πr²/n)]
///   REML: log|L_θ|² + log|R_X|² + (n−p)[1 + log(2πr²/(n−p))].
///
/// **Structure.** [Z X y]'[Z X y] is computed once, when the model is built. Terms are ordered by
/// decreasing number of levels: the first term's diagonal block stays block diagonal (ℓ₁ blocks of
/// q₁×q₁, a vector when q₁ = 1) and its off-diagonal block is kept sparse, by level; everything
/// else — the other terms (crossed terms fill in), X and y — is one dense m×m block,
/// m = Σ_{k≥2} ℓ_k q_k + p + 1. Each θ evaluation scales the stored blocks by Λ, factors the first
/// term's blocks level by level, subtracts their sparse Schur complement from the dense block and
/// factors that with LAPACK `dpotrf`: O(nnz-pairs + m³/3) with no allocation (a workspace is reused).
/// A failed Cholesky at a trial θ returns 10³⁰⁰, which the optimiser treats as undefined.
///
/// **Fit.** θ is optimised by `BoundedQuadraticMinimizer` (θ diagonal ≥ 0); then each diagonal
/// θ_i < 10⁻³ is set to 0 if the objective rises by at most 10⁻⁵, and the fit is singular when some
/// diagonal θ_i < 10⁻⁴ (lme4's `isSingular` rule).
///
/// Build once, fit many: `fit(reml:)` reuses the stored blocks, and `refit(response:)` recomputes
/// only their response parts (Z'y, X'y, y'y) — what a Monte Carlo loop needs.
public struct CrossedLMM: Sendable {
  public private(set) var design: CrossedDesign
  let layout: BlockLayout
  var blocks: CrossedBlocks

  /// The largest dense block accepted (m ≤ 20 000, i.e. 3.2 GB per m×m copy; InstEval needs 1 145).
  public static let maxDenseOrder = 20_000

  /// Builds the model: computes the cross-product blocks once. Throws when the terms other than
  /// the one with most levels need a dense block larger than `maxDenseOrder`.
  public init(_ design: CrossedDesign) throws(EstimationError) {
    self.design = design
    layout = BlockLayout(design)
    guard layout.m <= CrossedLMM.maxDenseOrder else {
      throw .invalidInput(
        "the random-effect terms after the largest need a dense block of order \(layout.m) (limit \(CrossedLMM.maxDenseOrder)); "
          + "fit fewer or smaller crossed factors")
    }
    blocks = CrossedBlocks(design, layout)
    blocks.fillResponse(design, layout)
  }

  /// Builds the model from a long table: `response ~ [1 +] fixed + Σ (1 + slopes | factor)`.
  public init(
    table: LongTable, response: String, fixed: [String] = [], intercept: Bool = true, random: [RandomTermSpec]
  ) throws(EstimationError) {
    try self.init(CrossedDesign(table: table, response: response, fixed: fixed, intercept: intercept, random: random))
  }

  /// The same model with a new response: only Z'y, X'y and y'y are recomputed.
  public func withResponse(_ y: [Double]) throws(EstimationError) -> CrossedLMM {
    var copy = self
    copy.design = try design.withResponse(y)
    copy.blocks.fillResponse(copy.design, layout)
    return copy
  }

  /// Fits a new response with the same design (`withResponse(y).fit(…)`).
  public func refit(response y: [Double], reml: Bool = true, options: CrossedLMMOptions = .init()) throws(EstimationError)
    -> CrossedLMMFit
  {
    try withResponse(y).fit(reml: reml, options: options)
  }

  /// The number of covariance parameters θ.
  public var thetaCount: Int { layout.thetaCount }

  /// Names of the θ entries: "name:i,j" for T_k[i, j], the name from `CrossedDesign.termNames`.
  public var thetaNames: [String] {
    zip(design.terms, design.termNames).flatMap { t, name in
      (0..<t.dimension).flatMap { c in (c..<t.dimension).map { r in "\(name):\(r),\(c)" } }
    }
  }

  /// Lower bounds of θ: 0 for diagonal entries of the T_k, −∞ for the others.
  public var thetaLowerBounds: [Double] { layout.isDiagonal.map { $0 ? 0 : -.infinity } }

  /// The profiled objective (−2 log likelihood, or the REML criterion) at θ; 10³⁰⁰ where the
  /// Cholesky factorisation fails.
  public func objective(theta: [Double], reml: Bool = true) -> Double {
    precondition(theta.count == thetaCount, "θ needs \(thetaCount) entries")
    let ws = CrossedWorkspace(layout, blocks)
    return evaluate(theta, reml: reml, ws)
  }

  /// Fits the model by REML (default) or ML.
  public func fit(reml: Bool = true, options: CrossedLMMOptions = .init()) throws(EstimationError) -> CrossedLMMFit {
    var residuals = design.response
    if design.fixed.cols > 0 {
      let beta: [Double]
      do { beta = try design.fixed.leastSquares(design.response) } catch {
        throw .invalidInput("the fixed-effects matrix X is rank deficient (\(error)); drop a redundant column")
      }
      let fitted = design.fixed.multiplied(byVector: beta)
      for i in residuals.indices { residuals[i] -= fitted[i] }
    }
    let start = options.initialTheta ?? startingTheta(olsResiduals: residuals)
    guard start.count == thetaCount, start.allSatisfy(\.isFinite) else {
      throw .invalidInput("the starting θ needs \(thetaCount) finite values")
    }
    let diagonalStart = zip(start, layout.isDiagonal).filter(\.1).map { abs($0.0) }
    let radius = options.initialRadius ?? min(0.25, max(0.05, 0.5 * (diagonalStart.min() ?? 0.5)))
    let ws = CrossedWorkspace(layout, blocks)
    let minimizer = BoundedQuadraticMinimizer(
      lower: thetaLowerBounds, upper: [Double](repeating: .infinity, count: thetaCount), initialRadius: radius,
      finalRadius: min(options.finalRadius, radius), maxEvaluations: options.maxEvaluations,
      relativeTolerance: options.relativeTolerance)
    let run = minimizer.minimize(from: start) { evaluate($0, reml: reml, ws) }
    guard run.value < BoundedQuadraticMinimizer.failedValueThreshold else {
      throw .numerical("the Cholesky factorisation failed at every θ tried (\(run.message))")
    }
    // Boundary snapping (as lme4/MixedModels): a tiny diagonal θ that barely matters becomes 0.
    var theta = run.x
    var value = run.value
    for i in 0..<thetaCount where layout.isDiagonal[i] && theta[i] > 0 && theta[i] < 1e-3 {
      var trial = theta
      trial[i] = 0
      let v = evaluate(trial, reml: reml, ws)
      if v <= value + 1e-5 {
        theta = trial
        value = v
      }
    }
    value = evaluate(theta, reml: reml, ws)
    guard value < BoundedQuadraticMinimizer.failedValueThreshold else {
      throw .numerical("the Cholesky factorisation failed at the optimum θ")
    }
    return try CrossedLMMFit(model: self, theta: theta, objective: value, reml: reml, run: run, ws: ws)
  }

  /// The variance-ratio start (see `CrossedLMMOptions.initialTheta`) from the OLS residuals e.
  func startingTheta(olsResiduals e: [Double]) -> [Double] {
    let n = e.count
    var theta: [Double] = []
    for term in design.terms {
      let q = term.dimension
      guard q == 1, term.intercept else {
        for c in 0..<q { for r in c..<q { theta.append(r == c ? 1 : 0) } }
        continue
      }
      var sums = [Double](repeating: 0, count: term.levels.count)
      var counts = [Double](repeating: 0, count: term.levels.count)
      for i in 0..<n {
        sums[term.codes[i]] += e[i]
        counts[term.codes[i]] += 1
      }
      let used = counts.indices.filter { counts[$0] > 0 }
      let means = used.map { sums[$0] / counts[$0] }
      var within = 0.0
      for i in 0..<n {
        let d = e[i] - sums[term.codes[i]] / counts[term.codes[i]]
        within += d * d
      }
      guard used.count >= 2, n > used.count, within > 0 else {
        theta.append(1)
        continue
      }
      within /= Double(n - used.count)
      let grand = means.reduce(0, +) / Double(means.count)
      let between = means.reduce(0) { $0 + ($1 - grand) * ($1 - grand) } / Double(means.count - 1)
      theta.append(min(max((between / within).squareRoot(), 0.01), 10))
    }
    return theta
  }

  /// The profiled objective at θ, leaving the factorisation in `ws` (see the type's documentation).
  func evaluate(_ theta: [Double], reml: Bool, _ ws: CrossedWorkspace) -> Double {
    let failure = 1e300
    let L = layout
    let m = L.m
    let oX = L.oX
    let q0 = L.q[L.first]
    let c = ws.c
    let w = ws.w
    let lambda = ws.lambda
    ws.setFactors(theta, L)

    // Λ'AΛ on the dense block (lower triangle; the full matrix when a dense term has slopes).
    blocks.dense.withUnsafeBufferPointer { a in
      for j in 0..<m {
        let lj = lambda[j]
        for i in (L.hasDenseSlopes ? 0 : j)..<m { c[i + j * m] = lambda[i] * lj * a[i + j * m] }
      }
    }
    if L.hasDenseSlopes {
      for k in L.order.dropFirst() where L.q[k] > 1 {
        let q = L.q[k]
        for r in 0..<L.levels[k] {
          InPlace.multiplyLower(ws.t[k], order: q, ldt: q, c + (L.offset[k] + r * q) * m, count: m, ldb: m, fromLeft: false)
        }
      }
      for k in L.order.dropFirst() where L.q[k] > 1 {
        let q = L.q[k]
        for r in 0..<L.levels[k] {
          InPlace.multiplyLower(ws.t[k], order: q, ldt: q, c + L.offset[k] + r * q, count: m, ldb: m, fromLeft: true)
        }
      }
    }
    for i in 0..<oX { c[i + i * m] += 1 }

    // The first term, level by level: L₁ₛ = chol(T'AₛT + I) and Wₛ' = L₁ₛ⁻¹T'Aₛ'Λ_D.
    var logDetFirst = 0.0
    let t0 = ws.t[L.first]
    let ok: Bool = blocks.levelStart.withUnsafeBufferPointer { start in
      blocks.rowIndex.withUnsafeBufferPointer { idx in
        blocks.rowValues.withUnsafeBufferPointer { values in
          blocks.diagonal.withUnsafeBufferPointer { diag in
            for s in 0..<L.levels[L.first] {
              let rs = start[s]
              let r = start[s + 1] - rs
              let wt = w + rs * q0
              for k in 0..<(r * q0) { wt[k] = values[rs * q0 + k] }
              if q0 == 1 {
                let d = t0[0] * t0[0] * diag[s] + 1
                let l = d.squareRoot()
                ws.l0[s] = l
                logDetFirst += log(d)
                let f = t0[0] / l
                for a in 0..<r { wt[a] *= f * lambda[Int(idx[rs + a])] }
              } else {
                let l = ws.l0 + s * q0 * q0
                for k in 0..<(q0 * q0) { l[k] = diag[s * q0 * q0 + k] }
                InPlace.multiplyLower(t0, order: q0, ldt: q0, l, count: q0, ldb: q0, fromLeft: false)
                InPlace.multiplyLower(t0, order: q0, ldt: q0, l, count: q0, ldb: q0, fromLeft: true)
                for k in 0..<q0 { l[k + k * q0] += 1 }
                do { try InPlace.choleskyLower(l, n: q0, ld: q0) } catch { return false }
                for k in 0..<q0 { logDetFirst += 2 * log(l[k + k * q0]) }
                InPlace.multiplyLower(t0, order: q0, ldt: q0, wt, count: r, ldb: q0, fromLeft: true)
                InPlace.solveLower(l, order: q0, ldl: q0, wt, count: r, ldb: q0, fromLeft: true)
                for a in 0..<r {
                  let la = lambda[Int(idx[rs + a])]
                  for k in 0..<q0 { wt[a * q0 + k] *= la }
                }
              }
              if L.hasDenseSlopes {
                for a in 0..<r {
                  let i = Int(idx[rs + a])
                  guard i < oX else { break }
                  let k = L.indexTerm[i]
                  let q = L.q[k]
                  if q > 1 && (i - L.offset[k]) % q == 0 {
                    InPlace.multiplyLower(ws.t[k], order: q, ldt: q, wt + a * q0, count: q0, ldb: q0, fromLeft: false)
                  }
                }
              }
            }
            return true
          }
        }
      }
    }
    guard ok else { return failure }
    // C −= Σₛ WₛWₛ' (lower), a sparse symmetric rank update done column by column through the
    // transposed index, so each pass writes one column of C (cache-resident) and reads one level's
    // W contiguously: O(q₁ Σₛ rₛ²/2) flops.
    blocks.columnStart.withUnsafeBufferPointer { colStart in
      blocks.columnLevel.withUnsafeBufferPointer { colLevel in
        blocks.columnPosition.withUnsafeBufferPointer { colPos in
          blocks.levelStart.withUnsafeBufferPointer { start in
            blocks.rowIndex.withUnsafeBufferPointer { idx in
              for j in 0..<m {
                let column = c + j * m
                for e in colStart[j]..<colStart[j + 1] {
                  let pos = Int(colPos[e])
                  let end = start[Int(colLevel[e]) + 1]
                  if q0 == 1 {
                    let wb = w[pos]
                    if wb == 0 { continue }
                    for a in pos..<end { column[Int(idx[a])] -= w[a] * wb }
                  } else {
                    for a in pos..<end {
                      var v = 0.0
                      for k in 0..<q0 { v += w[a * q0 + k] * w[pos * q0 + k] }
                      column[Int(idx[a])] -= v
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
    do { try InPlace.choleskyLower(c, n: m, ld: m) } catch { return failure }
    var logDetL = logDetFirst
    for i in 0..<oX { logDetL += 2 * log(c[i + i * m]) }
    var logDetRX = 0.0
    for i in oX..<(m - 1) { logDetRX += 2 * log(c[i + i * m]) }
    let lyy = c[(m - 1) + (m - 1) * m]
    let r2 = lyy * lyy
    let n = Double(design.observationCount)
    let p = Double(L.p)
    let value =
      reml
      ? logDetL + logDetRX + (n - p) * (1 + log(2 * Double.pi * r2 / (n - p)))
      : logDetL + n * (1 + log(2 * Double.pi * r2 / n))
    return value.isFinite ? value : failure
  }
}

/// Where each block lives: the term order, the dense block's layout and the θ layout.
struct BlockLayout: Sendable {
  /// Term indices (the design's order) sorted by decreasing number of levels.
  let order: [Int]
  /// The term whose diagonal block stays block diagonal (`order[0]`).
  let first: Int
  let q: [Int]
  let levels: [Int]
  /// Offset of each dense term in the dense block (level-major: level r, component c at offset + r·q + c).
  let offset: [Int]
  /// Start of X in the dense block (= number of dense random-effect columns); y is the last index.
  let oX: Int
  let p: Int
  /// Order of the dense block: oX + p + 1.
  let m: Int
  /// For each dense index below oX, its term.
  let indexTerm: [Int]
  let thetaOffset: [Int]
  let thetaCount: Int
  let isDiagonal: [Bool]
  /// True when a term other than the first has slopes (the dense scaling is then a block transform).
  let hasDenseSlopes: Bool

  init(_ design: CrossedDesign) {
    let terms = design.terms
    let q = terms.map(\.dimension)
    let levels = terms.map { $0.levels.count }
    let order = terms.indices.sorted { (levels[$0], -$0) > (levels[$1], -$1) }
    self.q = q
    self.levels = levels
    self.order = order
    first = order[0]
    var offset = [Int](repeating: -1, count: terms.count)
    var indexTerm: [Int] = []
    var o = 0
    for k in order.dropFirst() {
      offset[k] = o
      o += levels[k] * q[k]
      indexTerm += [Int](repeating: k, count: levels[k] * q[k])
    }
    self.offset = offset
    self.indexTerm = indexTerm
    oX = o
    p = design.fixed.cols
    m = o + p + 1
    var thetaOffset: [Int] = []
    var isDiagonal: [Bool] = []
    for k in terms.indices {
      thetaOffset.append(isDiagonal.count)
      for c in 0..<q[k] { for r in c..<q[k] { isDiagonal.append(r == c) } }
    }
    self.thetaOffset = thetaOffset
    self.isDiagonal = isDiagonal
    thetaCount = isDiagonal.count
    hasDenseSlopes = order.dropFirst().contains { q[$0] > 1 }
  }
}

/// The blocks of [Z X y]'[Z X y], computed once per design (the response parts by `fillResponse`).
struct CrossedBlocks: Sendable {
  /// Z₁'Z₁ of the first term: one q₁×q₁ block (column-major) per level.
  var diagonal: [Double]
  /// The first term's off-diagonal block A[D,1] by level s: rows `levelStart[s]..<levelStart[s+1]`
  /// of `rowIndex` (dense indices, ascending, each level ending with the p + 1 rows of X and y)
  /// with q₁ values each in `rowValues`.
  var levelStart: [Int]
  var rowIndex: [Int32]
  var rowValues: [Double]
  /// The transposed index of `rowIndex`: for dense index j, entries `columnStart[j]..<columnStart[j+1]`
  /// name each level s whose rows contain j and the position of j in `rowIndex`.
  var columnStart: [Int]
  var columnLevel: [Int32]
  var columnPosition: [Int32]
  /// The dense block (m×m, both triangles).
  var dense: [Double]

  init(_ design: CrossedDesign, _ L: BlockLayout) {
    let n = design.observationCount
    let terms = design.terms
    let first = terms[L.first]
    let q0 = L.q[L.first]
    let l0 = L.levels[L.first]
    let m = L.m
    let x = design.fixed
    let denseTerms = Array(L.order.dropFirst())

    // Observations grouped by the first term's level (counting sort, stable).
    var levelStartObs = [Int](repeating: 0, count: l0 + 1)
    for c in first.codes { levelStartObs[c + 1] += 1 }
    for s in 0..<l0 { levelStartObs[s + 1] += levelStartObs[s] }
    var fill = levelStartObs
    var byLevel = [Int](repeating: 0, count: n)
    for (i, c) in first.codes.enumerated() {
      byLevel[fill[c]] = i
      fill[c] += 1
    }

    diagonal = [Double](repeating: 0, count: l0 * q0 * q0)
    levelStart = [0]
    rowIndex = []
    rowValues = []
    var marker = [Int](repeating: -1, count: m)
    var accum = [Double](repeating: 0, count: m * q0)
    var touched: [Int] = []
    var z0 = [Double](repeating: 0, count: q0)
    for s in 0..<l0 {
      touched.removeAll(keepingCapacity: true)
      func touch(_ i: Int) {
        if marker[i] != s {
          marker[i] = s
          touched.append(i)
        }
      }
      for pos in levelStartObs[s]..<levelStartObs[s + 1] {
        let i = byLevel[pos]
        for c in 0..<q0 { z0[c] = first.regressor(i, c) }
        for a in 0..<q0 { for b in 0..<q0 { diagonal[s * q0 * q0 + a + b * q0] += z0[a] * z0[b] } }
        for k in denseTerms {
          let base = L.offset[k] + terms[k].codes[i] * L.q[k]
          for c in 0..<L.q[k] {
            touch(base + c)
            let z = terms[k].regressor(i, c)
            for a in 0..<q0 { accum[(base + c) * q0 + a] += z * z0[a] }
          }
        }
        for j in 0..<L.p {
          let v = x[i, j]
          for a in 0..<q0 { accum[(L.oX + j) * q0 + a] += v * z0[a] }
        }
      }
      for j in L.oX..<m { touch(j) }
      touched.sort()
      for i in touched {
        rowIndex.append(Int32(i))
        for a in 0..<q0 {
          rowValues.append(accum[i * q0 + a])
          accum[i * q0 + a] = 0
        }
      }
      levelStart.append(rowIndex.count)
    }

    columnStart = [Int](repeating: 0, count: m + 1)
    for i in rowIndex { columnStart[Int(i) + 1] += 1 }
    for j in 0..<m { columnStart[j + 1] += columnStart[j] }
    columnLevel = [Int32](repeating: 0, count: rowIndex.count)
    columnPosition = [Int32](repeating: 0, count: rowIndex.count)
    var next = columnStart
    for s in 0..<l0 {
      for pos in levelStart[s]..<levelStart[s + 1] {
        let j = Int(rowIndex[pos])
        columnLevel[next[j]] = Int32(s)
        columnPosition[next[j]] = Int32(pos)
        next[j] += 1
      }
    }

    // The dense block: Z_D'Z_D and Z_D'X by accumulation over observations, X'X by syrk.
    dense = [Double](repeating: 0, count: m * m)
    var entries: [(Int, Double)] = []
    for i in 0..<n {
      entries.removeAll(keepingCapacity: true)
      for k in denseTerms {
        let base = L.offset[k] + terms[k].codes[i] * L.q[k]
        for c in 0..<L.q[k] { entries.append((base + c, terms[k].regressor(i, c))) }
      }
      for (ia, va) in entries {
        for (ib, vb) in entries { dense[ia + ib * m] += va * vb }
        for j in 0..<L.p {
          let v = va * x[i, j]
          dense[ia + (L.oX + j) * m] += v
          dense[(L.oX + j) + ia * m] += v
        }
      }
    }
    let xtx = x.gram()
    for a in 0..<L.p { for b in 0..<L.p { dense[(L.oX + a) + (L.oX + b) * m] = xtx[a, b] } }
  }

  /// Writes the response parts: the y rows of the first term's blocks (Σ_{i∈s} y_i z₁ᵢ), Z_D'y, X'y
  /// and y'y. The same code serves a fresh build and a refit, so both give identical numbers.
  mutating func fillResponse(_ design: CrossedDesign, _ L: BlockLayout) {
    let y = design.response
    let terms = design.terms
    let first = terms[L.first]
    let q0 = L.q[L.first]
    let m = L.m
    let last = m - 1
    for s in 0..<L.levels[L.first] {
      let row = levelStart[s + 1] - 1
      for a in 0..<q0 { rowValues[row * q0 + a] = 0 }
    }
    for (i, s) in first.codes.enumerated() {
      let row = levelStart[s + 1] - 1
      for a in 0..<q0 { rowValues[row * q0 + a] += y[i] * first.regressor(i, a) }
    }
    for i in 0..<m { dense[i + last * m] = 0 }
    for k in L.order.dropFirst() {
      for (i, code) in terms[k].codes.enumerated() {
        let base = L.offset[k] + code * L.q[k]
        for c in 0..<L.q[k] { dense[base + c + last * m] += terms[k].regressor(i, c) * y[i] }
      }
    }
    let xty = design.fixed.multiplied(byVector: y, transposeSelf: true)
    for j in 0..<L.p { dense[L.oX + j + last * m] = xty[j] }
    dense[last + last * m] = dot(y, y)
    for i in 0..<m { dense[last + i * m] = dense[i + last * m] }
  }
}

/// Buffers one fit reuses on every θ evaluation (no allocation in the inner loop). Not shared
/// between threads: each fit makes its own.
final class CrossedWorkspace {
  /// The dense block, overwritten by its Cholesky factor (m×m).
  let c: UnsafeMutablePointer<Double>
  /// Wₛ' for every level of the first term (same layout as `rowValues`).
  let w: UnsafeMutablePointer<Double>
  /// The first term's per-level Cholesky factors (ℓ₁ blocks of q₁×q₁).
  let l0: UnsafeMutablePointer<Double>
  /// Per dense index: θ_k for one-effect terms (q = 1), 1 for the others (transformed by T_k) and for X, y.
  let lambda: UnsafeMutablePointer<Double>
  /// T_k per term (q×q column-major, lower).
  let t: [UnsafeMutablePointer<Double>]
  private let sizes: [Int]

  init(_ L: BlockLayout, _ blocks: CrossedBlocks) {
    let q0 = L.q[L.first]
    sizes = [L.m * L.m, blocks.rowValues.count, L.levels[L.first] * q0 * q0, L.m]
    func buffer(_ count: Int) -> UnsafeMutablePointer<Double> {
      let p = UnsafeMutablePointer<Double>.allocate(capacity: max(count, 1))
      p.initialize(repeating: 0, count: max(count, 1))
      return p
    }
    c = buffer(sizes[0])
    w = buffer(sizes[1])
    l0 = buffer(sizes[2])
    lambda = buffer(sizes[3])
    t = L.q.map { buffer($0 * $0) }
  }

  deinit {
    for p in [c, w, l0, lambda] + t { p.deallocate() }
  }

  /// T_k from θ (lower triangle column by column) and the per-index scales λ.
  func setFactors(_ theta: [Double], _ L: BlockLayout) {
    for k in L.q.indices {
      let q = L.q[k]
      var next = L.thetaOffset[k]
      for c in 0..<q {
        for r in 0..<q {
          if r >= c {
            t[k][r + c * q] = theta[next]
            next += 1
          } else {
            t[k][r + c * q] = 0
          }
        }
      }
    }
    for i in 0..<L.m { lambda[i] = 1 }
    for k in L.order.dropFirst() where L.q[k] == 1 {
      let th = t[k][0]
      for i in L.offset[k]..<(L.offset[k] + L.levels[k]) { lambda[i] = th }
    }
  }
}
