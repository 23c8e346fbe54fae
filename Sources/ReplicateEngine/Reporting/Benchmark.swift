/// One figure a benchmark reports (`study bench`): a name, a value and its unit, with a note
/// (sizes, the machine, what was counted).
public struct BenchmarkLine: Sendable {
  public let name: String
  public let value: Double
  public let unit: String
  public let note: String
  public init(_ name: String, _ value: Double, _ unit: String, note: String = "") {
    self.name = name
    self.value = value
    self.unit = unit
    self.note = note
  }
}

/// Wall-clock timing helpers for benchmarks (never for tests).
public enum Stopwatch {
  /// Seconds taken by `body`.
  public static func seconds(_ body: () throws -> Void) rethrows -> Double {
    let clock = ContinuousClock()
    let start = clock.now
    try body()
    return (clock.now - start).seconds
  }

  /// The median over `repeats` runs of `body` (after one warm-up run), in seconds.
  public static func median(repeats: Int, _ body: () throws -> Void) rethrows -> Double {
    try body()
    var times: [Double] = []
    for _ in 0..<max(1, repeats) { times.append(try seconds(body)) }
    return median(times)
  }

  /// The median of timings (or of any figures); NaN when there are none.
  public static func median(_ values: [Double]) -> Double {
    guard !values.isEmpty else { return .nan }
    let s = values.sorted()
    let n = s.count
    return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
  }
}

/// A named group of benchmarks that `study bench` runs (`--only NAME` picks one): a study family's
/// fit times, or the engine's throughput. `reps` is the replicates per timing run the user asked for.
/// `peers`, when set, says how to time the same designs with a peer (Python) script for
/// `study bench --peers DIR`; the script is never needed to build, test or run the family.
public struct BenchmarkFamily: Sendable {
  public let name: String
  public let lines: @Sendable (_ reps: Int) throws -> [BenchmarkLine]
  public let peers: PeerComparison?
  public init(
    name: String, lines: @escaping @Sendable (_ reps: Int) throws -> [BenchmarkLine], peers: PeerComparison? = nil
  ) {
    self.name = name
    self.lines = lines
    self.peers = peers
  }
}

/// How a benchmark family compares itself with a peer script (`study bench --peers DIR`): the
/// script (a file name inside DIR) and its arguments, a pure parser from the script's standard
/// output to seconds by label, and the pairs of one of our `BenchmarkLine`s (by name) with one of
/// the peer's labels. `note` says what each side counts.
public struct PeerComparison: Sendable {
  public struct Pair: Sendable {
    /// The name of one of the family's `BenchmarkLine`s (unit s, ms or µs).
    public let ours: String
    /// A label `parse` returns.
    public let theirs: String
    /// What the two figures count (shown in the comparison table).
    public let note: String
    public init(ours: String, theirs: String, note: String = "") {
      self.ours = ours
      self.theirs = theirs
      self.note = note
    }
  }

  /// A file name inside the peers directory, or an absolute path (a script shipped with SimStudy).
  public let script: String
  public let arguments: [String]
  public let pairs: [Pair]
  /// Seconds the script may run before it is stopped.
  public let timeout: Double
  /// Label → seconds, read from the script's standard output; labels it cannot find are absent.
  public let parse: @Sendable (_ stdout: String) -> [String: Double]

  public init(
    script: String, arguments: [String] = [], pairs: [Pair], timeout: Double = 300,
    parse: @escaping @Sendable (_ stdout: String) -> [String: Double]
  ) {
    self.script = script
    self.arguments = arguments
    self.pairs = pairs
    self.timeout = timeout
    self.parse = parse
  }
}

extension BenchmarkLine {
  /// The value in seconds when the unit is a time (s, ms, µs/us); nil otherwise.
  public var seconds: Double? {
    switch unit {
    case "s": value
    case "ms": value / 1e3
    case "µs", "us": value / 1e6
    default: nil
    }
  }
}
