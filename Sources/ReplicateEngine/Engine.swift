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

  /// Runs `items` on `options.threads` threads into `sink`, after checking the study's definition,
  /// every condition (`validate`) and, on replicate 0 of the first item's condition, what the
  /// study's code does (`Study.preflight`).
  public static func execute(
    _ study: Study, conditions: [Condition], items: [WorkItem], options: RunOptions, sink: any ResultSink
  ) throws -> RunTiming {
    guard options.reps >= 1 else { throw StudyError.invalidArgument("--reps must be at least 1 (got \(options.reps))") }
    guard options.threads >= 1 else { throw StudyError.invalidArgument("--threads must be at least 1 (got \(options.threads))") }
    try study.checkDefinition()
    for c in conditions { try validate(study, c) }
    if let first = items.first { try study.preflight(conditions[first.condition], seed: options.seed) }
    let progress = options.progress ? ProgressReporter(total: items.count) : nil
    return try BLAS.singleThreaded {
      try perform(study, conditions: conditions, items: items, options: options, sink: sink, progress: progress)
    }
  }

  private static func perform(
    _ study: Study, conditions: [Condition], items: [WorkItem], options: RunOptions, sink: any ResultSink,
    progress: ProgressReporter?
  ) throws -> RunTiming {
    let next = Atomic<Int>(0)
    let timing = Mutex(RunTiming(methodSeconds: Array(repeating: 0, count: study.methodNames.count)))
    let firstError = Mutex<Error?>(nil)
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

