import Foundation
import LinearAlgebra
import Synchronization

/// How a run is carried out; none of these change any number in the results.
public struct RunOptions: Sendable {
  public var reps: Int
  public var seed: UInt64
  public var threads: Int
  /// Progress on stderr while the run goes.
  public var progress: Bool
  public init(reps: Int, seed: UInt64, threads: Int = ProcessInfo.processInfo.activeProcessorCount, progress: Bool = false) {
    self.reps = reps
    self.seed = seed
    self.threads = threads
    self.progress = progress
  }
}

/// Where the time of a run went (wall-clock seconds summed over worker threads).
public struct RunTiming: Sendable {
  public var wallSeconds: Double = 0
  public var generateSeconds: Double = 0
  public var methodSeconds: [Double] = []
  public var replicates: Int = 0
}

/// One (condition, replicate) unit of work; `condition` indexes the run's condition list.
public struct WorkItem: Sendable, Hashable {
  public let condition: Int
  public let replicate: Int
  public init(condition: Int, replicate: Int) {
    self.condition = condition
    self.replicate = replicate
  }
}

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

/// Keeps every row in memory (tests, replays, small runs).
final class MemorySink: ResultSink {
  private let state: Mutex<(rows: [[ResultRow]], notes: [[FailureNote]])>
  init(conditions: Int) { state = Mutex((Array(repeating: [], count: conditions), Array(repeating: [], count: conditions))) }
  func accept(_ r: ItemResult) {
    state.withLock {
      $0.rows[r.item.condition].append(contentsOf: r.rows)
      $0.notes[r.item.condition].append(contentsOf: r.notes)
    }
  }
  func finish() {}
  var sorted: (rows: [[ResultRow]], notes: [[FailureNote]]) {
    var s = state.withLock { $0 }
    for c in s.rows.indices {
      s.rows[c].sort { ($0.replicate, $0.method, $0.estimand) < ($1.replicate, $1.method, $1.estimand) }
      s.notes[c].sort { ($0.replicate, $0.method) < ($1.replicate, $1.method) }
    }
    return s
  }
}

/// The replicate engine: schedules (condition, replicate) items across threads, runs all of a
/// study's methods on the same keyed draw, and hands the rows to a sink.
///
/// Scheduling is work sharing over the whole grid: one atomic counter hands out items in order of
/// decreasing condition cost, so costly conditions start first and no thread waits at a condition
/// boundary. Each item's stream is keyed by (seed, condition text, replicate), never by the thread
/// or the order, and rows are sorted before use: results are bit-identical for any thread count.
/// OpenBLAS is set single-threaded for the run so the cores are not oversubscribed.
public enum Engine {
  /// Runs every replicate of every condition in memory.
  public static func run(_ study: Study, conditions: [Condition], options: RunOptions) throws -> RunResult {
    let sink = MemorySink(conditions: conditions.count)
    let items = schedule(study, conditions: conditions, reps: options.reps)
    let timing = try execute(study, conditions: conditions, items: items, options: options, sink: sink)
    let (rows, notes) = sink.sorted
    return RunResult(study: study, conditions: conditions, reps: options.reps, seed: options.seed, rows: rows, notes: notes, timing: timing)
  }

  /// Every item of the grid in scheduling order: conditions by decreasing cost, then replicates.
  public static func schedule(_ study: Study, conditions: [Condition], reps: Int, keep: (WorkItem) -> Bool = { _ in true }) -> [WorkItem] {
    let order = conditions.indices.sorted { study.cost(conditions[$0]) > study.cost(conditions[$1]) }
    return order.flatMap { c in (0..<reps).map { WorkItem(condition: c, replicate: $0) } }.filter(keep)
  }

