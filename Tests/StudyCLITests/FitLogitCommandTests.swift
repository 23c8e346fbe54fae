import Foundation
import Testing
import TestSupport

/// `study fit logit` end to end: the built binary on lme4's cbpp (Tests/Fixtures/cbpp.csv), its JSON,
/// and bad input (one sentence, non-zero exit, no crash).
@Suite struct FitLogitCommandTests {
  func study(_ args: [String]) throws -> ProcessOutcome { try runBuilt(args) }

  let cbpp = packageRoot.appendingPathComponent("Tests/Fixtures/cbpp.csv").path
  let formula = "cbind(incidence, size - incidence) ~ factor(period) + (1 | herd)"

  /// The Laplace summary carries lme4's printed figures (lme4 docs/reference/glmer.html: AIC 194.0531,
  /// logLik −92.0266, herd sd 0.6421 — ours 0.6423, within lme4's own 6e-4 test tolerance).
  @Test func cbppSummaryReadsLikeGlmer() throws {
    let r = try study(["fit", "logit", cbpp, formula])
    #expect(r.status == 0, "\(r.stderr)")
    for piece in [
      "Laplace Approximation", "Family: binomial  ( logit )", "194.05", "-92.026", "herd", "0.642",
      "Number of obs: 56, groups:  herd, 15", "factor(period)2", "-0.99233", "Converged",
    ] {
      #expect(r.stdout.contains(piece), "missing \(piece)")
    }
    let agq = try study(["fit", "logit", cbpp, formula, "--nagq", "25", "--json"])
    #expect(agq.status == 0)
    let json = try JSONSerialization.jsonObject(with: Data(agq.stdout.utf8)) as! [String: Any]
    #expect(json["integration"] as? String == "AGQ" && json["nodes"] as? Int == 25)
    let fixed = json["fixed_effects"] as! [[String: Any]]
    // lme4 tests/glmer-1.R:82-89 (nAGQ = 25), tolerance 5e-4.
    #expect(abs((fixed[0]["estimate"] as! Double) - -1.39922533406847) <= 5e-4 * 1.4)
    let re = json["random_intercept"] as! [String: Any]
    #expect(re["on_boundary"] as? Bool == false && (re["profile_lower"] as! Double) > 0)
  }

  @Test func otherModelsRun() throws {
    for model in ["mundlak", "naive", "fixed-effects"] {
      let r = try study(["fit", "logit", cbpp, formula, "--model", model])
      #expect(r.status == 0, "\(model): \(r.stderr)")
    }
  }

  @Test(arguments: [
    (["fit", "logit", "/nonexistent.csv", "y ~ x + (1 | g)"], "there is no file"),
    (["fit", "logit", "CBPP", "cbind(incidence, size - incidence) ~ factor(period) + (1 + period | herd)"], "exactly one random term"),
    (["fit", "logit", "CBPP", "incidence ~ factor(period) + (1 | herd)"], "must be 0 or 1"),
    (["fit", "logit", "CBPP", "cbind(incidence, size - incidence) ~ nosuch + (1 | herd)"], "does not have"),
    (["fit", "logit", "CBPP", "cbind(incidence, size - incidence) ~ factor(period) + (1 | herd)", "--nagq", "0"], "--nagq"),
  ])
  func badInputIsOneSentence(_ args: [String], _ phrase: String) throws {
    let r = try study(args.map { $0 == "CBPP" ? cbpp : $0 })
    #expect(r.status != 0 && r.status < 128, "exit \(r.status)")
    #expect(r.stderr.contains(phrase), "stderr: \(r.stderr)")
    #expect(r.stdout.isEmpty)
  }
}
