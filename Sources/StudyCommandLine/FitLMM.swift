import ArgumentParser
import Estimators
import Foundation
import ReplicateEngine

/// `study fit lmm FILE FORMULA [--ml]`: a linear mixed model in lme4's syntax, summarised as
/// `summary(lmer(…))` prints it.
struct FitLMM: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "lmm",
    abstract: "A linear mixed model from an lme4 formula, e.g. 'y ~ 1 + x + (1 | firm) + (1 | dept)'.",
    discussion: """
      Formula syntax as lme4: fixed terms (text columns and factor(col) are dummy-coded against their \
      first level; a:b and a*b for numeric columns; 0 or -1 removes the intercept), random terms \
      (1 | g), (1 + x | g), (1 + x || g) (uncorrelated), (1 | a:b) and (1 | a/b) (nested). Rows with a \
      missing value in a used column are dropped and counted. Fitted by REML unless --ml.
      """)

  @OptionGroup var input: FitInput

  @Argument(help: "The model, in lme4's formula syntax (quote it).")
  var formula: String

  @Flag(help: "Maximum likelihood instead of REML.")
  var ml = false

  func run() throws {
    try input.run { table in
      let frame = try ModelFrame(ModelFormula(formula), table: table)
      let design = try CrossedDesign(frame: frame)
      let fit = try CrossedLMM(design).fit(reml: !ml)
      return LMMReport(fit: fit, design: design, frame: frame, file: input.file).report
    }
  }
}

/// The summary of a fitted linear mixed model, text and JSON.
struct LMMReport {
  let fit: CrossedLMMFit
  let design: CrossedDesign
  let frame: ModelFrame
  let file: String

  var report: FitReport { FitReport(text: text, json: json) }

  var text: String {
    let groupNames = design.termNames
    var out: [String] = []
    out.append("Linear mixed model fit by \(fit.reml ? "REML" : "maximum likelihood")")
    out.append("Formula: \(frame.formula)")
    out.append(FitText.dataLine(file: file, used: fit.observationCount, dropped: frame.droppedRows))
    out.append("")
    if fit.reml {
      out.append("REML criterion at convergence: \(FitText.number(fit.objective, digits: 8))")
    } else {
      out.append(
        FitText.likelihoodTable(
          logLikelihood: fit.logLikelihood, parameters: fit.parameterCount, observations: fit.observationCount))
    }
    out.append("")
    out.append("Scaled residuals:")
    let sigma = fit.residualVariance.squareRoot()
    let scaled = fit.residuals.map { $0 / sigma }.sorted()
    let q = [0, 0.25, 0.5, 0.75, 1].map { FitText.number(LMMReport.quantile(scaled, $0), digits: 5) }
    out.append(TextTable(header: ["Min", "1Q", "Median", "3Q", "Max"], rows: [q], numeric: Set(0...4)).text)
    out.append("")
    out.append("Random effects:")
    var rows: [[String]] = []
    let maxQ = design.terms.map(\.dimension).max() ?? 1
    for (k, vc) in fit.varianceComponents.enumerated() {
      for (a, name) in vc.effectNames.enumerated() {
        var row = [a == 0 ? groupNames[k] : "", name, FitText.number(vc.variances[a]), FitText.number(vc.standardDeviations[a])]
        if maxQ > 1 {
          row.append((0..<a).map { String(format: "%.3f", vc.correlation(a, $0)) }.joined(separator: " "))
        }
        rows.append(row)
      }
    }
    var residualRow = ["Residual", "", FitText.number(fit.residualVariance), FitText.number(sigma)]
    if maxQ > 1 { residualRow.append("") }
    rows.append(residualRow)
    out.append(
      TextTable(header: ["Groups", "Name", "Variance", "Std.Dev."] + (maxQ > 1 ? ["Corr"] : []), rows: rows, numeric: [2, 3]).text)
    out.append(
      "Number of obs: \(fit.observationCount), groups: "
        + distinctFactors.map { "\($0.factor), \($0.levels.count)" }.joined(separator: "; "))
    out.append("")
    out.append("Fixed effects:")
    out.append(fit.coefficients.isEmpty ? "(none)" : FitText.coefficients(fit.coefficients))
    out.append("")
    out.append("Model: \(modelDescription)")
    for line in groupingStructure { out.append("  " + line) }
    out.append("")
    out.append(convergence)
    return out.joined(separator: "\n")
  }

  /// One term per distinct grouping factor (a factor with several terms, from `||`, once), in order.
  var distinctFactors: [RandomEffectTerm] {
    var out: [RandomEffectTerm] = []
    for t in design.terms where !out.contains(where: { $0.factor == t.factor }) { out.append(t) }
    return out
  }

  /// What was fitted, term by term, in words.
  var modelDescription: String {
    let fixed = "\(design.fixedNames.count) fixed effect\(design.fixedNames.count == 1 ? "" : "s") (\(design.fixedNames.joined(separator: ", ")))"
    let terms = design.terms.map { t -> String in
      let effects = t.effectNames.map { $0 == CrossedDesign.interceptName ? "intercept" : "slope on \($0)" }
      let kind = t.dimension > 1 ? "correlated " : ""
      return "\(kind)random \(effects.joined(separator: " and ")) by \(t.factor) (\(t.levels.count) levels)"
    }
    return "response \(design.responseName); " + fixed + "; " + terms.joined(separator: "; ")
  }

