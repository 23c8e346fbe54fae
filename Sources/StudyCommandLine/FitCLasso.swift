import ArgumentParser
import Estimators
import Foundation
import ReplicateEngine

extension CLasso.Preset: ExpressibleByArgument {}

/// The post-Lasso covariance as a command-line word.
enum CLassoStandardErrors: String, ExpressibleByArgument, CaseIterable {
  case hac, conventional, robust, cluster, none

  func covariance(classifylassoKernel: Bool) -> PostLassoCovariance {
    switch self {
    case .hac: .hac(classifylassoKernel ? .fourthRootMinusOne : .fourthRoot)
    case .conventional: .conventional
    case .robust: .robust
    case .cluster: .clusterByUnit
    case .none: .none
    }
  }
}

/// `study fit classo FILE --unit … --time … --y … --x … [--x …]`: classifier-Lasso on a long
/// balanced panel, summarised as classifylasso prints it.
struct FitCLasso: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "classo",
    abstract: "Classifier-Lasso (Su, Shi & Phillips 2016): latent groups of slopes in a long balanced panel.",
    discussion: """
      The file has one row per unit and period. Slopes are estimated on data demeaned within unit \
      (unit fixed effects). With --max-groups (default 5) the number of groups is chosen by the \
      information criterion; --groups fixes it. --preset sets the conventions of the Stata package \
      classifylasso or the R package classo (penalty constant, information criterion, stopping rule, \
      classification rule, standard errors); --jackknife adds the half-panel jackknife bias \
      correction for dynamic panels (classifylasso's 'dynamic', classo's 'bias_corr'). See \
      Docs/GroupedSlopes.md.
      """)

  @OptionGroup var input: FitInput

  @Option(help: "The column naming the units (cross-sectional identifier).")
  var unit: String

  @Option(help: "The column naming the periods (sorted numerically when numeric).")
  var time: String

  @Option(help: "The outcome column.")
  var y: String

  @Option(help: "A regressor column; repeat for several (the unit fixed effects are always removed).")
  var x: [String] = []

  @Option(help: "Fit exactly this many groups.")
  var groups: Int?

  @Option(name: .customLong("max-groups"), help: "Choose the number of groups from 1 to this by the information criterion (default 5).")
  var maxGroups: Int?

  @Option(help: "Whose conventions to use: simstudy (this package's), classifylasso (Stata) or classo (R).")
  var preset: CLasso.Preset = .simstudy

  @Flag(help: "Correct the post-Lasso slopes by the half-panel jackknife (dynamic panels, e.g. a lagged outcome as regressor).")
  var jackknife = false

  @Option(name: .customLong("lambda-constant"), help: "The penalty constant c_λ in λ = c_λ·T^(-1/3) (times the variance of y under the classo preset).")
  var lambdaConstant: Double?

  @Option(help: "The tolerance of the outer iteration's stopping rule.")
  var tolerance: Double?

  @Option(help: "The post-Lasso standard errors: hac, conventional, robust, cluster (by unit) or none.")
  var se: CLassoStandardErrors?

  func validate() throws {
    guard !x.isEmpty else { throw ValidationError("Give at least one regressor with --x.") }
    if groups != nil, maxGroups != nil { throw ValidationError("Give either --groups or --max-groups, not both.") }
    if let groups, groups < 1 { throw ValidationError("--groups must be at least 1.") }
    if let maxGroups, maxGroups < 1 { throw ValidationError("--max-groups must be at least 1.") }
    if let c = lambdaConstant, !(c > 0 && c.isFinite) { throw ValidationError("--lambda-constant must be a positive number.") }
    if let t = tolerance, !(t > 0 && t.isFinite) { throw ValidationError("--tolerance must be a positive number.") }
  }

  var settings: CLasso {
    var s = CLasso.preset(preset, dynamic: jackknife)
    if let lambdaConstant { s.cLambda = lambdaConstant }
    if let tolerance { s.tolerance = tolerance }
    if let se { s.standardErrors = se.covariance(classifylassoKernel: preset == .classifylasso) }
    return s
  }

  func run() throws {
    try input.run { table in
      let long = try LongPanel(table: table, unit: unit, time: time, outcome: y, covariates: x)
      let panel = try SlopePanel(long)
      let kMax = groups ?? maxGroups ?? 5
      guard kMax <= panel.units else {
        throw FitFailure("\(groups == nil ? "--max-groups" : "--groups") = \(kMax) exceeds the \(panel.units) units")
      }
      let settings = self.settings
      let selection: CLassoSelection
      if let groups {
        let fit = try settings.fit(panel, groups: groups)
        selection = CLassoSelection(criteria: [fit.informationCriterion], selected: 1, fits: [fit], failures: [])
      } else {
        selection = try settings.selectGroups(panel, maxGroups: kMax)
      }
      return CLassoReport(
        selection: selection, fixedK: groups, panel: long, settings: settings, preset: preset, file: input.file
      ).report
    }
  }
}

