import Foundation
import LinearAlgebra

/// Binary or binomial outcomes on rows nested in the levels of one grouping factor, with any
/// fixed-effects design: the data of the general random-intercept logit (lme4's
/// `glmer(y ~ x1 + x2 + (1 | g), family = binomial)` and `cbind(successes, failures) ~ … + (1 | g)`).
///
/// Row j has y_j successes out of t_j trials (`trials == nil`: every row is one Bernoulli trial,
/// y_j ∈ {0, 1}) and the fixed-effects row x_j (any number of individual and group covariates, the
/// intercept a column like any other). Rows are stored group by group (a stable counting sort over
/// the groups in label order, numerically when every label is a number), so group g is the
/// contiguous range `groupStart[g] ..< groupStart[g + 1]`, as in `GroupedBinaryData`.
public struct GroupedLogitDesign: Sendable {
  /// Successes per row, ordered by group.
  public let successes: [Double]
  /// Trials per row (ordered like `successes`), nil when every row is one Bernoulli trial.
  public let trials: [Double]?
  /// The fixed-effects matrix X (rows ordered like `successes`).
  public let fixed: Matrix
  public let fixedNames: [String]
  /// Offsets of the groups into the rows; `groupStart.count == groupLabels.count + 1`.
  public let groupStart: [Int]
  public let groupLabels: [String]
  /// The grouping factor's name ("herd").
  public let groupingFactor: String

  /// Builds the design from rows in any order; `group[j]` is row j's group label. Throws
  /// `.invalidInput` for mismatched lengths, no rows, a non-finite value, a 0/1 response that is not
  /// 0 or 1 (without trials), successes outside 0…trials, or fewer than two groups.
  public init(
    successes: [Double], trials: [Double]?, fixed: Matrix, fixedNames: [String], group: [String],
    groupingFactor: String
  ) throws(EstimationError) {
    let n = successes.count
    guard n > 0 else { throw .invalidInput("there are no rows") }
    guard fixed.rows == n, group.count == n, trials.map({ $0.count == n }) ?? true, fixedNames.count == fixed.cols else {
      throw .invalidInput("the response, trials, design and groups must have one entry per row")
    }
    guard fixed.isFinite else { throw .invalidInput("the fixed-effects design holds non-finite values") }
    if let trials {
      for j in 0..<n where !(successes[j] >= 0 && successes[j] <= trials[j] && trials[j].isFinite) {
        throw .invalidInput("row \(j + 1) has \(successes[j]) successes out of \(trials[j]) trials; successes must lie in 0…trials")
      }
    } else if let j = successes.firstIndex(where: { $0 != 0 && $0 != 1 }) {
      throw .invalidInput(
        "the response must be 0 or 1 (row \(j + 1) has \(successes[j])); for counts write cbind(successes, failures) or cbind(successes, trials - successes)")
    }
    let labels = LongTable.sortedLabels(Set(group))
    guard labels.count >= 2 else {
      throw .invalidInput("the grouping factor '\(groupingFactor)' has \(labels.count) level; a random intercept needs at least 2")
    }
    var index: [String: Int] = [:]
    for (k, l) in labels.enumerated() { index[l] = k }
    let codes = group.map { index[$0]! }
    var counts = [Int](repeating: 0, count: labels.count)
    for c in codes { counts[c] += 1 }
    var start = [0]
    for c in counts { start.append(start[start.count - 1] + c) }
    var next = Array(start.dropLast())
    var order = [Int](repeating: 0, count: n)
    for j in 0..<n {
      order[next[codes[j]]] = j
      next[codes[j]] += 1
    }
    self.successes = order.map { successes[$0] }
    self.trials = trials.map { t in order.map { t[$0] } }
    self.fixed = Matrix(rows: n, cols: fixed.cols) { i, k in fixed[order[i], k] }
    self.fixedNames = fixedNames
    groupStart = start
    groupLabels = labels
    self.groupingFactor = groupingFactor
  }

  /// From an evaluated formula with exactly one random term, an intercept by one grouping factor:
  /// `y ~ x1 + x2 + (1 | g)` or `cbind(s, n - s) ~ period + (1 | herd)`.
  public init(frame: ModelFrame) throws(EstimationError) {
    guard frame.randomTerms.count == 1, let term = frame.randomTerms.first, term.intercept, term.slopes.isEmpty else {
      throw .invalidInput(
        "the logit takes exactly one random term, an intercept by one grouping factor such as (1 | group); the formula '\(frame.formula)' has \(GroupedLogitDesign.describe(frame.randomTerms))")
    }
    try self.init(
      successes: frame.response, trials: frame.trials, fixed: frame.fixed, fixedNames: frame.fixedNames,
      group: term.codes.map { term.levels[$0] }, groupingFactor: term.factor)
  }

