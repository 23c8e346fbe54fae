import DataGeneration
import Estimators
import RandomStreams
import ReplicateEngine
import Sampling
import Synchronization

/// One replicate's data for the Bayesian confounded-logit study, with the board on which each
/// model's method leaves its PSIS-LOO result for the "loo" method (methods run in order on the
/// same sample, so the board is complete when "loo" reads it; a replay recomputes the whole
/// replicate, so it is too).
final class BayesianLogitSample: Sendable {
  let data: GroupedBinaryData
  private let board = Mutex<[ConfoundingModel: LOOResult]>([:])

  init(_ data: GroupedBinaryData) { self.data = data }

  func post(_ model: ConfoundingModel, _ loo: LOOResult) { board.withLock { $0[model] = loo } }
  func loo(_ model: ConfoundingModel) -> LOOResult? { board.withLock { $0[model] } }
}

/// The sampler settings of the Bayesian study: 4 chains × (500 warm-up + 500 draws). The source
/// analysis ran nutpie at 1000 + 1000 (as `study bench` does); half of it gives 2 000 draws, enough
/// for the bulk ESS of 400 the convergence rule asks, at half the cost per replicate.
let bayesianLogitSettings = NUTSSettings(warmup: 500, draws: 500, chains: 4)

/// A method per model (bxy and bzy from its posterior, its LOO posted on the board), then "loo":
/// the index in `ConfoundingModel.allCases` of the model with the highest elpd_loo.
let bayesianLogitMethods: [StudyMethod<BayesianLogitSample>] = {
  let pairs = [(estimand: "bxy", parameter: "bxy"), (estimand: "bzy", parameter: "bzy")]
  var methods = ConfoundingModel.allCases.map { model in
    StudyMethod<BayesianLogitSample>(
      model.rawValue, settings: "\(model.priorDescription); NUTS \(bayesianLogitSettings.description)",
      randomised: { sample, _, key in
        let fit = try BayesianConfoundingLogit(model, settings: bayesianLogitSettings).fit(sample.data, key: key)
        sample.post(model, fit.loo)
        var output = fit.output(pairs)
        // PSIS-LOO of this model: elpd_loo and the share of observations whose Pareto k̂ > 0.7
        // (where the importance-sampling estimate of their LOO density is unreliable).
        output.estimates += [
          Estimate(estimand: "elpd_loo", value: fit.loo.elpd),
          Estimate(estimand: "loo_k_high", value: Double(fit.loo.count(kAbove: 0.7)) / Double(fit.loo.paretoK.count)),
        ]
        return output
      })
  }
  methods.append(
    StudyMethod("loo", settings: "highest elpd_loo (PSIS-LOO of y) among the five models") { sample, _ in
      var results: [LOOResult] = []
      for model in ConfoundingModel.allCases {
        guard let loo = sample.loo(model) else {
          throw EstimationError.invalidInput("the \(model.rawValue) model failed, so LOO cannot rank all five")
        }
        results.append(loo)
      }
      return MethodOutput([Estimate(estimand: "loo_choice", value: Double(LOO.compare(results).best))])
    })
  return methods
}()

/// The five Bayesian group-confounding logits (Docs/BinaryChoice.md §11) fitted by NUTS on the
/// confounded-logit design (truth bxy = 0, bzy = 1): bias, RMSE, credible-interval coverage and
/// posterior sd against the empirical SE of bxy and bzy, non-convergence rates, and how often
/// PSIS-LOO ranks each model first. The truth of `loo_choice` is the latent-Mundlak model, the
/// one whose structure (x and y both driven by a latent group effect) the data were drawn from.
public let bayesianLogitStudy = Study(
  name: "bayesian-logit",
  aim: "Five Bayesian logits under group confounding: which credible intervals cover, and which model LOO prefers.",
  seed: 0xBA7E_5106_0000_0009,
  factors: [
    Factor("groups", integers: [10, 30], help: "Number of groups G."),
    Factor("individuals", integers: [500, 1000], help: "Number of individuals n, assigned to groups uniformly at random."),
  ],
  estimands: [
    EstimandSpec("bxy", .continuous, help: "The slope of the individual covariate x (truth 0)."),
    EstimandSpec("bzy", .continuous, help: "The slope of the group covariate z (truth 1)."),
    EstimandSpec("elpd_loo", .score, help: "Each model's PSIS-LOO estimate of the expected log predictive density of y."),
    EstimandSpec("loo_k_high", .score, help: "Each model's share of observations with Pareto k̂ > 0.7 (LOO unreliable there)."),
    EstimandSpec(
      "loo_choice", .discrete,
      help: "The model PSIS-LOO ranks first: 0 naive, 1 fixed-effects, 2 multilevel, 3 mundlak, 4 latent-mundlak."),
  ],
  columns: [
    TableColumn("bxy", "bias"), TableColumn("bxy", "coverage"), TableColumn("bxy", "rel_error_model_se", heading: "bxy sd err %"),
    TableColumn("bzy", "bias"), TableColumn("bzy", "coverage"), TableColumn("bxy", "nonconvergence_rate", heading: "not conv."),
    TableColumn("loo_choice", "freq_4", heading: "LOO latent"),
  ],
  cost: { condition in Double((try? condition.int("individuals")) ?? 1) },
  // Per individual: data, one row of pointwise log-likelihoods per draw (2 000 draws) for LOO.
  memory: { condition in 8 * 2100 * Double((try? condition.int("individuals")) ?? 0) },
  validate: validateConfoundedLogit,
  generate: { condition, rng in
    let (data, design) = try drawConfoundedLogit(condition, rng)
    return Draw(
      BayesianLogitSample(data),
      truth: ["bxy": design.bxy, "bzy": design.bzy, "loo_choice": Double(ConfoundingModel.allCases.firstIndex(of: .latentMundlak)!)])
  },
  methods: bayesianLogitMethods)