/// The summary of a C-Lasso fit, text (in classifylasso's layout) and JSON.
struct CLassoReport {
  let selection: CLassoSelection
  /// K when it was given (then `selection` holds that one fit).
  let fixedK: Int?
  let panel: LongPanel
  let settings: CLasso
  let preset: CLasso.Preset
  let file: String

  var fit: CLassoFit { fixedK == nil ? selection.fit : selection.fits[0]! }
  var n: Int { panel.units.count }
  var t: Int { panel.periods.count }
  var p: Int { panel.covariateNames.count }
  var rho: Double { settings.icConstant / Double(n * t).squareRoot() }
  /// The K of each row of the selection table.
  var ks: [Int] { fixedK.map { [$0] } ?? Array(1...selection.criteria.count) }

  var report: FitReport { FitReport(text: text, json: json) }

  func members(_ k: Int) -> [String] { fit.classification.indices.filter { fit.classification[$0] == k }.map { panel.units[$0] } }

  var lambdaRule: String {
    settings.penaltyScale == .plain
      ? "λ = c·T^(-1/3), c = \(FitText.number(settings.cLambda))"
      : "λ = c·var(y)·T^(-1/3), c = \(FitText.number(settings.cLambda))"
  }

  var icRule: String {
    let variance = settings.icVariance == .meanSquare ? "SSR/(NT)" : "SSR/(NT − N − pK)"
    return "IC = ln σ̂² + ρ·p·K, σ̂² = \(variance), ρ = \(FitText.number(settings.icConstant, digits: 4))·(NT)^(-1/2)"
  }

  var options: [(String, String)] {
    [
      ("preset", preset.rawValue), ("penalty", lambdaRule + " → λ = " + FitText.number(fit.lambda)),
      ("information criterion", icRule),
      ("stopping rule", "\(settings.convergence.rawValue), tolerance \(FitText.number(settings.tolerance)), at most \(settings.maxIterations) iterations"),
      ("classification", settings.classification == .nearest ? "nearest centre ‖β_i − α_k‖" : "relative distance ‖β_i − α_k‖/‖α_k‖"),
      ("standard errors", settings.standardErrors.description),
      ("bias correction", fit.jackknife.map { "half-panel jackknife (periods 1–\($0.split) and \($0.split + 1)–\(t))" } ?? "none"),
    ]
  }

