import Estimators
import Foundation
import NumericalMethods
import RandomStreams
import ReplicateEngine
import Sampling

/// The number of thinned posterior draws a true parameter is ranked among: ranks 0 … 99, so ten
/// bins of ten ranks each are equally likely under calibration.
let calibrationRankDraws = 99

/// The sampler settings of the calibration study: 4 chains × (500 warm-up + 500 draws), 2 000 draws
/// thinned to 99.
let calibrationSettings = NUTSSettings(warmup: 500, draws: 500, chains: 4)

/// The parameters whose ranks the calibration study reports (the multilevel model's names).
let calibrationParameters = ["bxy", "bzy", "a_bar", "tau", "e[0]"]

/// The multilevel model's parameters drawn from its prior (Docs/BinaryChoice.md §11, model 3), and
/// data drawn from the model given them: x_j ~ N(0, 1), z_g ~ N(0, 1), groups of equal size.
/// Draw order: bxy, bzy, ā, τ, e_1 … e_G, z_1 … z_G, then per individual x_j and the uniform
/// deciding y_j.
func calibrationDraw(groups: Int, individuals: Int, rng: RandomStream) throws -> (data: GroupedBinaryData, truth: [String: Double]) {
  let bxy = rng.normal(), bzy = rng.normal(), aBar = rng.normal()
  let tau = -log(rng.uniformPositive())
  let e = rng.normals(groups, mean: aBar)
  let z = rng.normals(groups)
  var group = [Int](repeating: 0, count: individuals)
  var x = [Double](repeating: 0, count: individuals)
  var y = [Double](repeating: 0, count: individuals)
  for j in 0..<individuals {
    let g = j * groups / individuals
    group[j] = g
    x[j] = rng.normal()
    let eta = aBar + tau * e[g] + bxy * x[j] + bzy * z[g]
    y[j] = rng.uniform() < 1 / (1 + exp(-eta)) ? 1 : 0
  }
  let data = try GroupedBinaryData(y: y, x: x, group: group, z: z)
  return (data, ["bxy": bxy, "bzy": bzy, "a_bar": aBar, "tau": tau, "e[0]": e[0]])
}

/// The rank of `truth` among L draws thinned evenly from the pooled chains, as a share r / L.
func normalisedRank(of truth: Double, among draws: [[Double]], thinnedTo l: Int) -> Double {
  let pooled = draws.flatMap { $0 }
  var rank = 0
  for k in 0..<l where pooled[(2 * k + 1) * pooled.count / (2 * l)] < truth { rank += 1 }
  return Double(rank) / Double(l)
}

/// The multilevel posterior with the log-Jacobian of τ = exp(θ) left out: a deliberately broken
/// target (it samples p(τ | y) / τ), which calibration must catch.
struct MissingJacobian: ParameterisedDensity {
  let base: ConfoundingPosterior
  let logTau: Int
  var dimension: Int { base.dimension }
  var parameterNames: [String] { base.parameterNames }
  func constrained(_ theta: [Double]) -> [Double] { base.constrained(theta) }
  func logDensity(_ theta: [Double], gradient: inout [Double]) -> Double {
    let value = base.logDensity(theta, gradient: &gradient)
    gradient[logTau] -= 1
    return value - theta[logTau]
  }
}

/// Uniformity of SBC ranks: Pearson's χ² over ten equally likely bins of the normalised ranks
/// (expected 9 under calibration) with its bootstrap MCSE, and the p-value of the χ²₉ test.
let rankUniformity: [ExtraMeasure] = [
  .custom("chi2_10bins") { rows in chiSquareOfRanks(rows.map(\.value)) },
  .custom("chi2_p") { rows in (ChiSquared.survival(chiSquareOfRanks(rows.map(\.value)), degreesOfFreedom: 9), nil) },
]

func chiSquareOfRanks(_ ranks: [Double]) -> Double {
  var counts = [Double](repeating: 0, count: 10)
  for r in ranks { counts[min(9, Int((r * Double(calibrationRankDraws)).rounded()) / 10)] += 1 }
  let expected = Double(ranks.count) / 10
  return counts.reduce(0) { $0 + ($1 - expected) * ($1 - expected) / expected }
}

/// Simulation-based calibration (Talts et al. 2018; Modrák et al. 2023) of the multilevel logit:
/// parameters from the prior, data from the model, and the rank of each true parameter among 99
/// thinned posterior draws. A calibrated sampler gives uniform ranks: a mean normalised rank of 0.5
/// (reported as bias against 0.5) and a χ² over ten bins near its expectation 9. The second method
/// samples a target without τ's log-Jacobian and must fail.
public let calibrationStudy = Study(
  name: "sbc-multilevel",
  aim: "Simulation-based calibration of NUTS on the multilevel logit; a sampler without the Jacobian of log τ must fail it.",
  seed: 0x5BC0_0000_0000_0009,
  factors: [
    Factor("groups", integers: [10], help: "Number of groups G."),
    Factor("individuals", integers: [200], help: "Number of individuals n, in groups of equal size."),
  ],
  estimands: calibrationParameters.map {
    EstimandSpec($0, .continuous, help: "The normalised rank r/99 of the true \($0) (uniform under calibration; truth 0.5).", measures: rankUniformity)
  },
  columns: calibrationParameters.flatMap { [TableColumn($0, "bias", heading: "\($0) rank−½"), TableColumn($0, "chi2_10bins", heading: "\($0) χ²")] },
  cost: { condition in Double((try? condition.int("individuals")) ?? 1) },
  validate: { condition in
    let g = try condition.int("groups"), n = try condition.int("individuals")
    guard g >= 2, n >= g else {
      throw StudyError.impossibleCondition(condition: condition.canonical, reason: "needs at least 2 groups and one individual per group")
    }
  },
  generate: { condition, rng in
    let draw = try calibrationDraw(groups: try condition.int("groups"), individuals: try condition.int("individuals"), rng: rng)
    return Draw(draw, truth: Dictionary(uniqueKeysWithValues: calibrationParameters.map { ($0, 0.5) }))
  },
  methods: [false, true].map { broken in
    StudyMethod<(data: GroupedBinaryData, truth: [String: Double])>(
      broken ? "nuts-no-jacobian" : "nuts",
      settings: "multilevel logit\(broken ? " without the log-Jacobian of τ" : ""); NUTS \(calibrationSettings.description); ranks among \(calibrationRankDraws) thinned draws",
      randomised: { sample, _, key in
        let base = try ConfoundingPosterior(.multilevel, data: sample.data)
        let sampler = try NUTS(settings: calibrationSettings)
        let posterior: Posterior
        if broken {
          let target = MissingJacobian(base: base, logTau: base.index(of: "tau")!)
          posterior = Posterior(target, chains: try sampler.sample(target, key: key))
        } else {
          posterior = Posterior(base, chains: try sampler.sample(base, key: key))
        }
        return MethodOutput(
          calibrationParameters.map { name in
            let p = posterior.parameterNames.firstIndex(of: name)!
            return Estimate(estimand: name, value: normalisedRank(of: sample.truth[name]!, among: posterior.draws[p], thinnedTo: calibrationRankDraws))
          })
      })
  })