  private static func describe(_ terms: [RandomEffectTerm]) -> String {
    guard !terms.isEmpty else { return "none" }
    return terms.map { t in "(\(t.effectNames.map { $0 == CrossedDesign.interceptName ? "1" : $0 }.joined(separator: " + ")) | \(t.factor))" }
      .joined(separator: ", ")
  }

  /// The number of rows.
  public var count: Int { successes.count }
  public var groupCount: Int { groupLabels.count }
  public func range(_ g: Int) -> Range<Int> { groupStart[g]..<groupStart[g + 1] }
  /// t_j (1 for Bernoulli rows).
  func trials(_ j: Int) -> Double { trials?[j] ?? 1 }

  /// Σ_j log C(t_j, y_j): the part of the binomial log-likelihood that does not depend on the
  /// parameters (0 for Bernoulli rows), which lme4 includes in the Laplace fit's logLik.
  public var logBinomialCoefficients: Double {
    guard let trials else { return 0 }
    return zip(successes, trials).reduce(0) { sum, row in
      sum + lgamma(row.1 + 1) - lgamma(row.0 + 1) - lgamma(row.1 - row.0 + 1)
    }
  }

  /// The columns that vary within at least one group (individual-level covariates; the intercept and
  /// group-level covariates do not).
  public var withinGroupColumns: [Int] {
    (0..<fixed.cols).filter { k in
      (0..<groupCount).contains { g in
        let r = range(g)
        return r.contains { fixed[$0, k] != fixed[r.lowerBound, k] }
      }
    }
  }

  /// The Mundlak (1978) design: the group mean (over trials, i.e. over individuals) of each named
  /// column appended as a covariate "mean NAME". `names == nil` takes every column that varies
  /// within groups. Refuses an unknown column and one that is constant within every group (its mean
  /// would duplicate it).
  public func addingGroupMeans(of names: [String]? = nil) throws(EstimationError) -> GroupedLogitDesign {
    let within = withinGroupColumns
    var chosen: [Int] = []
    if let names {
      for name in names {
        guard let k = fixedNames.firstIndex(of: name) else {
          throw .invalidInput("there is no fixed-effects column '\(name)' to take group means of; the columns are: \(fixedNames.joined(separator: ", "))")
        }
        guard within.contains(k) else {
          throw .invalidInput("'\(name)' does not vary within any \(groupingFactor), so its group mean would duplicate it")
        }
        chosen.append(k)
      }
    } else {
      chosen = within
    }
    guard !chosen.isEmpty else {
      throw .invalidInput("no fixed-effects column varies within a \(groupingFactor), so the Mundlak model has no group mean to add")
    }
    let n = count
    let p = fixed.cols
    var elements = fixed.elements
    for k in chosen {
      var column = [Double](repeating: 0, count: n)
      for g in 0..<groupCount {
        let r = range(g)
        var sum = 0.0
        var weight = 0.0
        for j in r {
          sum += trials(j) * fixed[j, k]
          weight += trials(j)
        }
        let mean = weight > 0 ? sum / weight : 0
        for j in r { column[j] = mean }
      }
      elements += column
    }
    return GroupedLogitDesign(
      sorted: self, fixed: Matrix(rows: n, cols: p + chosen.count, elements: elements),
      fixedNames: fixedNames + chosen.map { "mean \(fixedNames[$0])" })
  }

  /// The same rows with another fixed-effects matrix.
  private init(sorted d: GroupedLogitDesign, fixed: Matrix, fixedNames: [String]) {
    successes = d.successes
    trials = d.trials
    self.fixed = fixed
    self.fixedNames = fixedNames
    groupStart = d.groupStart
    groupLabels = d.groupLabels
    groupingFactor = d.groupingFactor
  }

  /// The groups with both outcomes among their trials (0 < Σy < Σt).
  var informativeGroups: [Int] {
    (0..<groupCount).filter { g in
      let r = range(g)
      let ones = r.reduce(0.0) { $0 + successes[$1] }
      let total = r.reduce(0.0) { $0 + trials($1) }
      return ones > 0 && ones < total
    }
  }

  /// The group-dummy (fixed-effects) logit's data: the informative groups' rows, one dummy per
  /// informative group and the within-group columns that are linearly independent of the dummies
  /// and of each other (kept in order; a column whose within-group residual, after the columns
  /// already kept, has norm ≤ 10⁻⁸ of its own within-group norm is dropped as collinear).
  struct FixedEffectsData {
    var design: Matrix
    var names: [String]
    var successes: [Double]
    var trials: [Double]
    /// How many of `names` are slopes (the rest are the group dummies).
    var slopes: Int
    var informative: [Int]
  }

