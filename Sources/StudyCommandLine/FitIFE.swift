import ArgumentParser
import Estimators
import Foundation
import ReplicateEngine

/// `study fit ife FILE --unit U --time T --y Y [--x X …] --rank R [--force …] [--intercept …]`: the
/// interactive-fixed-effects model (Bai 2009) on a long balanced panel, summarised the way regife and
/// fixest print their fits.
struct FitIFE: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ife",
    abstract: "Interactive fixed effects (Bai 2009): y on x with r unobserved factors, on a long balanced panel.",
    discussion: """
      The file has one row per unit and period. The model is y_it = [μ | α_i | ξ_t | α_i + ξ_t] + x_it'β + \
      λ_i'F_t + ε_it with --force choosing the additive effects. With --force none, --intercept says what μ \
      is: 'free' estimates it jointly with β and the factors (InteractiveFixedEffectModels.jl's and Stata's \
      regife), 'fect' fixes it at the grand mean and fits the factors to the centred panel (fect's \
      interFE), 'none' leaves it out (regife with 0 +). With unit or period effects the three are the same \
      model. Standard errors are Bai's (2009) homoskedastic ones.
      """)

  /// The additive effects, spelled as fect spells `force`.
  enum Force: String, ExpressibleByArgument, CaseIterable {
    case none, unit, time
    case twoWay = "two-way"
    var effects: AdditiveEffects {
      switch self {
      case .none: .none
      case .unit: .unit
      case .time: .time
      case .twoWay: .twoWay
      }
    }
  }

  /// The intercept convention with --force none.
  enum Intercept: String, ExpressibleByArgument, CaseIterable {
    case free, fect, none
    var convention: InterceptConvention {
      switch self {
      case .free: .free
      case .fect: .grandMean
      case .none: .omitted
      }
    }
  }

  @OptionGroup var input: FitInput

  @Option(help: "The column naming the units (states, firms, …).")
  var unit: String

  @Option(help: "The column naming the periods; sorted numerically when it is numeric.")
  var time: String

  @Option(name: .customLong("y"), help: "The outcome column.")
  var outcome: String

  @Option(name: .customLong("x"), help: "A covariate column; repeat --x for several (none: a pure factor model).")
  var covariates: [String] = []

  @Option(help: "The number of factors r (0 is the additive model alone).")
  var rank: Int

  @Option(help: "The additive effects: none, unit, time or two-way (fect's default).")
  var force: Force = .twoWay

  @Option(
    help: "With --force none, the intercept: free (estimated jointly, as regife), fect (the grand mean, as fect's interFE) or none.")
  var intercept: Intercept = .free

  func validate() throws {
    guard rank >= 0 else { throw ValidationError("--rank must be 0 or more (got \(rank)).") }
  }

  func run() throws {
    try input.run { table in
      let panel = try LongPanel(table: table, unit: unit, time: time, outcome: outcome, covariates: covariates)
      let model = InteractiveFixedEffects(rank: rank, force: force.effects, intercept: intercept.convention)
      let fit = try model.fit(panel.outcome, covariates: panel.covariates, names: panel.covariateNames)
      return IFEReport(fit: fit, panel: panel, file: input.file, force: force, intercept: intercept).report
    }
  }
}

/// The summary of an interactive-fixed-effects fit, text and JSON.
struct IFEReport {
  let fit: IFEFit
  let panel: LongPanel
  let file: String
  let force: FitIFE.Force
  let intercept: FitIFE.Intercept

  var report: FitReport { FitReport(text: text, json: json) }

  /// The model in the Julia package's formula syntax, so the call it matches is plain.
  var formula: String {
    let rhs = panel.covariateNames + ["ife(\(panel.unitName), \(panel.timeName), \(fit.rank))"]
    let fe: [String] =
      switch fit.force {
      case .none: []
      case .unit: ["fe(\(panel.unitName))"]
      case .time: ["fe(\(panel.timeName))"]
      case .twoWay: ["fe(\(panel.unitName))", "fe(\(panel.timeName))"]
      }
    let zero = fit.force == .none && fit.intercept == .omitted ? ["0"] : []
    return "\(panel.outcomeName) ~ " + (zero + rhs + fe).joined(separator: " + ")
  }

