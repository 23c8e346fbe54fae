import CKernels
import Foundation
import RandomStreams
import Testing
import TestSupport

/// The vectorised logit kernels (Sources/CKernels, Docs/BinaryChoice.md §12a) against a scalar
/// computation written directly from the definitions with libm's `exp` and `log1p`, on every code
/// path this machine has, with group and row counts that leave every possible number of lanes in a
/// last partial vector, η far in both tails and beyond exp's range, and NaN.
@Suite struct LogitKernelTests {
  /// The scalar terms of one row at η with outcome y: residual y − p, weight p(1 − p), the
  /// log-likelihood y η − log(1 + e^η).
  static func row(_ eta: Double, _ y: Double) -> (r: Double, w: Double, logLik: Double) {
    let p = eta >= 0 ? 1 / (1 + exp(-eta)) : exp(eta) / (1 + exp(eta))
    let softplus = max(eta, 0) + log1p(exp(-abs(eta)))
    return (y - p, p * (1 - p), y * eta - softplus)
  }

  static var paths: [Int32] { Array(0...simstudy_kernels_widest_path()) }

  /// Groups of sizes 0 … 17 and one of 300 (a full vector loop and every tail length), x ~ N(0, 2²),
  /// offsets ~ N(0, 1.5²) except two far beyond exp's range (800: e^{−|η|} underflows and p = 1
  /// exactly; −750), and slope 0.7.
  static func groupedRows(_ rng: RandomStream) -> (sizes: [Int], start: [Int], x: [Double], offset: [Double], slope: Double) {
    let sizes = Array(0...17) + [300]
    var start = [0]
    for s in sizes { start.append(start.last! + s) }
    let x = (0..<start.last!).map { _ in rng.normal(sd: 2) }
    var offset = (0..<sizes.count).map { _ in rng.normal(sd: 1.5) }
    offset[3] = 800
    offset[4] = -750
    return (sizes, start, x, offset, 0.7)
  }

