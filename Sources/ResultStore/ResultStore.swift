import Foundation
import GRDB
import ReplicateEngine

/// A crash-safe store of one study run's rows: one SQLite database (WAL mode) with a row per
/// (condition, replicate, method, estimand), the completed items, failure messages, the study's
/// fingerprint and the build environment that computed the rows.
///
/// Opening checks the fingerprint; `bind(_:)` gives the handle that writes and reads rows by the
/// run's condition indices (`BoundStore`). Rows are committed in batches, each one transaction
/// together with its items, so killing the process at any moment loses at most the items not yet
/// committed; a new run resumes with exactly the missing items.
public final class ResultStore: Sendable {
  public let url: URL
  public let fingerprint: StudyFingerprint
  /// `BuildEnvironment.descriptor` of the machine and build that filled the store; "mixed" once
  /// rows from several went in; nil for a store written before it was recorded.
  public let machine: String?
  let db: DatabaseQueue

  /// The value of `machine` once rows from more than one build environment are in the store.
  public static let mixedMachines = "mixed"

  /// Opens (or creates) the store at `url` for `fingerprint`. An existing file is first checked
  /// read-only, so a foreign or corrupt file and a store of another study definition are refused
  /// without being touched.
  public init(url: URL, fingerprint: StudyFingerprint) throws {
    self.url = url
    self.fingerprint = fingerprint
    let fm = FileManager.default
    if fm.fileExists(atPath: url.path) {
      let stored = try Self.readFingerprint(url, checkPages: true)
      let diff = fingerprint.differences(from: stored)
      if !diff.isEmpty { throw StoreError.definitionMismatch(path: url.path, storedStudy: stored.study, differences: diff) }
    } else {
      do {
        try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
      } catch {
        throw StoreError.folderFailure(url.deletingLastPathComponent())
      }
    }
    do {
      var config = Configuration()
      config.journalMode = .wal
      config.busyMode = .timeout(10)
      db = try DatabaseQueue(path: url.path, configuration: config)
      machine = try db.write { db in
        try db.execute(sql: Self.schema)
        if try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'fingerprint'") == nil {
          let json = String(decoding: try JSONEncoder().encode(fingerprint), as: UTF8.self)
          try db.execute(
            sql: "INSERT INTO meta(key, value) VALUES ('fingerprint', ?), ('format', '1'), ('machine', ?)",
            arguments: [json, BuildEnvironment.descriptor])
        }
        return try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'machine'")
      }
    } catch {
      throw Self.failure(error, path: url.path)
    }
  }

  static let schema = """
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS conditions (id INTEGER PRIMARY KEY, canonical TEXT NOT NULL UNIQUE);
    CREATE TABLE IF NOT EXISTS items (
      condition INTEGER NOT NULL, replicate INTEGER NOT NULL, generate_seconds REAL NOT NULL,
      PRIMARY KEY (condition, replicate)) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS rows (
      condition INTEGER NOT NULL, replicate INTEGER NOT NULL, method INTEGER NOT NULL, estimand INTEGER NOT NULL,
      status INTEGER NOT NULL, truth REAL, value REAL, se REAL, lower REAL, upper REAL, p_value REAL, seconds REAL,
      PRIMARY KEY (condition, replicate, method, estimand)) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS notes (
      condition INTEGER NOT NULL, replicate INTEGER NOT NULL, method INTEGER NOT NULL, status INTEGER NOT NULL,
      message TEXT NOT NULL, PRIMARY KEY (condition, replicate, method)) WITHOUT ROWID;
    """

  static func reason(_ error: Error) -> String {
    if let e = error as? DatabaseError { return e.message ?? "\(e.resultCode)" }
    return "\(error)"
  }

  /// A failure on the store at `path` as its `StoreError` diagnosis (read-only, full, locked,
  /// damaged, …).
  static func failure(_ error: Error, path: String) -> StoreError {
    if let e = error as? StoreError { return e }
    if let e = error as? DatabaseError {
      return .diagnose(sqliteCode: e.resultCode.rawValue, message: e.message ?? "\(e.resultCode)", path: path)
    }
    return .cannotWrite(path: path, reason: "\(error)")
  }

  /// The fingerprint stored in an existing file, read without modifying it. With `checkPages`,
  /// SQLite's `quick_check` runs first (read-only too), so a store with damaged pages is
  /// diagnosed before anything is computed or written, not at the first commit.
  public static func readFingerprint(_ url: URL, checkPages: Bool = false) throws -> StudyFingerprint {
    var config = Configuration()
    config.readonly = true
    // Another connection may hold the file's lock for a moment (a run committing a batch, or the
    // first opener after a crash replaying the WAL): wait for it as the writer does, rather than
    // calling a busy store unreadable.
    config.busyMode = .timeout(10)
    let json: String?
    do {
      let q = try DatabaseQueue(path: url.path, configuration: config)
      json = try q.read { db in
        guard try db.tableExists("meta") else { return nil }
        if checkPages {
          let check = try String.fetchAll(db, sql: "PRAGMA quick_check")
          if check != ["ok"] {
            let lines = check.flatMap { $0.split(separator: "\n") }.filter { !$0.hasPrefix("***") }
            throw StoreError.corrupt(path: url.path, reason: lines.first.map(String.init) ?? "quick_check failed")
          }
        }
        return try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'fingerprint'")
      }
      try q.close()
    } catch let e as StoreError {
      throw e
    } catch let e as DatabaseError where e.resultCode == .SQLITE_CORRUPT {
      throw StoreError.corrupt(path: url.path, reason: reason(e))
    } catch {
      throw StoreError.notAStore(path: url.path, reason: reason(error))
    }
    guard let json, let fp = try? JSONDecoder().decode(StudyFingerprint.self, from: Data(json.utf8)) else {
      throw StoreError.notAStore(path: url.path, reason: nil)
    }
    return fp
  }

  /// Deletes the store of study `study` at `url` and its WAL files (for `--fresh`). Refuses, with
  /// nothing removed, a directory, a file that is not a SimStudy store, and a store of another study.
  public static func remove(at url: URL, study: String) throws {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else { return }
    if isDirectory.boolValue { throw StoreError.refusedRemoval(path: url.path, reason: "is a folder") }
    let stored: StudyFingerprint
    do { stored = try readFingerprint(url) } catch {
      throw StoreError.refusedRemoval(path: url.path, reason: "is not a SimStudy store")
    }
    guard stored.study == study else {
      throw StoreError.refusedRemoval(path: url.path, reason: "is a store of study \(stored.study)")
    }
    for suffix in ["", "-wal", "-shm"] {
      let f = URL(fileURLWithPath: url.path + suffix)
      if FileManager.default.fileExists(atPath: f.path) {
        do { try FileManager.default.removeItem(at: f) } catch {
          throw StoreError.cannotWrite(path: f.path, reason: "cannot remove it for --fresh")
        }
      }
    }
  }

  /// Binds a run's condition list (inserting unseen conditions) and returns the handle that writes
  /// and reads rows by the list's indices. `batchSize` items go in one transaction, and a batch is
  /// committed at least every `commitInterval` seconds.
  public func bind(_ conditions: [Condition], batchSize: Int = 256, commitInterval: Double = 1) throws -> BoundStore {
    do {
      let ids = try db.write { db in
        try conditions.map { c in
          try db.execute(sql: "INSERT OR IGNORE INTO conditions(canonical) VALUES (?)", arguments: [c.canonical])
          return try Int64.fetchOne(db, sql: "SELECT id FROM conditions WHERE canonical = ?", arguments: [c.canonical])!
        }
      }
      return BoundStore(store: self, conditionIDs: ids, batchSize: batchSize, commitInterval: commitInterval)
    } catch {
      throw Self.failure(error, path: url.path)
    }
  }

  /// Records that rows computed in this build environment go in: `machine` becomes "mixed" when
  /// it was another (so later resumes compare recomputed replicates to a tolerance, not exactly).
  public func recordWriter() throws {
    guard machine != BuildEnvironment.descriptor, machine != Self.mixedMachines else { return }
    try markMixed()
  }

  func markMixed() throws {
    do {
      try db.write { db in
        try db.execute(sql: "INSERT OR REPLACE INTO meta(key, value) VALUES ('machine', ?)", arguments: [Self.mixedMachines])
      }
    } catch {
      throw Self.failure(error, path: url.path)
    }
  }

  /// Number of completed items in the whole store.
  public func itemCount() throws -> Int { try db.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM items") ?? 0 } }

  /// SQLite's own integrity check ("ok" when the file is sound).
  public func integrityCheck() throws -> String {
    try db.read { try String.fetchAll($0, sql: "PRAGMA integrity_check").joined(separator: "; ") }
  }
}
