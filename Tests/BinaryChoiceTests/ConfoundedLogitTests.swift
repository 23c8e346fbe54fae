import DataGeneration
import Estimators
import Foundation
import ReplicateEngine
import Studies
import Testing
import TestSupport

@Suite struct ConfoundedLogitDGPTests {
  /// One large draw (4000 groups of 10 on average) checked against the moments of the design in Docs/BinaryChoice.md §1.
  @Test func momentsAgreeWithTheory() throws {
    let design = ConfoundedLogit(groups: 4000, individuals: 40_000)
    let s = try design.draw(using: testStream("confounded-moments"))
    #expect(s.group == s.group.sorted() && s.x.count == 40_000 && s.z.count == 4000)

    // P(y = 1) = E[logistic(a0 + u + bzy z)], a0 + u + z ~ N(−2, 1.5² + 1) (bxy = 0), by Simpson.
    let sd = (1.5 * 1.5 + 1).squareRoot()
    let steps = 4000
    let h = 24.0 / Double(steps)
    var theory = 0.0
    for i in 0...steps {
      let e = -12 + Double(i) * h
      let w = (i == 0 || i == steps) ? 1.0 : (i % 2 == 1 ? 4.0 : 2.0)
      theory += w * h / 3 * exp(-e * e / 2) / (2 * Double.pi).squareRoot() / (1 + exp(2 - sd * e))
    }
    // MC error: outcomes are clustered in groups, so the SE of the share is the SD of the
    // per-group sums around it divided by √G·(mean group size) (the cluster-robust SE).
    let share = s.y.reduce(0, +) / 40_000
    var groupSums = [Double](repeating: 0, count: 4000)
    var groupSizes = [Double](repeating: 0, count: 4000)
    for j in s.y.indices {
      groupSums[s.group[j]] += s.y[j] - share
      groupSizes[s.group[j]] += 1
    }
    let shareSE = (groupSums.reduce(0) { $0 + $1 * $1 }).squareRoot() / 40_000
    #expect(abs(share - theory) < 4 * shareSE)

    // corr(x, u_g) = λσ_u/√(λ²σ_u² + 1) = 1.5/√3.25. Its SE is about (1 − ρ²)/√G ≈ 0.005 because u
    // takes only G distinct values; 4 SE ≈ 0.02.
    let u = s.group.map { s.confounder[$0] }
    #expect(abs(correlation(s.x, u) - 1.5 / 3.25.squareRoot()) < 0.02)
    // SD of u: relative SE 1/√(2G) ≈ 1.1%; SD of z: same.
    #expect(abs(standardDeviation(s.confounder) - 1.5) < 4 * 1.5 / (2.0 * 4000).squareRoot())
    #expect(abs(standardDeviation(s.z) - 1) < 4 / (2.0 * 4000).squareRoot())
    // Random assignment: each group's size is Binomial(n, 1/G); its SD is √(n(1/G)(1 − 1/G)) ≈ 3.16.
    #expect(abs(standardDeviation(groupSizes) - (40_000 * (1.0 / 4000) * (1 - 1.0 / 4000)).squareRoot()) < 0.2)
  }

  @Test func groupSizeDesigns() throws {
    let equal = try ConfoundedLogit(groups: 7, individuals: 100, groupSizes: .equal).draw(using: testStream("sizes"))
    let counts = (0..<7).map { g in equal.group.filter { $0 == g }.count }
    #expect(counts == [15, 15, 14, 14, 14, 14, 14])
    #expect(counts.reduce(0, +) == 100)
    // Two groups with ratio 3: group 1 gets each individual with probability 3/4 (binomial SD ≈ 87).
    let unequal = try ConfoundedLogit(groups: 2, individuals: 40_000, groupSizes: .unequal(ratio: 3))
      .draw(using: testStream("sizes"))
    let second = unequal.group.filter { $0 == 1 }.count
    #expect(abs(Double(second) - 30_000) < 4 * (40_000 * 0.75 * 0.25).squareRoot())
  }

  @Test func impossibleDesignsAreRejected() {
    #expect(throws: DesignError.self) { try ConfoundedLogit(groups: 0).validate() }
    #expect(throws: DesignError.self) { try ConfoundedLogit(groups: 50, individuals: 10).validate() }
    #expect(throws: DesignError.self) { try ConfoundedLogit(groupSizes: .unequal(ratio: 0.5)).validate() }
  }

  @Test func drawsAreReproducible() throws {
    let a = try ConfoundedLogit().draw(using: testStream("repeat"))
    let b = try ConfoundedLogit().draw(using: testStream("repeat"))
    #expect(a.x == b.x && a.y == b.y && a.z == b.z)
  }
}

@Suite struct ConfoundedLogitStudyTests {
  /// One replicate of the default condition runs all six methods; fixed effects and the conditional
  /// logit report bzy as not identified, the others estimate both.
  @Test func oneReplicateRunsEveryMethod() throws {
    let study = confoundedLogitStudy
    #expect(study.name == "confounded-logit")
    #expect(study.defaultConditions.count == 6)
    let condition = Condition(names: ["groups", "individuals"], values: ["30", "2000"])
    try study.validate(condition)
    let outcome = try study.replicate(condition, index: 0, seed: study.seed)
    #expect(outcome.truth == ["bxy": 0, "bzy": 1])
    #expect(study.methodNames == ["naive", "fixed-effects", "conditional", "random-intercept", "mundlak", "latent-mundlak"])
    for (name, method) in zip(study.methodNames, outcome.methods) {
      #expect(method.status == .ok, "\(name): \(method.message ?? "")")
      let bzy = method.estimates.first { $0.estimand == "bzy" }!
      #expect(bzy.identified == !["fixed-effects", "conditional"].contains(name))
    }
  }
}

func standardDeviation(_ v: [Double]) -> Double {
  let m = v.reduce(0, +) / Double(v.count)
  return (v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(v.count - 1)).squareRoot()
}

func correlation(_ a: [Double], _ b: [Double]) -> Double {
  let ma = a.reduce(0, +) / Double(a.count)
  let mb = b.reduce(0, +) / Double(b.count)
  var sab = 0.0
  var saa = 0.0
  var sbb = 0.0
  for i in a.indices {
    sab += (a[i] - ma) * (b[i] - mb)
    saa += (a[i] - ma) * (a[i] - ma)
    sbb += (b[i] - mb) * (b[i] - mb)
  }
  return sab / (saa * sbb).squareRoot()
}
