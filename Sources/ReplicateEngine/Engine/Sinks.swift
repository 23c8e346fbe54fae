import Synchronization

/// Everything one finished work item produced.
public struct ItemResult: Sendable {
  public let item: WorkItem
  public let rows: [ResultRow]
  public let notes: [FailureNote]
  public let generateSeconds: Double
  public let methodSeconds: [Double]
}

/// Where finished items go: kept in memory, or committed to a result store in batches. Worker
/// threads call `accept` concurrently, so implementations synchronise themselves.
public protocol ResultSink: Sendable {
  func accept(_ result: ItemResult) throws
  /// Called once after the last item (flush what is buffered).
  func finish() throws
}

/// Rows of a run, read back per condition for summaries: from memory or from a store.
public protocol RowSource {
  /// The rows of condition `condition` with replicate < `reps`, sorted by (replicate, method,
  /// estimand); `condition` in the returned rows is the index asked for.
  func rows(condition: Int, reps: Int) throws -> [ResultRow]
  /// The failure notes of that condition, sorted by (replicate, method).
  func notes(condition: Int, reps: Int) throws -> [FailureNote]
  /// The rows of one (condition, method, estimand) cell with replicate < `reps`, by replicate.
  func cellRows(condition: Int, method: Int, estimand: Int, reps: Int) throws -> [ResultRow]
  /// Replicates (< `reps`) of the condition where some method failed or did not converge.
  func unsuccessfulReplicates(condition: Int, reps: Int) throws -> Set<Int32>
}

extension RowSource {
  public func cellRows(condition: Int, method: Int, estimand: Int, reps: Int) throws -> [ResultRow] {
    try rows(condition: condition, reps: reps).filter { Int($0.method) == method && Int($0.estimand) == estimand }
  }

  public func unsuccessfulReplicates(condition: Int, reps: Int) throws -> Set<Int32> {
    Set(try rows(condition: condition, reps: reps).filter { $0.status == .failed || $0.status == .notConverged }.map(\.replicate))
  }
}

/// All rows of a finished in-memory run, grouped by condition and sorted by (replicate, method,
/// estimand), so everything computed from them is independent of thread count and scheduling.
public struct RunResult: Sendable, RowSource {
  public let study: Study
  public let conditions: [Condition]
  public let reps: Int
  public let seed: UInt64
  public var rows: [[ResultRow]]
  public var notes: [[FailureNote]]
  public var timing: RunTiming

  public func rows(condition: Int, reps: Int) -> [ResultRow] { rows[condition].filter { Int($0.replicate) < reps } }
  public func notes(condition: Int, reps: Int) -> [FailureNote] { notes[condition].filter { Int($0.replicate) < reps } }
}

/// Keeps every row in memory (tests, replays, small runs, recomputed replicates).
public final class MemorySink: ResultSink {
  private let state: Mutex<(rows: [[ResultRow]], notes: [[FailureNote]])>
  public init(conditions: Int) { state = Mutex((Array(repeating: [], count: conditions), Array(repeating: [], count: conditions))) }
  public func accept(_ r: ItemResult) {
    state.withLock {
      $0.rows[r.item.condition].append(contentsOf: r.rows)
      $0.notes[r.item.condition].append(contentsOf: r.notes)
    }
  }
  public func finish() {}
  /// The rows and notes per condition, sorted by (replicate, method, estimand) and (replicate, method).
  public var sorted: (rows: [[ResultRow]], notes: [[FailureNote]]) {
    var s = state.withLock { $0 }
    for c in s.rows.indices {
      s.rows[c].sort { ($0.replicate, $0.method, $0.estimand) < ($1.replicate, $1.method, $1.estimand) }
      s.notes[c].sort { ($0.replicate, $0.method) < ($1.replicate, $1.method) }
    }
    return s
  }
}

