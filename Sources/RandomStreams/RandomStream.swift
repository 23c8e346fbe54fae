import Foundation
internal import CGSL
import LinearAlgebra

/// Errors of the GSL-backed numerical layer.
public enum RandomStreamError: Error, CustomStringConvertible {
  case allocationFailed
  case seedingFailed
  case invalidArgument(String)

  public var description: String {
    switch self {
    case .allocationFailed: "could not allocate a GSL random number generator"
    case .seedingFailed: "could not seed the mt19937 generator from its key"
    case .invalidArgument(let s): s
    }
  }
}

/// Switches GSL's abort-on-error handler off, once per process; every status is checked instead.
public let gslErrorHandlerOff: Void = { _ = gsl_set_error_handler_off() }()

/// One independent, reproducible stream of random numbers: a GSL mt19937 generator whose full
/// state is derived from a `StreamKey` (see there), never from a 32-bit seed.
///
/// A stream is mutable state owned by one replicate on one thread; it is deliberately not
/// `Sendable`. Every sampler takes the stream explicitly — there is no global generator.
public final class RandomStream {
  private let rng: OpaquePointer
  /// The key this stream was derived from.
  public let key: StreamKey

  /// A stream whose state is `init_by_array(key.words)`.
  public init(key: StreamKey) throws(RandomStreamError) {
    _ = gslErrorHandlerOff
    guard let r = gsl_rng_alloc(simstudy_rng_mt19937()) else { throw .allocationFailed }
    var words = key.words.isEmpty ? [0] : key.words
    let status = words.withUnsafeMutableBufferPointer { simstudy_mt19937_init_by_array(r, $0.baseAddress, Int32($0.count)) }
    if status != 0 {
      gsl_rng_free(r)
      throw .seedingFailed
    }
    self.rng = OpaquePointer(r)
    self.key = key
  }

  /// The stream of replicate `replicate` of a condition under a study seed.
  public convenience init(seed: UInt64, condition: String, replicate: Int) throws(RandomStreamError) {
    try self.init(key: StreamKey(seed: seed, condition: condition, replicate: replicate))
  }

  deinit { gsl_rng_free(UnsafeMutablePointer(rng)) }

  private var r: UnsafeMutablePointer<gsl_rng> { UnsafeMutablePointer(rng) }

  /// The next raw 32-bit output of mt19937.
  public func nextUInt32() -> UInt32 { UInt32(truncatingIfNeeded: gsl_rng_get(r)) }

  /// Uniform on [0, 1).
  public func uniform() -> Double { gsl_rng_uniform(r) }

  /// Uniform on (0, 1).
  public func uniformPositive() -> Double { gsl_rng_uniform_pos(r) }

  /// Uniform integer in 0..<n (n ≥ 1), without modulo bias.
  public func uniformInt(_ n: Int) -> Int {
    precondition(n >= 1 && n <= Int(UInt32.max), "uniformInt needs 1 ≤ n ≤ 2³²−1")
    return Int(gsl_rng_uniform_int(r, UInt(n)))
  }

  /// A normal draw N(mean, sd²) by Marsaglia & Tsang's ziggurat (GSL `gsl_ran_gaussian_ziggurat`).
  public func normal(mean: Double = 0, sd: Double = 1) -> Double { mean + gsl_ran_gaussian_ziggurat(r, sd) }

  /// `count` iid N(mean, sd²) draws.
  public func normals(_ count: Int, mean: Double = 0, sd: Double = 1) -> [Double] {
    let generator = r
    return [Double](unsafeUninitializedCapacity: count) { buffer, initialized in
      for i in 0..<count { buffer[i] = mean + gsl_ran_gaussian_ziggurat(generator, sd) }
      initialized = count
    }
  }

  /// A Bernoulli(p) draw (true with probability p).
  public func bernoulli(_ p: Double) -> Bool { gsl_rng_uniform(r) < p }

  /// An index drawn with probability proportional to `weights` (non-negative, positive sum).
  public func categorical(_ weights: [Double]) -> Int {
    let total = weights.reduce(0, +)
    precondition(total > 0 && weights.allSatisfy { $0 >= 0 }, "categorical weights must be non-negative with a positive sum")
    let u = gsl_rng_uniform(r) * total
    var acc = 0.0
    for (i, w) in weights.enumerated() {
      acc += w
      if u < acc { return i }
    }
    return weights.lastIndex { $0 > 0 }!
  }

  /// A uniformly random permutation of 0..<n (Fisher–Yates).
  public func permutation(_ n: Int) -> [Int] {
    var p = Array(0..<n)
    shuffle(&p)
    return p
  }

  /// Shuffles `a` in place uniformly (Fisher–Yates).
  public func shuffle<T>(_ a: inout [T]) {
    guard a.count > 1 else { return }
    for i in stride(from: a.count - 1, to: 0, by: -1) { a.swapAt(i, uniformInt(i + 1)) }
  }

  /// A draw from N(mean, Σ) given the lower Cholesky factor L of Σ: mean + L z.
  public func multivariateNormal(mean: [Double], covarianceFactor l: Cholesky) -> [Double] {
    let n = mean.count
    precondition(l.lower.rows == n, "mean and covariance sizes must agree")
    let z = normals(n)
    var x = mean
    for j in 0..<n where z[j] != 0 { for i in j..<n { x[i] += l.lower[i, j] * z[j] } }
    return x
  }

  /// A draw from N(mean, Σ); throws if Σ is not positive definite.
  public func multivariateNormal(mean: [Double], covariance: Matrix) throws(LinearAlgebraError) -> [Double] {
    multivariateNormal(mean: mean, covarianceFactor: try Cholesky(covariance))
  }
}

/// The GSL library serving the random numbers and special functions.
public enum GSL {
  /// GSL's version string, for the run manifest.
  public static var version: String { String(cString: simstudy_gsl_version()) }
}
