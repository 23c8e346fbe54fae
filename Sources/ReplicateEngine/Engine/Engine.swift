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

  /// Throws one sentence for replicates outside 1…2³¹−1 (replicates are stored as 32-bit
  /// integers) or threads outside 1…1024.
  public func check() throws(StudyError) {
    guard reps >= 1 else { throw .invalidArgument("--reps must be at least 1 (got \(reps))") }
    guard reps <= Int(Int32.max) else { throw .invalidArgument("--reps must be at most \(Int32.max) (got \(reps))") }
    guard threads >= 1 else { throw .invalidArgument("--threads must be at least 1 (got \(threads))") }
    guard threads <= 1024 else { throw .invalidArgument("--threads must be at most 1024 (got \(threads))") }
  }
}

/// Where the time of a run went (wall-clock seconds summed over worker threads).
public struct RunTiming: Sendable {
  public var wallSeconds: Double = 0
  public var generateSeconds: Double = 0
  public var methodSeconds: [Double] = []
  public var replicates: Int = 0
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
    let work = WorkList(study, conditions: conditions, reps: options.reps)
    let timing = try execute(study, conditions: conditions, work: work, options: options, sink: sink)
    let (rows, notes) = sink.sorted
    return RunResult(study: study, conditions: conditions, reps: options.reps, seed: options.seed, rows: rows, notes: notes, timing: timing)
  }

  /// Runs the items of `work` on `options.threads` threads into `sink`, after checking the study's definition,
  /// every condition (`validate`) and, on replicate 0 of the first item's condition, what the
  /// study's code does (`Study.preflight`).
  public static func execute(
    _ study: Study, conditions: [Condition], work: WorkList, options: RunOptions, sink: any ResultSink
  ) throws -> RunTiming {
    try options.check()
    try study.checkDefinition()
    for c in conditions { try validate(study, c, threads: options.threads) }
    if let first = work.first { try study.preflight(conditions[first.condition], seed: options.seed) }
    let progress = options.progress ? ProgressReporter(total: work.count) : nil
    return try BLAS.singleThreaded {
      try perform(study, conditions: conditions, work: work, options: options, sink: sink, progress: progress)
    }
  }

  private static func perform(
    _ study: Study, conditions: [Condition], work: WorkList, options: RunOptions, sink: any ResultSink,
    progress: ProgressReporter?
  ) throws -> RunTiming {
    let next = Atomic<Int>(0)
    let timing = Mutex(RunTiming(methodSeconds: Array(repeating: 0, count: study.methodNames.count)))
    let firstError = Mutex<Error?>(nil)
    let clock = ContinuousClock()
    let start = clock.now
    let positions = work.positions
    DispatchQueue.concurrentPerform(iterations: min(options.threads, max(1, work.count))) { _ in
      while firstError.withLock({ $0 == nil }) {
        let k = next.wrappingAdd(1, ordering: .relaxed).oldValue
        if k >= positions { break }
        guard let item = work.item(at: k) else { continue }
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

  /// Checks one condition against the study's own rules, and the memory its replicates need on
  /// `threads` threads against the machine's (so an impossible size is one sentence, never a
  /// failed allocation), as a one-sentence `StudyError`.
  public static func validate(_ study: Study, _ condition: Condition, threads: Int = 1) throws {
    do {
      try study.validate(condition)
    } catch let error as StudyError {
      throw error
    } catch {
      throw StudyError.impossibleCondition(condition: condition.canonical, reason: "\(error)")
    }
    let perReplicate = study.memory(condition)
    let available = Double(ProcessInfo.processInfo.physicalMemory)
    let gib = 1_073_741_824.0
    if perReplicate * Double(max(1, threads)) > 0.8 * available {
      func text(_ bytes: Double) -> String { String(format: "%.1f GiB", bytes / gib) }
      let fewer = threads > 1 && perReplicate <= 0.8 * available ? " or fewer --threads" : ""
      throw StudyError.impossibleCondition(
        condition: condition.canonical,
        reason: "one replicate needs about \(text(perReplicate)) (\(text(perReplicate * Double(max(1, threads))))"
          + " on \(threads) threads) and this machine has \(text(available)); choose smaller sizes\(fewer)")
    }
  }
}