  /// The call of other software that fits the same model.
  var equivalents: String {
    let unit = panel.unitName
    let time = panel.timeName
    let x = panel.covariateNames.isEmpty ? "NULL" : "c(" + panel.covariateNames.map { "\"\($0)\"" }.joined(separator: ", ") + ")"
    let fect =
      "fect interFE(data = df, Y = \"\(panel.outcomeName)\", X = \(x), index = c(\"\(unit)\", \"\(time)\"), "
      + "r = \(fit.rank), force = \"\(force.rawValue)\")"
    let julia = "InteractiveFixedEffectModels.jl regife(df, @formula(\(formula)))"
    switch (fit.force, fit.intercept) {
    case (.none, .grandMean): return fect
    case (.none, _): return julia
    default: return julia + "; " + fect
    }
  }

  var text: String {
    var out: [String] = []
    out.append("Interactive fixed effects (Bai 2009), fitted by alternating least squares")
    out.append("Formula: \(formula)")
    out.append(
      "   Data: \(file): N = \(panel.units.count) units (\(panel.unitName)) × T = \(panel.periods.count) periods "
        + "(\(panel.timeName)), \(panel.units.count * panel.periods.count) observations, balanced")
    out.append("  Model: \(fit.model)")
    out.append("   Same: \(equivalents)")
    out.append("")
    out.append("Coefficients (Bai 2009 homoskedastic standard errors, normal intervals):")
    out.append(fit.estimates.isEmpty ? "(none)" : FitText.coefficients(fit.estimates))
    for d in fit.droppedCovariates { out.append("Note: \(d.reason).") }
    out.append("")
    let row = [
      String(fit.rank), FitText.number(fit.ssr, digits: 8), FitText.number(fit.sigma2), String(fit.parameterCount),
      FitText.number(fit.ic), FitText.number(fit.pc),
    ]
    out.append(TextTable(header: ["Factors", "SSR", "σ²", "np", "IC", "PC"], rows: [row], numeric: Set(0...5)).text)
    if fit.force == .none && fit.intercept != .free { out.append("μ = \(FitText.number(fit.mu))") }
    if fit.rank > 0 {
      out.append("VNT (top eigenvalues of EE'/(NT), E the panel net of the additive part and x'β): " + fit.vnt.map { FitText.number($0) }.joined(separator: ", "))
    }
    out.append("")
    out.append(convergence)
    return out.joined(separator: "\n")
  }

  var convergence: String {
    let s = fit.summary
    if fit.covariance == nil && s.iterations == 0 {
      let panel = fit.force == .none && fit.intercept == .omitted ? "raw" : "demeaned"
      return "Exact: principal components of the \(panel) panel, no iteration" + (s.message.map { " (\($0))" } ?? "") + "."
    }
    return s.converged
      ? "Converged in \(s.iterations) iterations (\(s.message ?? ""))."
      : "NOT CONVERGED after \(s.iterations) iterations (\(s.message ?? "")); do not use these estimates."
  }

  var json: JSONValue {
    .object([
      ("model", .string("ife")), ("formula", .string(formula)), ("model_description", .string(fit.model)),
      ("force", .string(force.rawValue)),
      ("intercept", .string(fit.force == .none ? intercept.rawValue : "in the additive effects")),
      ("units", .integer(panel.units.count)), ("periods", .integer(panel.periods.count)),
      ("observations", .integer(panel.units.count * panel.periods.count)), ("rank", .integer(fit.rank)),
      ("coefficients", FitText.coefficientsJSON(fit.estimates)),
      ("dropped", .array(fit.droppedCovariates.map { .string($0.reason) })),
      ("mu", .number(fit.mu)), ("ssr", .number(fit.ssr)), ("sigma2", .number(fit.sigma2)),
      ("parameters", .integer(fit.parameterCount)), ("ic", .number(fit.ic)), ("pc", .number(fit.pc)),
      ("vnt", .array(fit.vnt.map(JSONValue.number))),
      ("converged", .bool(fit.summary.converged)), ("iterations", .integer(fit.summary.iterations)),
      ("message", fit.summary.message.map { .string($0) } ?? .null),
    ])
  }
}