  @Test func groupPassAgreesWithScalarSumsOnEveryPath() {
    let (sizes, start, x, offset, slope) = Self.groupedRows(testStream("logit-kernel-groups"))
    let n = start.last!
    var expectedP = [Double](repeating: 0, count: sizes.count)
    var expectedPX = 0.0, expectedSoftplus = 0.0
    for g in sizes.indices {
      for j in start[g]..<start[g + 1] {
        let eta = offset[g] + slope * x[j]
        let p = eta >= 0 ? 1 / (1 + exp(-eta)) : exp(eta) / (1 + exp(eta))
        expectedP[g] += p
        expectedPX += p * x[j]
        expectedSoftplus += max(eta, 0) + log1p(exp(-abs(eta)))
      }
    }
    var first: [Double]?
    for path in Self.paths {
      var probability = [Double](repeating: .nan, count: sizes.count)
      var sums = [Double](repeating: .nan, count: 2)
      simstudy_logit_group_pass_on(path, x, start, start.count - 1, offset, slope, &probability, &sums)
      let name = String(cString: simstudy_kernels_path_name(path))
      for g in sizes.indices {
        #expect(abs(probability[g] - expectedP[g]) <= 1e-13 * Double(max(sizes[g], 1)), "\(name) group \(g)")
      }
      #expect(abs(sums[0] - expectedPX) <= 1e-12 * Double(n), "\(name) Σ p x")
      // The two groups at |η| ≈ 800 contribute max(η, 0) exactly on both sides.
      #expect(abs(sums[1] - expectedSoftplus) <= 1e-12 * expectedSoftplus, "\(name) Σ log(1 + e^η) \(sums[1]) vs \(expectedSoftplus)")
      // AVX-512 and AVX2 evaluate the same operations in the same order: identical bits.
      if path >= 1 {
        if let first { #expect(first == probability + sums, "\(name) differs from AVX2 in its bits") } else { first = probability + sums }
      }
    }
  }

  /// More than 256 vectors, so the product of the factors 1 + e^{−|η|} has its exponents moved out
  /// (every 256 vectors) several times: Σ log(1 + e^η) against the scalar sum, on a data set where
  /// every factor is near 2 (η near 0), the case where the product would overflow first.
  @Test func groupPassMovesExponentsOutOfLongProducts() {
    let n = 8 * 256 * 3 + 5
    let x = (0..<n).map { Double($0 % 7) * 1e-3 }
    let start = [0, n / 2, n]
    let offset = [0.01, -0.02]
    var expected = 0.0
    for g in 0..<2 {
      for j in start[g]..<start[g + 1] {
        let eta = offset[g] + 0.5 * x[j]
        expected += max(eta, 0) + log1p(exp(-abs(eta)))
      }
    }
    for path in Self.paths {
      var probability = [0.0, 0.0], sums = [0.0, 0.0]
      simstudy_logit_group_pass_on(path, x, start, 2, offset, 0.5, &probability, &sums)
      #expect(abs(sums[1] - expected) <= 1e-12 * expected, "\(String(cString: simstudy_kernels_path_name(path)))")
    }
  }

  @Test func groupPassPropagatesNaN() {
    let x = [0.5, -1.0, 2.0], start = [0, 1, 3]
    for path in Self.paths {
      var probability = [0.0, 0.0], sums = [0.0, 0.0]
      simstudy_logit_group_pass_on(path, x, start, 2, [Double.nan, 0.3], 1.0, &probability, &sums)
      #expect(probability[0].isNaN && probability[1].isFinite && sums[0].isNaN && sums[1].isNaN)
    }
    // A NaN in the first vector stays NaN through the product's exponent moves.
    let long = [Double.nan] + [Double](repeating: 0.1, count: 8 * 600)
    for path in Self.paths {
      var probability = [0.0], sums = [0.0, 0.0]
      simstudy_logit_group_pass_on(path, long, [0, long.count], 1, [0.2], 1.0, &probability, &sums)
      #expect(sums[1].isNaN)
    }
  }

  /// The pointwise log-likelihood against y η − max(η, 0) − log1p(e^{−|η|}) row by row (η rounds
  /// differently once fused, so the bound scales with |η|).
  @Test func groupPointwiseAgreesWithScalarTermsOnEveryPath() {
    let rng = testStream("logit-kernel-pointwise")
    let (sizes, start, x, offset, slope) = Self.groupedRows(rng)
    let n = start.last!
    let y = (0..<n).map { _ in rng.bernoulli(0.4) ? 1.0 : 0.0 }
    var first: [Double]?
    for path in Self.paths {
      var out = [Double](repeating: .nan, count: n)
      simstudy_logit_group_pointwise_on(path, y, x, start, sizes.count, offset, slope, &out)
      let name = String(cString: simstudy_kernels_path_name(path))
      for g in sizes.indices {
        for j in start[g]..<start[g + 1] {
          let eta = offset[g] + slope * x[j]
          let expected = y[j] * eta - max(eta, 0) - log1p(exp(-abs(eta)))
          #expect(abs(out[j] - expected) <= 2e-15 * max(1, abs(eta)), "\(name) row \(j): \(out[j]) vs \(expected)")
        }
      }
      if path >= 1 {
        if let first { #expect(first == out, "\(name) differs from AVX2 in its bits") } else { first = out }
      }
    }
  }

  /// Σ log1p(scale · x) and Σ e^{x − shift} against libm's log1p and exp term by term, for every
  /// length 0 … 17 and one of 1003 (all tail lengths), arguments across log1p's domain including
  /// values near −1, and the special values.
  @Test func sumsOfLog1pAndExpAgreeWithLibmOnEveryPath() {
    let rng = testStream("kernel-sums")
    for n in Array(0...17) + [1003] {
      let x = (0..<n).map { i in
        switch i % 4 {
        case 0: rng.uniform() * 2 - 1  // (−1, 1) after the scale below
        case 1: (rng.uniform() - 0.5) * 1e-7
        case 2: rng.uniform() * 200
        default: -1 + rng.uniform() * 1e-9
        }
      }
      let terms = x.map { log1p($0) }
      let expectedLog1p = terms.reduce(0, +), sizeLog1p = terms.reduce(0) { $0 + abs($1) }
      let shift = (x.max() ?? 0) + 0.5
      let expectedExp = x.reduce(0) { $0 + exp($1 - shift) }
      for path in Self.paths {
        let name = "\(String(cString: simstudy_kernels_path_name(path))) n=\(n)"
        let sum = simstudy_sum_log1p_on(path, x, n, 1)
        #expect(abs(sum - expectedLog1p) <= 1e-14 * max(sizeLog1p, 1e-300), "\(name) Σ log1p \(sum) vs \(expectedLog1p)")
        let sumExp = simstudy_sum_exp_on(path, x, n, shift)
        #expect(abs(sumExp - expectedExp) <= 1e-14 * max(expectedExp, 1e-300), "\(name) Σ exp \(sumExp) vs \(expectedExp)")
      }
    }
    for path in Self.paths {
      #expect(simstudy_sum_log1p_on(path, [0.5, -1, 0.25], 3, 1) == -.infinity)
      #expect(simstudy_sum_log1p_on(path, [0.5, -0.75], 2, 2).isNaN)  // log1p(−1.5)
      #expect(simstudy_sum_log1p_on(path, [.infinity], 1, 1) == .infinity)
      #expect(simstudy_sum_log1p_on(path, [0.5, .nan], 2, 1).isNaN)
      #expect(simstudy_sum_exp_on(path, [-1, .nan], 2, 0).isNaN)
    }
  }

  @Test(arguments: [1, 2, 3, 4]) func newtonPassAgreesWithScalarSumsOnEveryPath(_ columns: Int) {
    let rng = testStream("logit-kernel-newton", columns)
    for n in [1, 7, 8, 9, 15, 16, 1003] {
      var x = [Double](repeating: 1, count: n * columns)
      for j in 0..<n { for k in 1..<max(columns, 1) { x[j + k * n] = rng.normal(sd: 1.5) } }
      let y = (0..<n).map { _ in rng.bernoulli(0.35) ? 1.0 : 0.0 }
      let beta = (0..<columns).map { _ in rng.normal(sd: 0.8) }
      var eta = [Double](repeating: 0, count: n)
      var score = [Double](repeating: 0, count: columns)
      var information = [Double](repeating: 0, count: columns * columns)
      var linear = 0.0, logProduct = 0.0, largest = -Double.infinity
      var correct = 0
      for j in 0..<n {
        eta[j] = (0..<columns).reduce(0) { $0 + x[j + $1 * n] * beta[$1] }
        let t = Self.row(eta[j], y[j])
        for k in 0..<columns {
          score[k] += t.r * x[j + k * n]
          for l in 0..<columns { information[k + l * columns] += t.w * x[j + k * n] * x[j + l * n] }
        }
        let margin = y[j] == 1 ? eta[j] : -eta[j]
        if margin > 0 { correct += 1 } else { linear -= margin }
        largest = max(largest, margin)
        logProduct += log1p(exp(-abs(eta[j])))
      }
      for path in Self.paths {
        let name = "\(String(cString: simstudy_kernels_path_name(path))) n=\(n) columns=\(columns)"
        var e = [Double](repeating: .nan, count: n)
        var s = [Double](repeating: .nan, count: columns)
        var h = [Double](repeating: .nan, count: columns * columns)
        var totals = simstudy_logit_totals()
        #expect(simstudy_logit_newton_pass_on(path, x, n, columns, y, beta, &e, &s, &h, &totals) == 1)
        #expect(zip(e, eta).allSatisfy { abs($0 - $1) <= 1e-14 * max(1, abs($1)) }, "\(name) η")
        #expect(zip(s, score).allSatisfy { abs($0 - $1) <= 1e-12 * Double(n) }, "\(name) score")
        #expect(zip(h, information).allSatisfy { abs($0 - $1) <= 1e-12 * Double(n) }, "\(name) information")
        // η is fused multiply-adds in the kernel: the largest margin agrees as η does.
        #expect(totals.correct == correct, "\(name) rows classified correctly")
        #expect(abs(totals.largestMargin - largest) <= 1e-14 * max(1, abs(largest)), "\(name) largest margin")
        #expect(abs(totals.linear - linear) <= 1e-12 * Double(n) && abs(totals.logProduct - logProduct) <= 1e-12 * Double(n), "\(name) deviance")
      }
    }
  }

  @Test func newtonPassRefusesWideDesigns() {
    var e = [0.0], s = [Double](repeating: 0, count: 5), h = [Double](repeating: 0, count: 25)
    var totals = simstudy_logit_totals()
    #expect(simstudy_logit_newton_pass([1, 1, 1, 1, 1], 1, 5, [1], [0, 0, 0, 0, 0], &e, &s, &h, &totals) == 0)
    #expect(simstudy_logit_newton_pass([], 0, 0, [], [], &e, &s, &h, &totals) == 0)
  }
}
