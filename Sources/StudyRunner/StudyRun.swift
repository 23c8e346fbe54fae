import Foundation
import ReplicateEngine
import ResultStore

/// One run of a study, as a library call: the study checked, its grid built from the settings and
/// validated, then `execute()` opens or creates the store, checks that the current code still
/// reproduces what the store holds, runs the missing replicates, summarises and writes the results
/// folder. `baseline()`, `replay(…)`, and the static `show`, `check` and `merge` are the other things
/// the `study` command does; each command is argument parsing plus one of these calls.
public struct StudyRun: Sendable {
  public let study: Study
  public let settings: RunSettings
  /// The conditions of the run: the study's grid after `settings.settings`.
  public let conditions: [Condition]
  /// The seed in force: `settings.seed` or the study's own.
  public let seed: UInt64

  /// Checks the study's definition, the settings (replicates, threads, reference) and every
  /// condition of the grid, each failure as one sentence.
  public init(_ study: Study, _ settings: RunSettings = RunSettings()) throws {
    try study.checkDefinition()
    let seed = settings.seed ?? study.seed
    try RunOptions(reps: settings.reps, seed: seed, threads: settings.threads).check()
    let conditions = try study.grid(settings: settings.settings)
    for c in conditions { try Engine.validate(study, c, threads: settings.threads) }
    self.study = study
    self.settings = settings
    self.conditions = conditions
    self.seed = seed
    _ = try summarizer()  // checks the reference method
  }

  /// `results/NAME`.
  public var folder: URL { settings.results.appendingPathComponent(study.name) }

  /// The store the run resumes from and writes to.
  public var storeURL: URL { settings.store ?? folder.appendingPathComponent(settings.shard?.fileName ?? "store.sqlite") }

  private var options: RunOptions {
    RunOptions(reps: settings.reps, seed: seed, threads: settings.threads, progress: settings.progress)
  }

  private func summarizer() throws -> Summarizer {
    try Summarizer(study: study, conditions: conditions, reps: settings.reps, paired: settings.paired, reference: settings.reference)
  }

  /// What `execute()` did.
  public struct Outcome: Sendable {
    public let storeURL: URL
    /// Replicates computed by this run.
    public let newReplicates: Int
    /// Replicates (< reps) that were already stored.
    public let alreadyStored: Int
    public let wallSeconds: Double
    /// The check that the code still reproduces the store (nil for a new store).
    public let verification: Verification?
    /// The tables, also written to `folder` (nil for a shard, which is summarised after merging).
    public let report: Report?
  }

  /// Runs the study into its store, resuming, and writes summary.md/.csv/.tex and manifest.json
  /// (except for a shard). A second writer of the same store is refused (`StoreLock`). `log` receives progress sentences meant for stderr.
  public func execute(log: (String) -> Void = { _ in }) throws -> Outcome {
    let lock = try StoreLock(store: storeURL)  // one writer per store, held until the run ends
    defer { withExtendedLifetime(lock) {} }
    if settings.fresh { try ResultStore.remove(at: storeURL, study: study.name) }
    let store = try ResultStore(url: storeURL, fingerprint: StudyFingerprint(study: study, seed: seed))
    let bound = try store.bind(conditions)
    let verification = try verify(bound)
    if let verification {
      log("recomputed \(verification.replicates) stored replicates: the code still reproduces them (\(verification.rule))")
    }
    let done = try bound.completed(reps: settings.reps)
    let work = WorkList(study, conditions: conditions, reps: settings.reps, shard: settings.shard, done: done)
    if !done.isEmpty { log("resuming \(storeURL.path): \(done.count) replicates stored, \(work.count) to run") }
    if work.count > 0 { try store.recordWriter() }
    let timing = try Engine.execute(study, conditions: conditions, work: work, options: options, sink: bound)
    guard settings.shard == nil else {
      return Outcome(
        storeURL: storeURL, newReplicates: timing.replicates, alreadyStored: done.count, wallSeconds: timing.wallSeconds,
        verification: verification, report: nil)
    }
    let report = try self.report(from: bound)
    let manifest = Manifest(
      study: study, seed: seed, reps: settings.reps, conditions: conditions, threads: settings.threads,
      wallSeconds: timing.wallSeconds, newReplicates: timing.replicates)
    try report.write(to: folder, manifest: manifest)
    return Outcome(
      storeURL: storeURL, newReplicates: timing.replicates, alreadyStored: done.count, wallSeconds: timing.wallSeconds,
      verification: verification, report: report)
  }

  /// The run's tables from rows in a store or in memory.
  public func report(from source: any RowSource) throws -> Report {
    try summarizer().report(from: source, seed: seed)
  }

  /// Runs every replicate in memory (no store) and returns the tables.
  public func inMemory() throws -> Report {
    try report(from: try Engine.run(study, conditions: conditions, options: options))
  }

  /// Runs the study in memory and writes `folder/baseline.json` for `check`.
  public func baseline() throws -> (baseline: Baseline, url: URL) {
    let baseline = Baseline(
      report: try inMemory(), settings: settings.settings, codeVersion: SimStudyVersion.current,
      gitCommit: Manifest.currentGitCommit())
    let url = folder.appendingPathComponent("baseline.json")
    do {
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
      try Data(baseline.json.utf8).write(to: url, options: .atomic)
    } catch {
      throw StudyError.io("cannot write \(url.path): check that the results folder is writable or pass --results DIR")
    }
    return (baseline, url)
  }
}
