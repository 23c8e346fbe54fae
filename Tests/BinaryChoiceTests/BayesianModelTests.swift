import DataGeneration
import Estimators
import Foundation
import RandomStreams
import Sampling
import Testing
import TestSupport

/// The five Bayesian confounding logits (`ConfoundingPosterior`): gradients, agreement with PyMC's
/// own log density, the pointwise likelihood, transforms and errors.
///
/// Fixtures: Tests/Fixtures/confounded-logit-bayes.csv is one `ConfoundedLogit()` draw (G = 30,
/// n = 2000) from `testStream("confounded-logit-bayes")`; `fixtureIsTheDGPDraw` checks that, and
/// rewrites the file when SIMSTUDY_WRITE_BAYES_FIXTURE=1. Tests/Fixtures/confounding-models-reference.json
/// is written by scripts/reference/confounding_models.py (PyMC + nutpie) from that CSV.
@Suite struct BayesianModelTests {
  static let csvPath = "Tests/Fixtures/confounded-logit-bayes.csv"
  static let referencePath = "Tests/Fixtures/confounding-models-reference.json"

  /// The fixture's rows: (group, x, z, y) with z repeated per row.
  static func fixtureRows() throws -> (group: [Int], x: [Double], z: [Double], y: [Double]) {
    let text = try String(contentsOf: packageRoot.appendingPathComponent(csvPath), encoding: .utf8)
    let records = try CSV.records(text)
    #expect(records.first == ["group", "x", "z", "y"])
    var rows: (group: [Int], x: [Double], z: [Double], y: [Double]) = ([], [], [], [])
    for r in records.dropFirst() {
      rows.group.append(Int(r[0])!)
      rows.x.append(Double(r[1])!)
      rows.z.append(Double(r[2])!)
      rows.y.append(Double(r[3])!)
    }
    return rows
  }

  /// The fixture as `GroupedBinaryData` (z taken per group from its rows).
  static func fixtureData() throws -> GroupedBinaryData {
    let rows = try fixtureRows()
    let groups = (rows.group.max() ?? -1) + 1
    var z = [Double](repeating: 0, count: groups)
    for j in rows.group.indices { z[rows.group[j]] = rows.z[j] }
    return try GroupedBinaryData(y: rows.y, x: rows.x, group: rows.group, z: z)
  }

  /// A small data set with odd and even group sizes (so the paired loop's tail is exercised).
  static func smallData() throws -> GroupedBinaryData {
    let s = try ConfoundedLogit(groups: 5, individuals: 37).draw(using: testStream("bayes-small"))
    return try GroupedBinaryData(y: s.y, x: s.x, group: s.group, z: s.z)
  }

  /// The CSV is exactly the `ConfoundedLogit()` draw from `testStream("confounded-logit-bayes")`
  /// (values written in Swift's shortest round-trip form, so they compare exactly).
  @Test func fixtureIsTheDGPDraw() throws {
    let s = try ConfoundedLogit().draw(using: testStream("confounded-logit-bayes"))
    let url = packageRoot.appendingPathComponent(Self.csvPath)
    if ProcessInfo.processInfo.environment["SIMSTUDY_WRITE_BAYES_FIXTURE"] == "1" {
      var text = "group,x,z,y\n"
      for j in s.y.indices { text += "\(s.group[j]),\(s.x[j]),\(s.z[s.group[j]]),\(Int(s.y[j]))\n" }
      try text.write(to: url, atomically: true, encoding: .utf8)
    }
    let rows = try Self.fixtureRows()
    #expect(rows.group == s.group && rows.x == s.x && rows.y == s.y)
    #expect(rows.z == s.group.map { s.z[$0] })
    #expect(rows.y.count == 2000 && Set(rows.group).count == 30)
  }

  /// A random θ: N(0, 0.5²) per coordinate, log scales near log 1.
  static func randomTheta(_ p: ConfoundingPosterior, _ rng: RandomStream) -> [Double] {
    rng.normals(p.dimension).map { 0.5 * $0 }
  }

  /// (a) The analytic gradient against central differences with h = 10⁻⁵·max(1, |θ_i|). The
  /// truncation error is h²/6·|∂³ log p| ≲ 10⁻¹⁰·(n = 2000 rows × O(1)) ≈ 10⁻⁷ and the rounding
  /// error ε·|log p|/h ≈ 10⁻¹⁶·2·10³/10⁻⁵ ≈ 10⁻⁸, so |Δ| ≤ 10⁻⁶·max(1, |g_i|) has a safe margin
  /// while still catching any wrong term (those are O(1) or larger).
  @Test(arguments: ConfoundingModel.allCases) func gradientMatchesFiniteDifferences(_ model: ConfoundingModel) throws {
    for (dataName, data) in [("fixture", try Self.fixtureData()), ("small", try Self.smallData())] {
      let p = try ConfoundingPosterior(model, data: data)
      let rng = testStream("bayes-gradient-\(model.rawValue)-\(dataName)")
      for _ in 0..<3 {
        let theta = Self.randomTheta(p, rng)
        var gradient = [Double](repeating: .nan, count: p.dimension)
        let value = p.logDensity(theta, gradient: &gradient)
        #expect(value.isFinite)
        var scratch = gradient
        var worst = 0.0
        for i in 0..<p.dimension {
          let h = 1e-5 * max(1, abs(theta[i]))
          var plus = theta, minus = theta
          plus[i] += h
          minus[i] -= h
          let fd = (p.logDensity(plus, gradient: &scratch) - p.logDensity(minus, gradient: &scratch)) / (plus[i] - minus[i])
          worst = max(worst, abs(fd - gradient[i]) / max(1, abs(gradient[i])))
        }
        #expect(worst <= 1e-6, "\(model.rawValue) on \(dataName): worst scaled gradient error \(worst)")
      }
    }
  }

