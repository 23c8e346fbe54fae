import Foundation
import ReplicateEngine
import ResultStore
import StudyRunner
import Testing
import TestSupport

private func scratchStore() -> URL {
  FileManager.default.temporaryDirectory.appendingPathComponent("simstudy-store-\(UUID().uuidString)/store.sqlite")
}

/// A sink that fails after `limit` items, like a process killed mid-run (what was committed stays).
private final class CrashingSink: ResultSink, @unchecked Sendable {
  let inner: BoundStore
  let limit: Int
  private var seen = 0
  private let lock = NSLock()
  init(_ inner: BoundStore, after limit: Int) {
    self.inner = inner
    self.limit = limit
  }
  struct Crash: Error {}
  func accept(_ r: ItemResult) throws {
    lock.lock()
    seen += 1
    let crash = seen > limit
    lock.unlock()
    if crash { throw Crash() }
    try inner.accept(r)
  }
  func finish() throws {}
}

/// Runs a study into a store through the library call the command line makes (resuming), and
/// returns the summary CSV and the new item count.
private func runIntoStore(
  _ study: Study, _ url: URL, reps: Int, seed: UInt64 = 9, threads: Int = 2, shard: Shard? = nil
) throws -> (csv: String, ran: Int) {
  let settings = RunSettings(
    reps: reps, seed: seed, threads: threads, results: url.deletingLastPathComponent(), store: url, shard: shard)
  let run = try StudyRun(study, settings)
  let outcome = try run.execute()
  return (try outcome.report?.csv ?? run.report(from: try storeRows(study, url, seed: seed)).csv, outcome.newReplicates)
}

/// The rows of a store, bound to the study's default conditions.
private func storeRows(_ study: Study, _ url: URL, seed: UInt64 = 9) throws -> BoundStore {
  try ResultStore(url: url, fingerprint: StudyFingerprint(study: study, seed: seed)).bind(study.defaultConditions)
}

private func memoryCSV(_ study: Study, reps: Int, seed: UInt64 = 9) throws -> String {
  Report(try Engine.run(study, conditions: study.defaultConditions, options: RunOptions(reps: reps, seed: seed, threads: 2))).csv
}

@Suite struct ResultStoreTests {
  @Test func storeSummaryEqualsInMemorySummary() throws {
    let url = scratchStore()
    defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
    let (csv, ran) = try runIntoStore(toyStudy(), url, reps: 150)
    #expect(ran == 600)
    #expect(csv == (try memoryCSV(toyStudy(), reps: 150)))
  }