  /// For each pair of distinct grouping factors, whether one is nested in the other or they are
  /// crossed, with the hint for the usual mistake (crossed labels that only make sense within a group).
  var groupingStructure: [String] {
    let terms = distinctFactors
    let factors = terms.map(\.factor)
    let codes = terms.map(\.codes)
    let counts = terms.map(\.levels.count)
    var lines: [String] = []
    for a in factors.indices {
      for b in factors.indices where b > a {
        let inA = LMMReport.isNested(codes[b], within: codes[a], levels: counts[b])
        let inB = LMMReport.isNested(codes[a], within: codes[b], levels: counts[a])
        if inA {
          lines.append("\(factors[b]) is nested in \(factors[a]): each \(factors[b]) level occurs within one \(factors[a]) level.")
        } else if inB {
          lines.append("\(factors[a]) is nested in \(factors[b]): each \(factors[a]) level occurs within one \(factors[b]) level.")
        } else {
          let (small, large) = counts[a] <= counts[b] ? (a, b) : (b, a)
          lines.append(
            "\(factors[a]) and \(factors[b]) are crossed: a \(factors[small]) label recurs across \(factors[large]) levels and is "
              + "treated as the same \(factors[small]) there. If \(factors[small]) labels are only unique within a \(factors[large]), "
              + "the design is nested: write (1 | \(factors[large])/\(factors[small])).")
        }
      }
    }
    return lines
  }

  static func isNested(_ inner: [Int], within outer: [Int], levels: Int) -> Bool {
    var parent = [Int](repeating: -1, count: levels)
    for (i, c) in inner.enumerated() {
      if parent[c] == -1 { parent[c] = outer[i] } else if parent[c] != outer[i] { return false }
    }
    return true
  }

  var convergence: String {
    var s =
      fit.converged
      ? "Converged: \(fit.summary.message ?? "")."
      : "NOT CONVERGED: \(fit.summary.message ?? ""); do not use these estimates."
    if fit.isSingular {
      s += "\nSingular fit: a variance component (or a correlation's direction) is estimated at 0, on the boundary of the parameter space."
    }
    return s
  }

  /// R's default (type 7) quantile of sorted values.
  static func quantile(_ sorted: [Double], _ p: Double) -> Double {
    let h = Double(sorted.count - 1) * p
    let lo = Int(h.rounded(.down))
    let hi = min(lo + 1, sorted.count - 1)
    return sorted[lo] + (h - Double(lo)) * (sorted[hi] - sorted[lo])
  }

  var json: JSONValue {
    let groupNames = design.termNames
    let components: [JSONValue] = fit.varianceComponents.enumerated().map { k, vc in
      var fields: [(String, JSONValue)] = [
        ("group", .string(groupNames[k])), ("factor", .string(vc.factor)),
        ("effects", .array(vc.effectNames.map(JSONValue.string))),
        ("variances", .array(vc.variances.map(JSONValue.number))),
        ("std_devs", .array(vc.standardDeviations.map(JSONValue.number))),
      ]
      let q = vc.effectNames.count
      if q > 1 {
        fields.append(("correlation", .array((0..<q).map { a in .array((0..<q).map { b in .number(a == b ? 1 : vc.correlation(a, b)) }) })))
      }
      return .object(fields)
    }
    let blups: [JSONValue] = fit.randomEffects.enumerated().map { k, re in
      .object([
        ("group", .string(groupNames[k])), ("effects", .array(re.effectNames.map(JSONValue.string))),
        ("levels", .object(re.levels.enumerated().map { r, label in (label, .array(re.values.row(r).map(JSONValue.number))) })),
      ])
    }
    return .object([
      ("model", .string("lmm")), ("formula", .string(frame.formula.text)), ("method", .string(fit.reml ? "REML" : "ML")),
      ("observations", .integer(fit.observationCount)), ("dropped_rows", .integer(frame.droppedRows)),
      ("objective", .number(fit.objective)), ("log_likelihood", .number(fit.logLikelihood)), ("aic", .number(fit.aic)),
      ("bic", .number(fit.bic)), ("fixed_effects", FitText.coefficientsJSON(fit.coefficients)),
      ("variance_components", .array(components)),
      ("residual", .object([("variance", .number(fit.residualVariance)), ("std_dev", .number(fit.residualVariance.squareRoot()))])),
      ("groups", .object(distinctFactors.map { ($0.factor, .integer($0.levels.count)) })),
      ("random_effects", .array(blups)),
      ("converged", .bool(fit.converged)), ("singular", .bool(fit.isSingular)), ("evaluations", .integer(fit.evaluations)),
      ("model_description", .string(modelDescription)), ("grouping_structure", .array(groupingStructure.map(JSONValue.string))),
    ])
  }
}
