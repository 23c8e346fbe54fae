import ArgumentParser
import Estimators
import Foundation
import ReplicateEngine

/// `study fit logit FILE FORMULA [--model …] [--nagq K]`: a binomial logit with a random intercept
/// (or its Mundlak, naive or fixed-effects variant) in lme4's syntax, summarised as
/// `summary(glmer(…, family = binomial))` prints it.
struct FitLogit: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "logit",
    abstract: "A random-intercept logit from an lme4 formula, e.g. 'cbind(incidence, size - incidence) ~ factor(period) + (1 | herd)'.",
    discussion: """
      The response is a 0/1 column, or cbind(successes, failures) / cbind(successes, trials - successes) \
      for binomial rows. Fixed terms as in lme4 (text columns and factor(col) are dummy-coded); exactly \
      one random term, (1 | group). Models: random-intercept (default; glmer), mundlak (adds the group \
      mean of every covariate that varies within groups, or of those named by --means), naive (the \
      ordinary logit, ignoring the groups) and fixed-effects (a dummy per group with both outcomes; \
      group-level covariates are not identified). The random-intercept models integrate the intercept \
      out by the Laplace approximation (--nagq 1, lme4's default) or adaptive Gauss-Hermite quadrature \
      with K nodes. Separation is refused with the reason; a random-intercept SD estimated at 0 is \
      flagged as on the boundary and given a profile-likelihood interval.
      """)

  enum Model: String, ExpressibleByArgument, CaseIterable {
    case randomIntercept = "random-intercept"
    case mundlak
    case naive
    case fixedEffects = "fixed-effects"
  }

  @OptionGroup var input: FitInput

  @Argument(help: "The model, in lme4's formula syntax (quote it).")
  var formula: String

  @Option(help: "Which logit to fit.")
  var model: Model = .randomIntercept

  @Option(help: "Quadrature nodes per group: 1 is the Laplace approximation (lme4's nAGQ).")
  var nagq: Int = 1

  @Option(help: "For --model mundlak: comma-separated fixed-effects columns whose group means are added (default: every column that varies within groups).")
  var means: String?

  func validate() throws {
    guard (1...100).contains(nagq) else { throw ValidationError("--nagq must be between 1 and 100 (got \(nagq)).") }
    if means != nil, model != .mundlak { throw ValidationError("--means applies only to --model mundlak.") }
  }

  func run() throws {
    try input.run { table in
      let frame = try ModelFrame(try ModelFormula(formula), table: table)
      let design = try GroupedLogitDesign(frame: frame)
      let integration: RandomEffectIntegration = nagq == 1 ? .laplace : .adaptiveGaussHermite(nodes: nagq)
      let report = LogitReport(frame: frame, design: design, file: input.file, model: model)
      switch model {
      case .randomIntercept, .mundlak:
        var fitted = design
        if model == .mundlak {
          let names = means.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
          fitted = try design.addingGroupMeans(of: names)
        }
        let fit = try RandomInterceptLogit(integration: integration).fit(fitted)
        return LogitReport(frame: frame, design: fitted, file: input.file, model: model).mixed(fit)
      case .naive:
        let fit = try LogisticRegression.fit(
          design: design.fixed, successes: design.successes,
          trials: design.trials ?? [Double](repeating: 1, count: design.count), names: design.fixedNames)
        return report.pooled(fit)
      case .fixedEffects:
        return report.fixedEffects(try design.fixedEffectsLogit())
      }
    }
  }
}

/// The summaries of the logits, text and JSON.
struct LogitReport {
  let frame: ModelFrame
  let design: GroupedLogitDesign
  let file: String
  let model: FitLogit.Model

  private var header: [String] {
    [
      FitText.dataLine(file: file, used: design.count, dropped: frame.droppedRows),
      " Family: binomial  ( logit )",
      "Formula: \(frame.formula)",
    ]
  }

  private func statistics(logLik: Double, parameters: Int) -> String {
    FitText.likelihoodTable(logLikelihood: logLik, parameters: parameters, observations: design.count)
  }

  private func convergence(_ summary: FitSummary) -> String {
    summary.converged
      ? "Converged (\(summary.iterations) iterations)."
      : "NOT CONVERGED: \(summary.message ?? "iteration stopped early"); do not use these estimates."
  }

