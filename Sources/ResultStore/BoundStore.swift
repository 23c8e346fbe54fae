import Foundation
import GRDB
import ReplicateEngine
import Synchronization

/// A result store bound to one run's condition list: the sink the engine writes finished items to
/// and the source summaries read rows from, both addressed by the list's indices. Immutable but for
/// the batch of items not yet committed.
public final class BoundStore: ResultSink, RowSource, Sendable {
  public let store: ResultStore
  /// Store ids of the bound conditions, by the run's condition index.
  let conditionIDs: [Int64]
  let batchSize: Int
  let commitInterval: Double
  private let pending: Mutex<(items: [ItemResult], lastCommit: ContinuousClock.Instant)>

  init(store: ResultStore, conditionIDs: [Int64], batchSize: Int, commitInterval: Double) {
    self.store = store
    self.conditionIDs = conditionIDs
    self.batchSize = max(1, batchSize)
    self.commitInterval = commitInterval
    pending = Mutex(([], ContinuousClock.now))
  }

  private var db: DatabaseQueue { store.db }

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

  /// The first and last stored replicate of a condition, nil when none is stored.
  public func storedRange(condition: Int) throws -> ClosedRange<Int>? {
    try db.read { db in
      let row = try Row.fetchOne(
        db, sql: "SELECT min(replicate), max(replicate) FROM items WHERE condition = ?", arguments: [conditionIDs[condition]])
      guard let row, let first: Int = row[0], let last: Int = row[1] else { return nil }
      return first...last
    }
  }

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
              cid, r.item.replicate, Int(x.method), Int(x.estimand), Int(x.status.rawValue), x.truth, x.value, x.se,
              x.lower, x.upper, x.pValue, r.methodSeconds[Int(x.method)],
            ])
          }
          for n in r.notes {
            try note.execute(arguments: [cid, r.item.replicate, Int(n.method), Int(n.status.rawValue), n.message])
          }
          try item.execute(arguments: [cid, r.item.replicate, r.generateSeconds])
        }
      }
    } catch {
      throw ResultStore.failure(error, path: store.url.path)
    }
  }

  // MARK: RowSource

  private static let columns = "replicate, method, estimand, status, truth, value, se, lower, upper, p_value"

  private func row(_ r: Row, condition: Int) -> ResultRow {
    ResultRow(
      condition: Int32(condition), replicate: r[0], method: r[1], estimand: r[2],
      status: ResultRow.Status(rawValue: r[3]) ?? .failed, truth: r[4], value: r[5], se: r[6], lower: r[7], upper: r[8],
      pValue: r[9])
  }

  public func rows(condition: Int, reps: Int) throws -> [ResultRow] {
    try db.read { db in
      try Row.fetchAll(
        db, sql: "SELECT \(Self.columns) FROM rows WHERE condition = ? AND replicate < ? ORDER BY replicate, method, estimand",
        arguments: [conditionIDs[condition], reps]
      ).map { row($0, condition: condition) }
    }
  }

  /// The rows of one replicate of a condition, by (method, estimand).
  public func rows(condition: Int, replicate: Int) throws -> [ResultRow] {
    try db.read { db in
      try Row.fetchAll(
        db, sql: "SELECT \(Self.columns) FROM rows WHERE condition = ? AND replicate = ? ORDER BY method, estimand",
        arguments: [conditionIDs[condition], replicate]
      ).map { row($0, condition: condition) }
    }
  }

  public func cellRows(condition: Int, method: Int, estimand: Int, reps: Int) throws -> [ResultRow] {
    // A cursor, not fetchAll: only the compact rows are kept, whatever the number of replicates.
    try db.read { db in
      var out: [ResultRow] = []
      let cursor = try Row.fetchCursor(
        db,
        sql: """
          SELECT \(Self.columns) FROM rows
          WHERE condition = ? AND method = ? AND estimand = ? AND replicate < ? ORDER BY replicate
          """, arguments: [conditionIDs[condition], method, estimand, reps])
      while let r = try cursor.next() { out.append(row(r, condition: condition)) }
      return out
    }
  }

  public func unsuccessfulReplicates(condition: Int, reps: Int) throws -> Set<Int32> {
    try db.read { db in
      Set(
        try Int32.fetchAll(
          db, sql: "SELECT DISTINCT replicate FROM rows WHERE condition = ? AND replicate < ? AND status IN (?, ?)",
          arguments: [
            conditionIDs[condition], reps, Int(ResultRow.Status.failed.rawValue), Int(ResultRow.Status.notConverged.rawValue),
          ]))
    }
  }

  public func notes(condition: Int, reps: Int) throws -> [FailureNote] {
    try db.read { db in
      try Row.fetchAll(
        db, sql: "SELECT replicate, method, status, message FROM notes WHERE condition = ? AND replicate < ? ORDER BY replicate, method",
        arguments: [conditionIDs[condition], reps]
      ).map { r in
        FailureNote(condition: Int32(condition), replicate: r[0], method: r[1], status: ResultRow.Status(rawValue: r[2]) ?? .failed, message: r[3])
      }
    }
  }
}