  var text: String {
    var out: [String] = []
    func header(_ left: String, _ right: String) -> String {
      left + String(repeating: " ", count: max(1, 50 - left.count)) + right
    }
    out.append(header("Classifier-Lasso linear model", "Number of obs   = \(n * t)"))
    out.append(header("Post-Lasso estimation with \(fit.groups) group\(fit.groups == 1 ? "" : "s")", "Number of units = \(n)"))
    out.append("Data: \(file); \(panel.outcomeName) on \(panel.covariateNames.joined(separator: ", ")); unit \(panel.unitName) (\(n)), time \(panel.timeName) (\(t)); unit fixed effects absorbed")
    out.append("")
    out.append(fixedK == nil ? "Group selection (\(icRule)):" : "Fixed number of groups (\(icRule)):")
    let rows = ks.enumerated().map { idx, k -> [String] in
      guard let f = selection.fits[idx] else { return [String(k), "", "failed", "", ""] }
      return [
        (k == fit.groups ? "* " : "  ") + String(k), FitText.number(log(f.icVariance)), FitText.number(f.informationCriterion),
        String(f.summary.iterations), f.summary.converged ? "yes" : "no",
      ]
    }
    out.append(TextTable(header: ["K", "ln σ̂²", "IC", "iterations", "converged"], rows: rows, numeric: [0, 1, 2, 3]).text)
    if fixedK == nil { out.append("* Selected number of groups: \(fit.groups)") }
    for f in selection.failures { out.append("  " + f) }
    out.append("")
    for k in 0..<fit.groups {
      let m = members(k)
      out.append("Group \(k + 1) (\(m.count) unit\(m.count == 1 ? "" : "s"), \(m.count * t) obs)")
      out.append("  \(panel.unitName): " + (m.isEmpty ? "(empty)" : m.joined(separator: " ")))
      out.append(m.isEmpty ? "  not identified (no units)" : FitText.coefficients(fit.estimates(group: k)))
      out.append("")
    }
    out.append("Options:")
    for (name, value) in options { out.append("  \(name): \(value)") }
    out.append("")
    let s = fit.summary
    out.append(
      s.converged
        ? "Converged after \(s.iterations) iterations (largest duality gap of the last sweep \(FitText.number(fit.largestDualityGap, digits: 3)))."
        : "NOT CONVERGED after \(s.iterations) iterations: \(s.message ?? ""); the groups may not be a minimum of the objective.")
    return out.joined(separator: "\n")
  }

  var json: JSONValue {
    let table: [JSONValue] = ks.enumerated().map { idx, k in
      guard let f = selection.fits[idx] else { return .object([("K", .integer(k)), ("failed", .bool(true))]) }
      return .object([
        ("K", .integer(k)), ("log_sigma2", .number(log(f.icVariance))), ("ic", .number(f.informationCriterion)),
        ("iterations", .integer(f.summary.iterations)), ("converged", .bool(f.summary.converged)),
      ])
    }
    let groups: [JSONValue] = (0..<fit.groups).map { k in
      var fields: [(String, JSONValue)] = [
        ("group", .integer(k + 1)), ("size", .integer(fit.postLasso.sizes[k])),
        ("units", .array(members(k).map(JSONValue.string))),
        ("coefficients", FitText.coefficientsJSON(fit.estimates(group: k))),
        ("penalized", .array(fit.penalizedSlopes[k].map(JSONValue.number))),
      ]
      if let jk = fit.jackknife {
        fields.append(("uncorrected", .array(fit.postLasso.slopes[k].map(JSONValue.number))))
        fields.append(("first_half", .array(jk.firstHalf[k].map(JSONValue.number))))
        fields.append(("second_half", .array(jk.secondHalf[k].map(JSONValue.number))))
      }
      return .object(fields)
    }
    return .object([
      ("model", .string("classo")), ("preset", .string(preset.rawValue)), ("outcome", .string(panel.outcomeName)),
      ("regressors", .array(panel.covariateNames.map(JSONValue.string))), ("units", .integer(n)), ("periods", .integer(t)),
      ("selection", .array(table)), ("selected", .integer(fit.groups)), ("groups", .array(groups)),
      ("lambda", .number(fit.lambda)), ("rho", .number(rho)),
      ("options", .object(options.map { ($0.0, .string($0.1)) })),
      ("converged", .bool(fit.summary.converged)), ("iterations", .integer(fit.summary.iterations)),
      ("message", fit.summary.message.map(JSONValue.string) ?? .null),
    ])
  }
}