  func mixed(_ fit: RandomInterceptLogitFit) -> FitReport {
    let method =
      fit.integration == .laplace
      ? "Laplace Approximation"
      : "Adaptive Gauss-Hermite Quadrature, nAGQ = \(nodes(fit.integration))"
    var out = ["Generalized linear mixed model fit by maximum likelihood (\(method))"]
    if model == .mundlak { out.append("  Mundlak model: group means added (\(design.fixedNames.filter { $0.hasPrefix("mean ") }.joined(separator: ", ")))") }
    out += header
    out.append("")
    out.append(statistics(logLik: fit.logLikelihood, parameters: fit.parameterCount))
    out.append("")
    out.append("Random effects:")
    let interval = "[\(FitText.number(fit.tauInterval.lower, digits: 4)), \(FitText.number(fit.tauInterval.upper, digits: 4))]"
    out.append(
      TextTable(
        header: ["Groups", "Name", "Variance", "Std.Dev.", "95 % profile CI (Std.Dev.)"],
        rows: [[design.groupingFactor, "(Intercept)", FitText.number(fit.tau * fit.tau, digits: 4), FitText.number(fit.tau, digits: 4), interval]],
        numeric: [2, 3]
      ).text)
    out.append("Number of obs: \(fit.observations), groups:  \(design.groupingFactor), \(fit.groups)")
    if fit.onBoundary {
      out.append(
        "Boundary (singular) fit: the \(design.groupingFactor) standard deviation is estimated at 0; no Wald SE, "
          + "the interval is the profile likelihood's (one-sided).")
    }
    out.append(
      "LRT of Std.Dev. = 0: chi2 = \(FitText.number(fit.tauZeroStatistic, digits: 5)), p = \(FitText.pValue(fit.tauZeroPValue)) (1/2 chi2(0) + 1/2 chi2(1))")
    out.append("")
    out.append("Fixed effects:")
    out.append(FitText.coefficients(fit.estimates))
    out.append("")
    out.append(convergence(fit.fixedEffects.summary))
    let json: JSONValue = .object([
      ("model", .string(model.rawValue)), ("formula", .string(frame.formula.text)), ("family", .string("binomial")),
      ("link", .string("logit")), ("integration", .string(fit.integration == .laplace ? "Laplace" : "AGQ")),
      ("nodes", .integer(nodes(fit.integration))), ("observations", .integer(fit.observations)),
      ("dropped_rows", .integer(frame.droppedRows)), ("groups", .object([(design.groupingFactor, .integer(fit.groups))])),
      ("log_likelihood", .number(fit.logLikelihood)), ("deviance", .number(fit.deviance)), ("aic", .number(fit.aic)),
      ("bic", .number(fit.bic)), ("df_resid", .integer(fit.residualDegreesOfFreedom)),
      ("fixed_effects", FitText.coefficientsJSON(fit.estimates)),
      (
        "random_intercept",
        .object([
          ("group", .string(design.groupingFactor)), ("variance", .number(fit.tau * fit.tau)), ("std_dev", .number(fit.tau)),
          ("std_dev_se", .optional(fit.tauStandardError)), ("profile_lower", .number(fit.tauInterval.lower)),
          ("profile_upper", .optional(fit.tauInterval.upper.isFinite ? fit.tauInterval.upper : nil)),
          ("on_boundary", .bool(fit.onBoundary)), ("lrt_zero", .number(fit.tauZeroStatistic)),
          ("lrt_zero_p", .number(fit.tauZeroPValue)),
        ])
      ),
      ("converged", .bool(fit.fixedEffects.summary.converged)), ("message", fit.fixedEffects.summary.message.map(JSONValue.string) ?? .null),
    ])
    return FitReport(text: out.joined(separator: "\n"), json: json)
  }

  private func nodes(_ integration: RandomEffectIntegration) -> Int {
    if case .adaptiveGaussHermite(let k) = integration { return k }
    return 1
  }

  /// Wald estimates of the first `count` coefficients (all by default), by name.
  private func estimates(_ fit: BinaryChoiceFit, count: Int? = nil) -> [Estimate] {
    fit.output(fit.names.prefix(count ?? fit.names.count).map { ($0, $0) }).estimates
  }

  func pooled(_ fit: BinaryChoiceFit) -> FitReport {
    let logLik = fit.logLikelihood + design.logBinomialCoefficients
    var out = ["Generalized linear model fit by maximum likelihood (ordinary logit, groups ignored)"] + header
    out.append("")
    out.append(statistics(logLik: logLik, parameters: fit.names.count))
    out.append("Number of obs: \(design.count); the \(design.groupCount) \(design.groupingFactor) groups are ignored")
    out.append("")
    out.append("Coefficients:")
    out.append(FitText.coefficients(estimates(fit)))
    out.append("")
    out.append(convergence(fit.summary))
    let json: JSONValue = .object([
      ("model", .string("naive")), ("formula", .string(frame.formula.text)), ("family", .string("binomial")),
      ("link", .string("logit")), ("observations", .integer(design.count)), ("log_likelihood", .number(logLik)),
      ("deviance", .number(-2 * logLik)), ("fixed_effects", FitText.coefficientsJSON(estimates(fit))),
      ("converged", .bool(fit.summary.converged)),
    ])
    return FitReport(text: out.joined(separator: "\n"), json: json)
  }

  func fixedEffects(_ fit: GroupedLogitDesign.FixedEffectsLogitFit) -> FitReport {
    let slopes = estimates(fit.fit, count: fit.slopes)
    var out = ["Fixed-effects (group-dummy) logit by maximum likelihood"] + header
    out.append("")
    out.append(
      "Groups: \(fit.informativeGroups) of \(design.groupCount) \(design.groupingFactor) groups have both outcomes and are used "
        + "(\(design.groupCount - fit.informativeGroups) all-0 or all-1 groups dropped, \(fit.rows) rows used); one intercept per group.")
    if !fit.notIdentified.isEmpty {
      out.append("Not identified (constant within groups or collinear with the group intercepts): \(fit.notIdentified.joined(separator: ", ")).")
    }
    out.append("")
    out.append("Coefficients:")
    out.append(slopes.isEmpty ? "(none)" : FitText.coefficients(slopes))
    out.append("")
    out.append(convergence(fit.fit.summary))
    let json: JSONValue = .object([
      ("model", .string("fixed-effects")), ("formula", .string(frame.formula.text)), ("family", .string("binomial")),
      ("link", .string("logit")), ("groups_used", .integer(fit.informativeGroups)), ("rows_used", .integer(fit.rows)),
      ("log_likelihood", .number(fit.fit.logLikelihood)), ("fixed_effects", FitText.coefficientsJSON(slopes)),
      ("not_identified", .array(fit.notIdentified.map(JSONValue.string))), ("converged", .bool(fit.fit.summary.converged)),
    ])
    return FitReport(text: out.joined(separator: "\n"), json: json)
  }
}
