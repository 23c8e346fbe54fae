import Foundation
import GRDB
import ReplicateEngine
import Synchronization

/// The identity of a study definition that a store's rows belong to: study name, factor names and
/// kinds, seed, methods with their settings, estimands, and the package version. Rows from a
/// different definition must never be mixed in. Factor *values* are not part of it: streams are
/// keyed by each condition's content, so a store can hold any set of conditions of one design
/// (adding `--set N=400` later reuses nothing wrongly and recomputes nothing needlessly).
public struct StudyFingerprint: Codable, Equatable, Sendable {
  public var study: String
  public var factors: [String]
  public var seed: UInt64
  public var methods: [String]
  public var estimands: [String]
  public var version: String

  public init(study: Study, seed: UInt64) {
    self.study = study.name
    factors = study.factors.map { "\($0.name):\($0.kind.rawValue)" }
    self.seed = seed
    methods = zip(study.methodNames, study.methodSettings).map { $1.isEmpty ? $0 : "\($0) [\($1)]" }
    estimands = study.estimands.map { "\($0.name):\($0.kind.rawValue)" }
    version = SimStudyVersion.current
  }

  /// Human-readable differences ("seed 1 ≠ 2", …), empty when equal.
  public func differences(from other: StudyFingerprint) -> [String] {
    var d: [String] = []
    if study != other.study { d.append("study '\(other.study)' ≠ '\(study)'") }
    if factors != other.factors { d.append("factors [\(other.factors.joined(separator: ", "))] ≠ [\(factors.joined(separator: ", "))]") }
    if seed != other.seed { d.append("seed \(other.seed) ≠ \(seed)") }
    if methods != other.methods { d.append("methods [\(other.methods.joined(separator: "; "))] ≠ [\(methods.joined(separator: "; "))]") }
    if estimands != other.estimands { d.append("estimands [\(other.estimands.joined(separator: ", "))] ≠ [\(estimands.joined(separator: ", "))]") }
    if version != other.version { d.append("package version \(other.version) ≠ \(version)") }
    return d
  }
}

/// A crash-safe store of one study run's rows: one SQLite database (WAL mode) with a row per
/// (condition, replicate, method, estimand), the completed items, and failure messages.
///
/// Rows are committed in batches, each batch one transaction together with its items, so killing
/// the process at any moment loses at most the items not yet committed; a new run resumes with
/// exactly the missing items. NaN (a missing SE, interval or p-value) is stored as NULL.
public final class ResultStore: ResultSink, RowSource, @unchecked Sendable {
  public let url: URL
  public let fingerprint: StudyFingerprint
  private let db: DatabaseQueue
  /// Store ids of the bound conditions, by the run's condition index.
  private var conditionIDs: [Int64] = []
  private let pending: Mutex<(items: [ItemResult], lastCommit: ContinuousClock.Instant)>
  /// Items per transaction; also committed at least every `commitInterval` seconds.
  public var batchSize = 256
  public var commitInterval = 1.0

