import Foundation
import LinearAlgebra
import RandomStreams
import Testing
import TestSupport

@Suite struct StreamKeyTests {
  /// Matsumoto & Nishimura's reference mt19937ar.c seeded with init_by_array({0x123, 0x234, 0x345,
  /// 0x456}) prints 1067595299 955945823 477289528 4107218783 4228976476 first (mt19937ar.out).
  @Test func initByArrayMatchesTheReferenceOutput() throws {
    let s = try RandomStream(key: StreamKey(rawWords: [0x123, 0x234, 0x345, 0x456]))
    #expect((0..<5).map { _ in s.nextUInt32() } == [1_067_595_299, 955_945_823, 477_289_528, 4_107_218_783, 4_228_976_476])
  }

  @Test func sameKeySameDraws() throws {
    let a = try RandomStream(seed: 42, condition: "N=100,T=50", replicate: 7)
    let b = try RandomStream(seed: 42, condition: "N=100,T=50", replicate: 7)
    #expect(a.normals(1000) == b.normals(1000))
  }

  /// Seeds that agree in their low 32 bits (which collide in gsl_rng_set), adjacent replicates and
  /// conditions that differ in one character all give different streams.
  @Test(arguments: [
    (StreamKey(seed: 5, condition: "N=100", replicate: 1), StreamKey(seed: 5 + (1 << 32), condition: "N=100", replicate: 1)),
    (StreamKey(seed: 5, condition: "N=100", replicate: 1), StreamKey(seed: 5, condition: "N=100", replicate: 2)),
    (StreamKey(seed: 5, condition: "N=100", replicate: 1), StreamKey(seed: 5, condition: "N=101", replicate: 1)),
    (StreamKey(seed: 5, condition: "N=1", replicate: 0), StreamKey(seed: 5, condition: "N=1\u{0}", replicate: 0)),
  ])
  func nearbyKeysGiveDifferentStreams(_ a: StreamKey, _ b: StreamKey) throws {
    #expect(a != b)
    let x = try RandomStream(key: a).normals(200)
    let y = try RandomStream(key: b).normals(200)
    // Independent N(0,1) streams: the sample correlation of 200 pairs is |ρ̂| < 0.3 with
    // probability ≈ 1 − 2e-5; identical or shifted streams would give 1 or a match.
    let r = zip(x, y).map(*).reduce(0, +) / 200
    #expect(x != y && abs(r) < 0.3)
  }
}

@Suite struct SamplerMomentTests {
  private let n = 200_000

  /// Mean within 4 standard errors, variance within 4 standard errors of the sample variance
  /// (SE of s² ≈ σ²√(2/n) for the normal, √((μ₄ − σ⁴)/n) in general).
  @Test func uniformMoments() {
    let s = testStream("uniform")
    let x = (0..<n).map { _ in s.uniform() }
    let m = x.reduce(0, +) / Double(n)
    let v = x.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(n - 1)
    #expect(abs(m - 0.5) < 4 * (1.0 / 12 / Double(n)).squareRoot())
    #expect(abs(v - 1.0 / 12) < 4 * ((1.0 / 80 - 1.0 / 144) / Double(n)).squareRoot())
    #expect(x.allSatisfy { $0 >= 0 && $0 < 1 })
  }

  @Test func normalMoments() {
    let x = testStream("normal").normals(n, mean: 2, sd: 3)
    let m = x.reduce(0, +) / Double(n)
    let v = x.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(n - 1)
    let k = x.map { pow(($0 - m) / 3, 4) }.reduce(0, +) / Double(n)
    #expect(abs(m - 2) < 4 * 3 / Double(n).squareRoot())
    #expect(abs(v - 9) < 4 * 9 * (2 / Double(n)).squareRoot())
    #expect(abs(k - 3) < 4 * (96 / Double(n)).squareRoot())  // Var of z⁴ is 105 − 9 = 96
  }

  @Test func bernoulliAndCategoricalFrequencies() {
    let s = testStream("discrete")
    let p = 0.3
    let hits = (0..<n).filter { _ in s.bernoulli(p) }.count
    #expect(abs(Double(hits) / Double(n) - p) < 4 * (p * (1 - p) / Double(n)).squareRoot())
    let w = [1.0, 0, 3, 6]
    var counts = [0, 0, 0, 0]
    for _ in 0..<n { counts[s.categorical(w)] += 1 }
    #expect(counts[1] == 0)
    for (c, wi) in zip(counts, w) {
      let q = wi / 10
      #expect(abs(Double(c) / Double(n) - q) <= 4 * (q * (1 - q) / Double(n)).squareRoot())
    }
  }

  /// Every permutation of 3 items appears with frequency 1/6.
  @Test func permutationIsUniform() {
    let s = testStream("perm")
    var counts: [[Int]: Int] = [:]
    let reps = 60_000
    for _ in 0..<reps { counts[s.permutation(3), default: 0] += 1 }
    #expect(counts.count == 6)
    let q = 1.0 / 6
    for c in counts.values { #expect(abs(Double(c) / Double(reps) - q) < 4 * (q * (1 - q) / Double(reps)).squareRoot()) }
    #expect(s.permutation(10).sorted() == Array(0..<10))
  }

  /// Sample covariance of multivariate normal draws within 4 SE of Σ (SE of ŝ_ij ≈ √((σ_ii σ_jj + σ_ij²)/n)).
  @Test func multivariateNormalCovariance() throws {
    let sigma = Matrix([[2, 0.8, -0.5], [0.8, 1, 0.3], [-0.5, 0.3, 1.5]])
    let mean = [1.0, -1, 0]
    let s = testStream("mvn")
    let reps = 100_000
    let l = try Cholesky(sigma)
    var xs = Matrix(rows: reps, cols: 3)
    for r in 0..<reps {
      let x = s.multivariateNormal(mean: mean, covarianceFactor: l)
      for j in 0..<3 { xs[r, j] = x[j] }
    }
    for j in 0..<3 {
      let m = xs.column(j).reduce(0, +) / Double(reps)
      #expect(abs(m - mean[j]) < 4 * (sigma[j, j] / Double(reps)).squareRoot())
    }
    for i in 0..<3 {
      for j in 0..<3 {
        let ci = xs.column(i).map { $0 - mean[i] }
        let cj = xs.column(j).map { $0 - mean[j] }
        let cov = dot(ci, cj) / Double(reps)
        let se = ((sigma[i, i] * sigma[j, j] + sigma[i, j] * sigma[i, j]) / Double(reps)).squareRoot()
        #expect(abs(cov - sigma[i, j]) < 4 * se)
      }
    }
    #expect(throws: LinearAlgebraError.self) { try s.multivariateNormal(mean: [0, 0], covariance: Matrix([[1, 2], [2, 1]])) }
  }
}