  /// Interrupted runs resume with only the missing items; the final summary is byte-identical to an
  /// uninterrupted run, and the file passes SQLite's integrity check.
  @Test func resumeAfterCrashIsByteIdentical() throws {
    let url = scratchStore()
    defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
    let study = toyStudy()
    for limit in [37, 211, 150] {
      let store = try ResultStore(url: url, fingerprint: StudyFingerprint(study: study, seed: 9))
        .bind(study.defaultConditions, batchSize: 16)
      let done = try store.completed(reps: 150)
      let work = WorkList(study, conditions: study.defaultConditions, reps: 150, done: done)
      #expect(throws: CrashingSink.Crash.self) {
        try Engine.execute(
          study, conditions: study.defaultConditions, work: work, options: RunOptions(reps: 150, seed: 9, threads: 2),
          sink: CrashingSink(store, after: limit))
      }
    }
    let (csv, ran) = try runIntoStore(study, url, reps: 150)
    #expect(ran < 600)
    #expect(csv == (try memoryCSV(study, reps: 150)))
    let store = try ResultStore(url: url, fingerprint: StudyFingerprint(study: study, seed: 9))
    #expect(try store.integrityCheck() == "ok")
  }

  @Test func moreReplicatesComputeOnlyTheNewOnes() throws {
    let url = scratchStore()
    defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
    _ = try runIntoStore(toyStudy(), url, reps: 100)
    let (csv, ran) = try runIntoStore(toyStudy(), url, reps: 200)
    #expect(ran == 400)  // 4 conditions × 100 new replicates
    #expect(csv == (try memoryCSV(toyStudy(), reps: 200)))
    // Asking for fewer replicates than stored summarises the first ones and runs nothing.
    let (csv50, ran50) = try runIntoStore(toyStudy(), url, reps: 50)
    let expected50 = try memoryCSV(toyStudy(), reps: 50)
    #expect(ran50 == 0)
    #expect(csv50 == expected50)
  }

  @Test func threeShardsMergedEqualOneRun() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("simstudy-shards-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    let study = toyStudy()
    var shards: [URL] = []
    for i in 0..<3 {
      let u = dir.appendingPathComponent("shard-\(i + 1)-of-3.sqlite")
      _ = try runIntoStore(study, u, reps: 120, threads: 1, shard: Shard(index: i + 1, count: 3))
      shards.append(u)
    }
    let merged = dir.appendingPathComponent("store.sqlite")
    let target = try ResultStore(url: merged, fingerprint: StudyFingerprint(study: study, seed: 9))
    #expect(try target.merge(shards) == 480)
    #expect(try target.merge(shards) == 0)  // merging again adds nothing and does not conflict
    let (csv, ran) = try runIntoStore(study, merged, reps: 120)
    #expect(ran == 0)
    #expect(csv == (try memoryCSV(study, reps: 120)))
  }

  /// A store whose rows disagree with the target (same definition, different estimator output) is
  /// refused as a whole: nothing is written.
  @Test func mergeRefusesDisagreeingRowsAndOtherDefinitions() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("simstudy-merge-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    let study = toyStudy()
    let a = dir.appendingPathComponent("a.sqlite")
    let b = dir.appendingPathComponent("b.sqlite")
    _ = try runIntoStore(study, a, reps: 30)
    let perturbed = study.perturbed(method: "median") { e in
      var e = e
      e.value += 1
      return e
    }
    _ = try runIntoStore(perturbed, b, reps: 40)
    let target = try ResultStore(url: a, fingerprint: StudyFingerprint(study: study, seed: 9))
    let before = try target.itemCount()
    #expect(throws: StoreError.self) { try target.merge([b]) }
    #expect(try target.itemCount() == before)
    let other = dir.appendingPathComponent("other.sqlite")
    _ = try runIntoStore(study, other, reps: 5, seed: 10)
    do {
      _ = try target.merge([other])
      Issue.record("merging a store with another seed must fail")
    } catch {
      #expect("\(error)".contains("seed 10 ≠ 9"))
    }
  }

  /// A changed definition is refused with what differs and how to proceed; the file is untouched.
  @Test func changedDefinitionIsRefusedWithoutTouchingTheStore() throws {
    let url = scratchStore()
    defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
    _ = try runIntoStore(toyStudy(), url, reps: 10)
    let bytes = try Data(contentsOf: url)
    do {
      _ = try ResultStore(url: url, fingerprint: StudyFingerprint(study: toyStudy(failing: false), seed: 9))
      Issue.record("a different method list must be refused")
    } catch {
      let message = "\(error)"
      #expect(message.contains("methods") && message.contains("--fresh") && message.contains("--store"))
    }
    #expect(try Data(contentsOf: url) == bytes)
  }

  @Test func foreignOrCorruptFilesAreRefusedUntouched() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("simstudy-foreign-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let garbage = dir.appendingPathComponent("garbage.sqlite")
    let junk = Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 7919) })
    try junk.write(to: garbage)
    #expect(throws: StoreError.self) { try ResultStore(url: garbage, fingerprint: StudyFingerprint(study: toyStudy(), seed: 9)) }
    #expect(try Data(contentsOf: garbage) == junk)
    // A real SQLite database of something else.
    let foreign = dir.appendingPathComponent("foreign.sqlite")
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3", "-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('create table t(x)'); c.commit()", foreign.path]
    try p.run()
    p.waitUntilExit()
    let original = try Data(contentsOf: foreign)
    do {
      _ = try ResultStore(url: foreign, fingerprint: StudyFingerprint(study: toyStudy(), seed: 9))
      Issue.record("a foreign database must be refused")
    } catch {
      #expect("\(error)".contains("is not a readable SimStudy store"))
    }
    #expect(try Data(contentsOf: foreign) == original)
  }
}

/// Sets the build environment a store says filled it (as if it came from another node).
private func pretendFilledElsewhere(_ url: URL) throws {
  let p = Process()
  p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
  p.arguments = [
    "python3", "-c",
    "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(\"update meta set value='another node' where key='machine'\"); c.commit()",
    url.path,
  ]
  try p.run()
  p.waitUntilExit()
  #expect(p.terminationStatus == 0)
}

/// The toy study with `method`'s estimates moved by `shift` times max(1, |value|): an edited
/// estimator behind the same name and the same fingerprint.
private func edited(_ method: String, relative shift: Double) -> Study {
  toyStudy().perturbed(method: method) { e in
    var e = e
    e.value += shift * max(1, abs(e.value))
    return e
  }
}

@Suite struct StoreVerificationTests {
  /// Resuming with unchanged code recomputes the first and last stored replicate of each condition
  /// and finds them identical to the last bit (same machine and build).
  @Test func unchangedCodeResumesAndIsComparedExactly() throws {
    let url = scratchStore()
    defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
    _ = try runIntoStore(toyStudy(), url, reps: 30)
    let outcome = try StudyRun(toyStudy(), RunSettings(reps: 45, seed: 9, threads: 2, results: url.deletingLastPathComponent(), store: url))
      .execute()
    #expect(outcome.newReplicates == 60 && outcome.alreadyStored == 120)
    #expect(outcome.verification?.replicates == 8 && outcome.verification?.exact == true)
  }