  /// Opens (or creates) the store at `url` for `fingerprint`. An existing file is first checked
  /// read-only, so a foreign or corrupt file and a store of another study definition are refused
  /// without being touched.
  public init(url: URL, fingerprint: StudyFingerprint) throws {
    self.url = url
    self.fingerprint = fingerprint
    pending = Mutex(([], ContinuousClock.now))
    let fm = FileManager.default
    if fm.fileExists(atPath: url.path) {
      let stored = try Self.readFingerprint(url)
      let diff = fingerprint.differences(from: stored)
      if !diff.isEmpty {
        throw StudyError.io(
          "the store \(url.path) holds a different definition of \(stored.study) (\(diff.joined(separator: "; "))): "
            + "rerun with --fresh to start over, or --store PATH to keep both")
      }
    } else {
      do {
        try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
      } catch {
        throw StudyError.io("cannot create the folder \(url.deletingLastPathComponent().path): check that it is writable or pass --results DIR")
      }
    }
    do {
      var config = Configuration()
      config.journalMode = .wal
      config.busyMode = .timeout(10)
      db = try DatabaseQueue(path: url.path, configuration: config)
      try db.write { db in
        try db.execute(sql: Self.schema)
        if try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'fingerprint'") == nil {
          let json = String(decoding: try JSONEncoder().encode(fingerprint), as: UTF8.self)
          try db.execute(sql: "INSERT INTO meta(key, value) VALUES ('fingerprint', ?), ('format', '1')", arguments: [json])
        }
      }
    } catch let e as StudyError {
      throw e
    } catch {
      throw StudyError.io("cannot open the store \(url.path) for writing (\(Self.reason(error))): check the folder's permissions or pass --store PATH")
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

  private static func reason(_ error: Error) -> String {
    if let e = error as? DatabaseError { return e.message ?? "\(e.resultCode)" }
    return "\(error)"
  }

  /// The fingerprint stored in an existing file, read without modifying it.
  public static func readFingerprint(_ url: URL) throws -> StudyFingerprint {
    var config = Configuration()
    config.readonly = true
    let json: String?
    do {
      let q = try DatabaseQueue(path: url.path, configuration: config)
      json = try q.read { db in
        guard try db.tableExists("meta") else { return nil }
        return try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'fingerprint'")
      }
      try q.close()
    } catch {
      throw StudyError.io("\(url.path) is not a readable SimStudy store (\(reason(error))): move it away, or rerun with --fresh to replace it")
    }
    guard let json, let fp = try? JSONDecoder().decode(StudyFingerprint.self, from: Data(json.utf8)) else {
      throw StudyError.io("\(url.path) is not a SimStudy store: move it away, or rerun with --fresh to replace it")
    }
    return fp
  }

  /// Deletes a store and its WAL files (for `--fresh`).
  public static func remove(at url: URL) throws {
    for suffix in ["", "-wal", "-shm"] {
      let f = URL(fileURLWithPath: url.path + suffix)
      if FileManager.default.fileExists(atPath: f.path) {
        do { try FileManager.default.removeItem(at: f) } catch {
          throw StudyError.io("cannot remove \(f.path) for --fresh: check its permissions")
        }
      }
    }
  }

  /// Binds the run's condition list (inserting unseen conditions) so rows can be addressed by index.
  public func bind(_ conditions: [Condition]) throws {
    conditionIDs = try db.write { db in
      try conditions.map { c in
        try db.execute(sql: "INSERT OR IGNORE INTO conditions(canonical) VALUES (?)", arguments: [c.canonical])
        return try Int64.fetchOne(db, sql: "SELECT id FROM conditions WHERE canonical = ?", arguments: [c.canonical])!
      }
    }
  }

  /// The bound conditions' completed items with replicate < reps.
  public func completed(reps: Int) throws -> Set<WorkItem> {
    let index = Dictionary(uniqueKeysWithValues: conditionIDs.enumerated().map { ($1, $0) })
    return try db.read { db in
      var done = Set<WorkItem>()
      let cursor = try Row.fetchCursor(db, sql: "SELECT condition, replicate FROM items WHERE replicate < ?", arguments: [reps])
      while let row = try cursor.next() {
        if let c = index[row[0]] { done.insert(WorkItem(condition: c, replicate: row[1])) }
      }
      return done
    }
  }

  /// Number of completed items in the whole store.
  public func itemCount() throws -> Int { try db.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM items") ?? 0 } }

  // MARK: ResultSink

  public func accept(_ result: ItemResult) throws {
    try pending.withLock { p in
      p.items.append(result)
      let now = ContinuousClock.now
      if p.items.count >= batchSize || (now - p.lastCommit).seconds >= commitInterval {
        try commit(p.items)
        p.items.removeAll(keepingCapacity: true)
        p.lastCommit = now
      }
    }
  }

  public func finish() throws {
    try pending.withLock { p in
      try commit(p.items)
      p.items.removeAll()
    }
  }

  private func commit(_ items: [ItemResult]) throws {
    guard !items.isEmpty else { return }
    do {
      try db.write { db in
        let item = try db.makeStatement(sql: "INSERT OR REPLACE INTO items VALUES (?, ?, ?)")
        let row = try db.makeStatement(sql: "INSERT OR REPLACE INTO rows VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        let note = try db.makeStatement(sql: "INSERT OR REPLACE INTO notes VALUES (?, ?, ?, ?, ?)")
        for r in items {
          let cid = conditionIDs[r.item.condition]
          for x in r.rows {
            try row.execute(arguments: [
              cid, r.item.replicate, Int(x.method), Int(x.estimand), Int(x.status.rawValue), Self.db(x.truth),
              Self.db(x.value), Self.db(x.se), Self.db(x.lower), Self.db(x.upper), Self.db(x.pValue),
              r.methodSeconds[Int(x.method)],
            ])
          }
          for n in r.notes {
            try note.execute(arguments: [cid, r.item.replicate, Int(n.method), Int(n.status.rawValue), n.message])
          }
          try item.execute(arguments: [cid, r.item.replicate, r.generateSeconds])
        }
      }
    } catch {
      throw StudyError.io("cannot write to the store \(url.path) (\(Self.reason(error))): is the disk full or the folder read-only?")
    }
  }

  private static func db(_ x: Double) -> Double? { x.isNaN ? nil : x }

  // MARK: RowSource

  public func rows(condition: Int, reps: Int) throws -> [ResultRow] {
    let cid = conditionIDs[condition]
    return try db.read { db in
      try Row.fetchAll(
        db,
        sql: """
          SELECT replicate, method, estimand, status, truth, value, se, lower, upper, p_value FROM rows
          WHERE condition = ? AND replicate < ? ORDER BY replicate, method, estimand
          """, arguments: [cid, reps]
      ).map { r in
        ResultRow(
          condition: Int32(condition), replicate: r[0], method: r[1], estimand: r[2],
          status: ResultRow.Status(rawValue: r[3]) ?? .failed, truth: r[4] ?? .nan, value: r[5] ?? .nan, se: r[6] ?? .nan,
          lower: r[7] ?? .nan, upper: r[8] ?? .nan, pValue: r[9] ?? .nan)
      }
    }
  }

  public func cellRows(condition: Int, method: Int, estimand: Int, reps: Int) throws -> [ResultRow] {
    let cid = conditionIDs[condition]
    // A cursor, not fetchAll: only the compact rows are kept, whatever the number of replicates.
    return try db.read { db in
      var out: [ResultRow] = []
      let cursor = try Row.fetchCursor(
        db,
        sql: """
          SELECT replicate, status, truth, value, se, lower, upper, p_value FROM rows
          WHERE condition = ? AND method = ? AND estimand = ? AND replicate < ? ORDER BY replicate
          """, arguments: [cid, method, estimand, reps])
      while let r = try cursor.next() {
        out.append(
          ResultRow(
            condition: Int32(condition), replicate: r[0], method: Int16(method), estimand: Int16(estimand),
            status: ResultRow.Status(rawValue: r[1]) ?? .failed, truth: r[2] ?? .nan, value: r[3] ?? .nan, se: r[4] ?? .nan,
            lower: r[5] ?? .nan, upper: r[6] ?? .nan, pValue: r[7] ?? .nan))
      }
      return out
    }
  }

  public func unsuccessfulReplicates(condition: Int, reps: Int) throws -> Set<Int32> {
    let cid = conditionIDs[condition]
    return try db.read { db in
      Set(
        try Int32.fetchAll(
          db, sql: "SELECT DISTINCT replicate FROM rows WHERE condition = ? AND replicate < ? AND status IN (?, ?)",
          arguments: [cid, reps, Int(ResultRow.Status.failed.rawValue), Int(ResultRow.Status.notConverged.rawValue)]))
    }
  }

  public func notes(condition: Int, reps: Int) throws -> [FailureNote] {
    let cid = conditionIDs[condition]
    return try db.read { db in
      try Row.fetchAll(
        db, sql: "SELECT replicate, method, status, message FROM notes WHERE condition = ? AND replicate < ? ORDER BY replicate, method",
        arguments: [cid, reps]
      ).map { r in
        FailureNote(condition: Int32(condition), replicate: r[0], method: r[1], status: ResultRow.Status(rawValue: r[2]) ?? .failed, message: r[3])
      }
    }
  }

  /// SQLite's own integrity check ("ok" when the file is sound).
  public func integrityCheck() throws -> String {
    try db.read { try String.fetchAll($0, sql: "PRAGMA integrity_check").joined(separator: "; ") }
  }

  /// Copies every row of the stores at `sources` into this one. Refuses, before writing anything,
  /// a source of another study definition, and rows present in both that disagree in any field.
  /// Runs as one transaction: either everything is merged or nothing is.
  public func merge(_ sources: [URL]) throws -> Int {
    for s in sources {
      let fp = try Self.readFingerprint(s)
      let diff = fingerprint.differences(from: fp)
      if !diff.isEmpty {
        throw StudyError.io("cannot merge \(s.path): it holds a different study definition (\(diff.joined(separator: "; ")))")
      }
    }
    var added = 0
    do {
      try db.writeWithoutTransaction { db in
        for (k, s) in sources.enumerated() {
          let alias = "src\(k)"
          try db.execute(sql: "ATTACH DATABASE ? AS \(alias)", arguments: [s.path])
        }
        defer { for k in sources.indices { try? db.execute(sql: "DETACH DATABASE src\(k)") } }
        try db.inTransaction {
          for k in sources.indices {
            let a = "src\(k)"
            try db.execute(sql: "INSERT OR IGNORE INTO main.conditions(canonical) SELECT canonical FROM \(a).conditions")
            try db.execute(sql: "DROP TABLE IF EXISTS temp.cmap")
            try db.execute(sql: "CREATE TEMP TABLE cmap AS SELECT s.id AS sid, t.id AS tid FROM \(a).conditions s JOIN main.conditions t USING (canonical)")
            let conflicts = try Row.fetchAll(
              db,
              sql: """
                SELECT c.canonical, r.replicate FROM \(a).rows r JOIN temp.cmap m ON r.condition = m.sid
                JOIN main.rows t ON t.condition = m.tid AND t.replicate = r.replicate AND t.method = r.method AND t.estimand = r.estimand
                JOIN main.conditions c ON c.id = m.tid
                WHERE NOT (t.status IS r.status AND t.truth IS r.truth AND t.value IS r.value AND t.se IS r.se
                  AND t.lower IS r.lower AND t.upper IS r.upper AND t.p_value IS r.p_value) LIMIT 1
                """)
            if let c = conflicts.first {
              throw StudyError.io(
                "cannot merge \(sources[k].path): its replicate \(c[1] as Int) of \(c[0] as String) disagrees with rows already merged; nothing was written")
            }
            let before = try Int.fetchOne(db, sql: "SELECT count(*) FROM main.items") ?? 0
            try db.execute(sql: "INSERT OR IGNORE INTO main.rows SELECT m.tid, r.replicate, r.method, r.estimand, r.status, r.truth, r.value, r.se, r.lower, r.upper, r.p_value, r.seconds FROM \(a).rows r JOIN temp.cmap m ON r.condition = m.sid")
            try db.execute(sql: "INSERT OR IGNORE INTO main.notes SELECT m.tid, n.replicate, n.method, n.status, n.message FROM \(a).notes n JOIN temp.cmap m ON n.condition = m.sid")
            try db.execute(sql: "INSERT OR IGNORE INTO main.items SELECT m.tid, i.replicate, i.generate_seconds FROM \(a).items i JOIN temp.cmap m ON i.condition = m.sid")
            added += (try Int.fetchOne(db, sql: "SELECT count(*) FROM main.items") ?? 0) - before
          }
          return .commit
        }
      }
    } catch let e as StudyError {
      throw e
    } catch {
      throw StudyError.io("cannot merge into \(url.path) (\(Self.reason(error))); nothing was written")
    }
    return added
  }
}

/// The package version recorded in fingerprints, manifests and baselines.
public enum SimStudyVersion {
  public static let current = "0.1.0"
}