  /// (b) The log density agrees with PyMC's `model.compile_logp()` (jacobian included) at the θ
  /// points stored by the reference script (two posterior draws and one N(0, 0.5²) point): the
  /// differences to 10⁻⁹ relative, and since every normalising constant is included, the values
  /// themselves too (after PyTensor's float32 log 10, below).
  @Test(arguments: ConfoundingModel.allCases) func logDensityMatchesPyMC(_ model: ConfoundingModel) throws {
    let url = packageRoot.appendingPathComponent(Self.referencePath)
    let json = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    let models = json["models"] as! [String: Any]
    let entry = try #require(models[model.rawValue] as? [String: Any], "no reference for \(model.rawValue)")
    let points = entry["logp_points"] as! [[String: Any]]
    #expect(points.count >= 2)
    let p = try ConfoundingPosterior(model, data: try Self.fixtureData())
    var ours: [Double] = []
    var theirs: [Double] = []
    for point in points {
      let values = point["theta"] as! [String: Any]
      var theta = [Double](repeating: .nan, count: p.dimension)
      var filled = 0
      for (key, value) in values {
        // PyMC's value variables: "tau_log__" is the log of "tau", our θ coordinate for it.
        let name = key.hasSuffix("_log__") ? String(key.dropLast(6)) : key
        if let vector = value as? [Double] {
          for (i, v) in vector.enumerated() {
            theta[try #require(p.index(of: "\(name)[\(i)]"), "\(name)[\(i)]")] = v
            filled += 1
          }
        } else {
          theta[try #require(p.index(of: name), "\(name)")] = value as! Double
          filled += 1
        }
      }
      #expect(filled == p.dimension && theta.allSatisfy(\.isFinite))
      var gradient = [Double](repeating: 0, count: p.dimension)
      ours.append(p.logDensity(theta, gradient: &gradient))
      theirs.append(point["logp"] as! Double)
    }
    for k in 1..<ours.count {
      let d = ours[k] - ours[0], reference = theirs[k] - theirs[0]
      #expect(abs(d - reference) <= 1e-9 * max(1, abs(reference)), "\(model.rawValue): Δ \(d) vs PyMC \(reference)")
    }
    // PyTensor turns the Python float 10.0 (the N(0, 10) prior's σ) into a float32 constant and
    // takes its log in float32, so PyMC's fixed-effects density is off by G·(fl32(log 10) − log 10)
    // ≈ G·3.2e-8 (9.6e-7 for G = 30), the same at every point; our constant is exact.
    let offset = model == .fixedEffects ? Double(p.dimension - 2) * (Double(log(Float(10))) - log(10.0)) : 0
    for k in ours.indices {
      let reference = theirs[k] + offset
      #expect(abs(ours[k] - reference) <= 1e-9 * abs(reference), "\(model.rawValue): \(ours[k]) vs PyMC \(theirs[k])")
    }
  }

  /// (c) The pointwise log-likelihood sums to Σ y log p + (1 − y) log(1 − p) evaluated directly, and
  /// for the naive model the log density is that sum plus the three N(0, 1) log priors. Far out
  /// (|η| ≈ 800, where e^η overflows) the stable forms stay finite.
  @Test(arguments: ConfoundingModel.allCases) func pointwiseLikelihoodSumsToBernoulli(_ model: ConfoundingModel) throws {
    let data = try Self.fixtureData()
    let p = try ConfoundingPosterior(model, data: data)
    let theta = Self.randomTheta(p, testStream("bayes-pointwise-\(model.rawValue)"))
    var out = [Double](repeating: .nan, count: data.count)
    p.pointwiseLogLikelihood(theta, into: &out)
    // η_j by the model's formula in natural parameters.
    let v = p.constrained(theta)
    func value(_ name: String) -> Double { v[p.index(of: name)!] }
    let means = data.groupMeans
    var naive = 0.0
    for g in 0..<data.groupCount {
      var c = value("bzy") * data.z[g]
      switch model {
      case .naive: c += value("a0")
      case .fixedEffects: c += value("a0[\(g)]")
      case .multilevel: c += value("a_bar") + value("tau") * value("e[\(g)]")
      case .mundlak: c += value("a_bar") + value("tau") * value("e[\(g)]") + value("buy") * means[g]
      case .latentMundlak: c += value("a_bar") + value("tau") * value("e[\(g)]") + value("buy") * value("u[\(g)]")
      }
      for j in data.range(g) {
        let pj = 1 / (1 + exp(-(c + value("bxy") * data.x[j])))
        naive += data.y[j] == 1 ? log(pj) : log(1 - pj)
      }
    }
    let sum = out.reduce(0, +)
    #expect(abs(sum - naive) <= 1e-10 * abs(naive))
    if model == .naive {
      var gradient = [Double](repeating: 0, count: p.dimension)
      let prior = theta.reduce(0) { $0 - 0.5 * $1 * $1 - 0.5 * log(2 * Double.pi) }
      #expect(abs(p.logDensity(theta, gradient: &gradient) - (sum + prior)) <= 1e-10 * abs(sum))
      // a0 = 800: η ≈ 800 for every row, log(1 + e^η) = η to double precision.
      var far = theta
      far[p.index(of: "a0")!] = 800
      let logp = p.logDensity(far, gradient: &gradient)
      p.pointwiseLogLikelihood(far, into: &out)
      #expect(logp.isFinite && gradient.allSatisfy(\.isFinite) && out.allSatisfy(\.isFinite))
      #expect(out.reduce(0, +) < -1e5)
    }
  }

  /// (d) constrained ∘ unconstrained is the identity, τ and σ are exponentiated and the names are
  /// those of the reference script.
  @Test(arguments: ConfoundingModel.allCases) func transformsRoundTrip(_ model: ConfoundingModel) throws {
    let data = try Self.fixtureData()
    let p = try ConfoundingPosterior(model, data: data)
    let g = data.groupCount
    let expected: Int
    switch model {
    case .naive: expected = 3
    case .fixedEffects: expected = 2 + g
    case .multilevel: expected = 4 + g
    case .mundlak: expected = 5 + g
    case .latentMundlak: expected = 8 + 2 * g
    }
    #expect(p.dimension == expected && p.parameterNames.count == expected && Set(p.parameterNames).count == expected)
    #expect(p.parameterNames.prefix(2) == ["bxy", "bzy"])
    let theta = Self.randomTheta(p, testStream("bayes-roundtrip-\(model.rawValue)"))
    let natural = p.constrained(theta)
    let back = p.unconstrained(natural)
    for i in theta.indices { #expect(abs(back[i] - theta[i]) <= 1e-15 * max(1, abs(theta[i]))) }
    for name in ["tau", "sigma"] {
      if let i = p.index(of: name) { #expect(natural[i] == exp(theta[i])) }
    }
    #expect((p.index(of: "tau") != nil) == (model != .naive && model != .fixedEffects))
    #expect((p.index(of: "sigma") != nil) == (model == .latentMundlak))
    #expect(p.index(of: "no such parameter") == nil)
  }

  /// A non-finite θ gives NaN or −∞, not a trap; so does τ overflowing.
  @Test(arguments: ConfoundingModel.allCases) func unevaluablePointsAreNotFinite(_ model: ConfoundingModel) throws {
    let p = try ConfoundingPosterior(model, data: try Self.smallData())
    let target: any LogDensity = p  // what a sampler takes
    #expect(target.dimension == p.dimension)
    var gradient = [Double](repeating: 0, count: p.dimension)
    var theta = [Double](repeating: 0, count: p.dimension)
    theta[0] = .nan
    #expect(!p.logDensity(theta, gradient: &gradient).isFinite)
    if let t = p.index(of: "tau") {
      theta[0] = 0
      theta[t] = 1000
      #expect(!p.logDensity(theta, gradient: &gradient).isFinite)
    }
  }

  /// (e) Bad data gives one-sentence errors: no individuals and NaN (refused by the data type),
  /// one group for the three hierarchical models (the naive and fixed-effects models accept it).
  @Test func badDataIsRefusedInOneSentence() throws {
    func oneSentence(_ error: EstimationError) -> Bool {
      let text = error.description
      return !text.isEmpty && !text.contains("\n") && !text.dropLast().contains(". ")
    }
    var errors: [EstimationError] = []
    do { _ = try GroupedBinaryData(y: [], x: [], group: [], z: [0]) } catch { errors.append(error) }
    do { _ = try GroupedBinaryData(y: [1, 0], x: [.nan, 1], group: [0, 0], z: [0]) } catch { errors.append(error) }
    do { _ = try GroupedBinaryData(y: [1, 0], x: [0, 1], group: [0, 0], z: [.nan]) } catch { errors.append(error) }
    let oneGroup = try GroupedBinaryData(y: [1, 0, 1], x: [0.5, 1, -1], group: [0, 0, 0], z: [0.3])
    for model in ConfoundingModel.allCases {
      do {
        let p = try ConfoundingPosterior(model, data: oneGroup)
        #expect(model == .naive || model == .fixedEffects)
        #expect(p.dimension == 3)
      } catch {
        #expect(model != .naive && model != .fixedEffects)
        #expect(error.description.contains("at least 2 groups"))
        errors.append(error)
      }
    }
    #expect(errors.count == 6)
    for e in errors { #expect(oneSentence(e), "\(e)") }
  }
}
