import DataGeneration
import Estimators
import LinearAlgebra
import ReplicateEngine

/// One replicate's panel with the eigen-decomposition and the IFE fits its methods share: the
/// nine selectors read one `PanelSpectrum`, and each selected rank is fitted once. Methods of one
/// replicate run one after another on one thread, so the caches need no locking.
final class RankRecoverySample {
  let panel: FactorPanel.Sample
  let kmax: Int
  private var spectrumResult: Result<PanelSpectrum, Error>?
  private var fitRMSE: [Int: Double] = [:]

  init(panel: FactorPanel.Sample, kmax: Int) {
    self.panel = panel
    self.kmax = kmax
  }

  /// The two-way demeaned panel's spectrum, computed on first use.
  func spectrum() throws -> PanelSpectrum {
    if spectrumResult == nil {
      spectrumResult = Result { try PanelSpectrum(panel: panel.y, force: .twoWay, kmax: kmax) }
    }
    return try spectrumResult!.get()
  }

  /// RMSE of the two-way IFE fit at rank k against the noiseless signal, √(Σ(Ŷ − S)²/(NT)).
  func rmse(rank k: Int) throws -> Double {
    if let v = fitRMSE[k] { return v }
    let fit = try InteractiveFixedEffects.fit(spectrum: try spectrum(), rank: k)
    // Σ(Ŷ − S)² in one sweep, in the order `(fit.fitted - panel.signal).squaredNorm` sums (no temporary).
    var sum = 0.0
    fit.fitted.elements.withUnsafeBufferPointer { f in
      panel.signal.elements.withUnsafeBufferPointer { s in
        for k in 0..<f.count {
          let d = f[k] - s[k]
          sum += d * d
        }
      }
    }
    let v = sum / Double(panel.y.elements.count)
    fitRMSE[k] = v.squareRoot()
    return v.squareRoot()
  }
}

/// rank-recovery: how often each rank selector finds the true number of factors, and how well the
/// IFE fit at the selected rank recovers the noiseless signal.
public let rankRecoveryStudy = Study(
  name: "rank-recovery",
  aim: "How often do IC/PC (Bai–Ng), ER/GR (Ahn–Horenstein) and ED (Onatski) find the true number of factors?",
  seed: 20_261_122,
  factors: [
    Factor("N", integers: [50, 100, 200], help: "units"),
    Factor("T", integers: [50, 100], help: "periods"),
    Factor("r", integers: [1, 2, 3], help: "true number of factors"),
    Factor("sd", reals: [0.5, 1, 2], help: "noise standard deviation"),
    Factor("kmax", integers: [8], help: "largest rank considered"),
    Factor(
      "factors", texts: ["smooth"],
      help: "smooth: the package example's sin/cos factors with additive effects; gaussian: Bai–Ng iid N(0, I) factors, no additive effects"),
  ],
  estimands: [
    EstimandSpec("r", .discrete, help: "The selected number of factors; truth r."),
    EstimandSpec(
      "fit_rmse", .score,
      help: "RMSE of the two-way IFE fit at the selected rank against the noiseless signal (smaller is better)."),
  ],
  columns: [
    TableColumn("r", "share_correct", heading: "P(r̂ = r)"),
    TableColumn("r", "mean", heading: "mean r̂"),
    TableColumn("fit_rmse", "mean", heading: "fit RMSE"),
  ],
  cost: { c in Double((try? c.int("N")) ?? 1) * Double((try? c.int("T")) ?? 1) },
  // The panel, its noise-free signal, the demeaned copy, the fit and their T×T or N×N Gram.
  memory: { c in
    let n = Double((try? c.int("N")) ?? 0), t = Double((try? c.int("T")) ?? 0)
    return 8 * (8 * n * t + 2 * min(n, t) * min(n, t))
  },
  validate: { c in
    let design = try rankRecoveryDesign(c)
    let kmax = try c.int("kmax")
    try design.validate()
    // Two-way demeaning leaves rank min(N, T) − 1; ED reads kmax + 5 eigenvalues of it.
    let m = min(design.n, design.t) - 1
    guard kmax >= 1, kmax + 5 <= m else {
      throw DesignError("kmax = \(kmax) needs 1 ≤ kmax ≤ min(N, T) − 6 = \(m - 5) (Onatski's ED uses kmax + 5 eigenvalues of the demeaned panel)")
    }
    guard design.r <= kmax else { throw DesignError("the true rank r = \(design.r) exceeds kmax = \(kmax)") }
  },
  generate: { c, rng in
    let design = try rankRecoveryDesign(c)
    let sample = RankRecoverySample(panel: try design.draw(using: rng), kmax: try c.int("kmax"))
    return Draw(sample, truth: ["r": Double(design.r)])
  },
  methods: RankSelector.allCases.map { selector in
    StudyMethod<RankRecoverySample>(selector.displayName, settings: "force=twoWay") { sample, _ in
      let k = try selector.select(try sample.spectrum())
      return MethodOutput([
        Estimate(estimand: "r", value: Double(k)),
        Estimate(estimand: "fit_rmse", value: try sample.rmse(rank: k)),
      ])
    }
  })

/// The factor panel of a condition: the default preset (smooth factors, additive effects) or,
/// with factors=gaussian, Bai & Ng's iid Gaussian factors and loadings with the same noise sd.
func rankRecoveryDesign(_ c: Condition) throws -> FactorPanel {
  let (n, t, r, sd) = (try c.int("N"), try c.int("T"), try c.int("r"), try c.double("sd"))
  switch try c.string("factors") {
  case "smooth": return FactorPanel.smoothExample(n: n, t: t, r: r, noiseSD: sd)
  case "gaussian": return FactorPanel.baiNg(n: n, t: t, r: r, theta: sd * sd)
  case let other: throw DesignError("factors must be smooth or gaussian (got '\(other)')")
  }
}
