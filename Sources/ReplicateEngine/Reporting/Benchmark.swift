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
    times.sort()
    let n = times.count
    return n % 2 == 1 ? times[n / 2] : (times[n / 2 - 1] + times[n / 2]) / 2
  }
}

/// A named group of benchmarks that `study bench` runs (`--only NAME` picks one): a study family's
/// fit times, or the engine's throughput. `reps` is the replicates per timing run the user asked for.
public struct BenchmarkFamily: Sendable {
  public let name: String
  public let lines: @Sendable (_ reps: Int) throws -> [BenchmarkLine]
  public init(name: String, lines: @escaping @Sendable (_ reps: Int) throws -> [BenchmarkLine]) {
    self.name = name
    self.lines = lines
  }
}