  /// Runs `items` on `options.threads` threads into `sink`.
  public static func execute(
    _ study: Study, conditions: [Condition], items: [WorkItem], options: RunOptions, sink: any ResultSink
  ) throws -> RunTiming {
    guard options.reps >= 1 else { throw StudyError.invalidArgument("--reps must be at least 1 (got \(options.reps))") }
    guard options.threads >= 1 else { throw StudyError.invalidArgument("--threads must be at least 1 (got \(options.threads))") }
    for c in conditions { try validate(study, c) }

    let next = Atomic<Int>(0)
    let timing = Mutex(RunTiming(methodSeconds: Array(repeating: 0, count: study.methodNames.count)))
    let progress = options.progress ? ProgressReporter(total: items.count) : nil
    let firstError = Mutex<Error?>(nil)
    let previousBLASThreads = BLAS.threads
    BLAS.setThreads(1)
    defer { BLAS.setThreads(previousBLASThreads) }
    let clock = ContinuousClock()
    let start = clock.now
    DispatchQueue.concurrentPerform(iterations: min(options.threads, max(1, items.count))) { _ in
      while firstError.withLock({ $0 == nil }) {
        let k = next.wrappingAdd(1, ordering: .relaxed).oldValue
        if k >= items.count { break }
        let item = items[k]
        do {
          let outcome = try study.replicate(conditions[item.condition], index: item.replicate, seed: options.seed)
          let (rows, notes) = study.rows(of: outcome, condition: item.condition, replicate: item.replicate)
          let methodSeconds = outcome.methods.map(\.seconds)
          try sink.accept(
            ItemResult(item: item, rows: rows, notes: notes, generateSeconds: outcome.generateSeconds, methodSeconds: methodSeconds))
          timing.withLock {
            $0.generateSeconds += outcome.generateSeconds
            for (m, s) in methodSeconds.enumerated() { $0.methodSeconds[m] += s }
            $0.replicates += 1
          }
          progress?.advance(failures: notes.count { $0.status == .failed })
        } catch {
          firstError.withLock { if $0 == nil { $0 = error } }
          break
        }
      }
    }
    progress?.finish()
    if let error = firstError.withLock({ $0 }) { throw error }
    try sink.finish()
    var result = timing.withLock { $0 }
    result.wallSeconds = (clock.now - start).seconds
    return result
  }

  /// Checks one condition against the study's own rules, as a one-sentence `StudyError`.
  public static func validate(_ study: Study, _ condition: Condition) throws {
    do {
      try study.validate(condition)
    } catch let error as StudyError {
      throw error
    } catch {
      throw StudyError.impossibleCondition(condition: condition.canonical, reason: "\(error)")
    }
  }
}

/// Progress on stderr: a bar with rate, ETA and failures on a terminal, a plain line every few
/// seconds otherwise.
final class ProgressReporter: Sendable {
  private struct State {
    var done = 0
    var failures = 0
    var lastPrint: ContinuousClock.Instant
  }
  private let total: Int
  private let start: ContinuousClock.Instant
  private let isTerminal: Bool
  private let state: Mutex<State>

  init(total: Int) {
    self.total = total
    start = ContinuousClock.now
    isTerminal = isatty(2) != 0
    state = Mutex(State(lastPrint: ContinuousClock.now))
  }

  func advance(failures: Int) {
    state.withLock { s in
      s.done += 1
      s.failures += failures
      let now = ContinuousClock.now
      if (now - s.lastPrint).seconds >= (isTerminal ? 0.2 : 5) {
        s.lastPrint = now
        emit(s, now: now)
      }
    }
  }

  func finish() {
    state.withLock { s in
      emit(s, now: ContinuousClock.now)
      if isTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
    }
  }

  private func emit(_ s: State, now: ContinuousClock.Instant) {
    let elapsed = max((now - start).seconds, 1e-9)
    let rate = Double(s.done) / elapsed
    let eta = rate > 0 ? Double(total - s.done) / rate : 0
    let share = Double(s.done) / Double(max(total, 1))
    let text = String(
      format: "%d/%d replicates  %.0f/s  ETA %@  failures %d", s.done, total, rate, Self.clockText(eta), s.failures)
    if isTerminal {
      let width = 24
      let filled = Int(share * Double(width))
      let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
      FileHandle.standardError.write(Data("\r[\(bar)] \(text)  ".utf8))
    } else {
      FileHandle.standardError.write(Data((text + "\n").utf8))
    }
  }

  private static func clockText(_ seconds: Double) -> String {
    let s = Int(seconds.rounded())
    return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
  }
}
