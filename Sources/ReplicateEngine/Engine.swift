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

/// All rows of a finished run, grouped by condition and sorted by (replicate, method, estimand),
/// so everything computed from them is independent of thread count and scheduling order.
public struct RunResult: Sendable {
  public let study: Study
  public let conditions: [Condition]
  public let reps: Int
  public let seed: UInt64
  public var rows: [[ResultRow]]
  public var notes: [[FailureNote]]
  public var timing: RunTiming
}

/// The replicate engine: schedules every (condition, replicate) item across threads, runs all of a
/// study's methods on the same keyed draw, and collects the rows.
///
/// Scheduling is work sharing over the whole grid: one atomic counter hands out items in order of
/// decreasing condition cost, so costly conditions start first and no thread waits at a condition
/// boundary. Each item's stream is keyed by (seed, condition text, replicate), never by the thread
/// or the order, and rows are sorted before use: results are bit-identical for any thread count.
/// OpenBLAS is set single-threaded for the run so the cores are not oversubscribed.
public enum Engine {
  public static func run(_ study: Study, conditions: [Condition], options: RunOptions) throws -> RunResult {
    guard options.reps >= 1 else { throw StudyError.invalidArgument("--reps must be at least 1 (got \(options.reps))") }
    guard options.threads >= 1 else { throw StudyError.invalidArgument("--threads must be at least 1 (got \(options.threads))") }
    for c in conditions { try validate(study, c) }

    let order = conditions.indices.sorted { study.cost(conditions[$0]) > study.cost(conditions[$1]) }
    let total = conditions.count * options.reps
    let reps = options.reps
    let next = Atomic<Int>(0)
    struct Collected {
      var rows: [[ResultRow]]
      var notes: [[FailureNote]]
      var timing: RunTiming
    }
    let collected = Mutex(
      Collected(
        rows: Array(repeating: [], count: conditions.count), notes: Array(repeating: [], count: conditions.count),
        timing: RunTiming(methodSeconds: Array(repeating: 0, count: study.methodNames.count))))
    let progress = options.progress ? ProgressReporter(total: total) : nil
    let firstError = Mutex<Error?>(nil)

    let previousBLASThreads = BLAS.threads
    BLAS.setThreads(1)
    defer { BLAS.setThreads(previousBLASThreads) }
    let clock = ContinuousClock()
    let start = clock.now
    DispatchQueue.concurrentPerform(iterations: options.threads) { _ in
      while true {
        let item = next.wrappingAdd(1, ordering: .relaxed).oldValue
        if item >= total { break }
        let c = order[item / reps]
        let rep = item % reps
        do {
          let outcome = try study.replicate(conditions[c], index: rep, seed: options.seed)
          let (rows, notes) = study.rows(of: outcome, condition: c, replicate: rep)
          let failed = notes.count
          collected.withLock {
            $0.rows[c].append(contentsOf: rows)
            $0.notes[c].append(contentsOf: notes)
            $0.timing.generateSeconds += outcome.generateSeconds
            for (m, o) in outcome.methods.enumerated() { $0.timing.methodSeconds[m] += o.seconds }
            $0.timing.replicates += 1
          }
          progress?.advance(failures: failed)
        } catch {
          firstError.withLock { if $0 == nil { $0 = error } }
          break
        }
      }
    }
    progress?.finish()
    if let error = firstError.withLock({ $0 }) { throw error }
    var result = collected.withLock { $0 }
    result.timing.wallSeconds = (clock.now - start).seconds
    for c in result.rows.indices {
      result.rows[c].sort { ($0.replicate, $0.method, $0.estimand) < ($1.replicate, $1.method, $1.estimand) }
      result.notes[c].sort { ($0.replicate, $0.method) < ($1.replicate, $1.method) }
    }
    return RunResult(
      study: study, conditions: conditions, reps: options.reps, seed: options.seed, rows: result.rows,
      notes: result.notes, timing: result.timing)
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