  func fixedEffectsData() -> FixedEffectsData {
    let groups = informativeGroups
    let rows = groups.flatMap { Array(range($0)) }
    // Within-group (demeaned) columns over the informative rows, and a greedy Gram–Schmidt.
    var kept: [Int] = []
    var basis: [[Double]] = []
    for k in withinGroupColumns {
      var v = [Double](repeating: 0, count: rows.count)
      var i = 0
      for g in groups {
        let r = range(g)
        let mean = r.reduce(0.0) { $0 + fixed[$1, k] } / Double(r.count)
        for j in r {
          v[i] = fixed[j, k] - mean
          i += 1
        }
      }
      let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
      guard norm > 0 else { continue }
      for b in basis {
        let c = zip(v, b).reduce(0) { $0 + $1.0 * $1.1 }
        for i in v.indices { v[i] -= c * b[i] }
      }
      let rest = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
      guard rest > 1e-8 * norm else { continue }
      basis.append(v.map { $0 / rest })
      kept.append(k)
    }
    let p = kept.count + groups.count
    var position = [Int](repeating: -1, count: groupCount)
    for (a, g) in groups.enumerated() { position[g] = a }
    var groupOfRow = [Int](repeating: 0, count: count)
    for g in 0..<groupCount { for j in range(g) { groupOfRow[j] = g } }
    let design = Matrix(rows: rows.count, cols: p) { i, c in
      c < kept.count ? fixed[rows[i], kept[c]] : (position[groupOfRow[rows[i]]] == c - kept.count ? 1 : 0)
    }
    return FixedEffectsData(
      design: design, names: kept.map { fixedNames[$0] } + groups.map { "\(groupingFactor)\(groupLabels[$0])" },
      successes: rows.map { successes[$0] }, trials: rows.map { trials($0) }, slopes: kept.count, informative: groups)
  }

  /// The fixed-effects (group-dummy) logit: the informative groups' rows, one intercept per such
  /// group and the within-group columns that are identified (`fixedEffectsData`), fitted by
  /// `LogisticRegression` (whose separation certificates apply). Group-level columns, and columns
  /// collinear with the group intercepts, are listed as not identified.
  public struct FixedEffectsLogitFit: Sendable {
    /// Slopes first (`slopes` of them), then the group intercepts; the log-likelihood includes
    /// Σ log C(t_j, y_j) over the rows used.
    public let fit: BinaryChoiceFit
    public let slopes: Int
    public let informativeGroups: Int
    public let rows: Int
    public let notIdentified: [String]
  }

  public func fixedEffectsLogit() throws(EstimationError) -> FixedEffectsLogitFit {
    let fe = fixedEffectsData()
    guard !fe.informative.isEmpty else {
      throw .invalidInput("fixed-effects logit: every \(groupingFactor) has all-0 or all-1 outcomes, so no group carries information")
    }
    let fit = try LogisticRegression.fit(design: fe.design, successes: fe.successes, trials: fe.trials, names: fe.names)
    let constant = zip(fe.successes, fe.trials).reduce(0.0) { $0 + lgamma($1.1 + 1) - lgamma($1.0 + 1) - lgamma($1.1 - $1.0 + 1) }
    let withConstant = BinaryChoiceFit(
      names: fit.names, coefficients: fit.coefficients, covariance: fit.covariance,
      logLikelihood: fit.logLikelihood + constant, summary: fit.summary)
    let used = Set(fe.names.prefix(fe.slopes))
    return FixedEffectsLogitFit(
      fit: withConstant, slopes: fe.slopes, informativeGroups: fe.informative.count, rows: fe.design.rows,
      notIdentified: fixedNames.filter { !used.contains($0) })
  }

  /// Within-group separation for any of the random-intercept logits on this design: the group-dummy
  /// logit on the informative groups (those with both outcomes) has no finite maximum — some
  /// combination of the within-group covariates, shifted per group, orders every informative
  /// group's successes above its failures (Albert & Anderson 1984, with a free intercept per group).
  /// Then the slopes of that combination and τ can grow together without bound in the integrated
  /// likelihood too, and quadrature would report an arbitrary large slope as converged. Detected by
  /// `LogisticRegression`'s certificates (complete, quasi-complete) on that logit, O(n (G + k)) per
  /// Newton step for G informative groups and k covariates (zeros of the dummies skipped) plus a
  /// Cholesky of order G + k. Nothing to check without informative
  /// groups or within-group covariates.
  public func checkWithinGroupSeparation(model: String) throws(EstimationError) {
    let fe = fixedEffectsData()
    guard fe.slopes > 0, !fe.informative.isEmpty else { return }
    do {
      _ = try LogisticRegression.fit(design: fe.design, successes: fe.successes, trials: fe.trials, names: fe.names)
    } catch {
      if case .separation(let reason) = error {
        throw .separation(
          "\(model): within-group separation: the \(fe.informative.count) \(groupingFactor) group(s) with both outcomes are "
            + "separated by \(fe.names.prefix(fe.slopes).joined(separator: ", ")) given a free intercept per group (\(reason))")
      }
      // Any other failure of the auxiliary fit (e.g. too few rows for its dummies) says nothing about separation.
    }
  }
}