  /// A method edited between two runs (same name, same settings, so the same fingerprint) is caught
  /// on resume: the run stops naming that method, before anything new is stored.
  @Test func anEditedMethodIsCaughtOnResume() throws {
    let url = scratchStore()
    defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
    _ = try runIntoStore(toyStudy(), url, reps: 50)
    let before = try storeRows(toyStudy(), url).store.itemCount()
    let settings = RunSettings(reps: 60, seed: 9, threads: 2, results: url.deletingLastPathComponent(), store: url)
    do {
      _ = try StudyRun(edited("median", relative: 1e-12), settings).execute()
      Issue.record("a method that changed its numbers must be refused")
    } catch let error as StoreError {
      let text = "\(error)"
      #expect(text.contains("method median now gives different numbers") && !text.contains("mean,"), "\(text)")
      #expect(text.contains("bit for bit") && text.contains("--fresh") && text.contains("--store"))
    }
    #expect(try storeRows(toyStudy(), url).store.itemCount() == before)
    // --fresh starts over with the edited code.
    var fresh = settings
    fresh.fresh = true
    #expect(try StudyRun(edited("median", relative: 1e-12), fresh).execute().newReplicates == 240)
  }

  /// Rows from another machine (another OpenBLAS kernel) may differ in the last bits: compared to a
  /// relative 1e-6, a 1e-12 difference passes and a 1e-4 difference is still caught; the store is
  /// then marked as holding rows from mixed machines.
  @Test func anotherMachineIsComparedWithinATolerance() throws {
    let url = scratchStore()
    defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
    _ = try runIntoStore(toyStudy(), url, reps: 20)
    try pretendFilledElsewhere(url)
    let settings = RunSettings(reps: 25, seed: 9, threads: 2, results: url.deletingLastPathComponent(), store: url)
    #expect(throws: StoreError.self) { try StudyRun(edited("mean", relative: 1e-4), settings).execute() }
    let outcome = try StudyRun(edited("mean", relative: 1e-12), settings).execute()
    #expect(outcome.verification?.exact == false && outcome.newReplicates == 20)
    #expect(try storeRows(toyStudy(), url).store.machine == ResultStore.mixedMachines)
  }
}

@Suite struct StoreSafetyTests {
  /// One writer per store: while a lock is held, a run of the same store is refused naming the
  /// holder's process; a reader still reads; once the holder is gone the run goes ahead.
  @Test func aSecondWriterIsRefusedWithTheHoldersPID() throws {
    let url = scratchStore()
    defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
    _ = try runIntoStore(toyStudy(), url, reps: 10)
    var holder: StoreLock? = try StoreLock(store: url)
    let settings = RunSettings(reps: 20, seed: 9, threads: 2, results: url.deletingLastPathComponent(), store: url)
    #expect(throws: StoreError.locked(path: url.path, pid: getpid())) { try StudyRun(toyStudy(), settings).execute() }
    var fresh = settings
    fresh.fresh = true
    #expect(throws: StoreError.locked(path: url.path, pid: getpid())) { try StudyRun(toyStudy(), fresh).execute() }
    #expect(try storeRows(toyStudy(), url).store.itemCount() == 40)
    withExtendedLifetime(holder) {}
    holder = nil
    #expect(try StudyRun(toyStudy(), settings).execute().newReplicates == 40)
  }

  /// A store with damaged pages is diagnosed when it is opened — before any replicate is
  /// computed — with a sentence that says so, and the file is left as it was.
  @Test func aCorruptStoreIsDiagnosedBeforeAnythingRuns() throws {
    let url = scratchStore()
    defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
    _ = try runIntoStore(toyStudy(), url, reps: 400)
    let handle = try FileHandle(forUpdating: url)
    try handle.seek(toOffset: 4096 * 3)
    handle.write(Data(repeating: 0xA5, count: 4096 * 2))
    try handle.close()
    let damaged = try Data(contentsOf: url)
    do {
      _ = try StudyRun(toyStudy(), RunSettings(reps: 500, seed: 9, threads: 2, results: url.deletingLastPathComponent(), store: url))
        .execute()
      Issue.record("a damaged store must be refused")
    } catch let error as StoreError {
      guard case .corrupt = error else {
        Issue.record("expected a diagnosis of damage, got: \(error)")
        return
      }
      #expect("\(error)".contains("is damaged") && !"\(error)".contains("--fresh"))
    }
    #expect(try Data(contentsOf: url) == damaged)
  }
}
