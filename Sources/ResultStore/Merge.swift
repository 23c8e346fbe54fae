import Foundation
import GRDB
import ReplicateEngine

extension ResultStore {
  /// Copies every row of the stores at `sources` into this one. Refuses, before writing anything,
  /// a source of another study definition, and rows present in both that disagree in any field.
  /// Runs as one transaction: either everything is merged or nothing is. Rows from another build
  /// environment mark the store's `machine` as mixed.
  public func merge(_ sources: [URL]) throws -> Int {
    for s in sources {
      let fp = try Self.readFingerprint(s)
      let diff = fingerprint.differences(from: fp)
      if !diff.isEmpty { throw StoreError.mergeMismatch(path: s.path, differences: diff) }
    }
    var added = 0
    var otherMachines = false
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
              throw StoreError.mergeConflict(path: sources[k].path, condition: c[0], replicate: c[1])
            }
            let before = try Int.fetchOne(db, sql: "SELECT count(*) FROM main.items") ?? 0
            try db.execute(sql: "INSERT OR IGNORE INTO main.rows SELECT m.tid, r.replicate, r.method, r.estimand, r.status, r.truth, r.value, r.se, r.lower, r.upper, r.p_value, r.seconds FROM \(a).rows r JOIN temp.cmap m ON r.condition = m.sid")
            try db.execute(sql: "INSERT OR IGNORE INTO main.notes SELECT m.tid, n.replicate, n.method, n.status, n.message FROM \(a).notes n JOIN temp.cmap m ON n.condition = m.sid")
            try db.execute(sql: "INSERT OR IGNORE INTO main.items SELECT m.tid, i.replicate, i.generate_seconds FROM \(a).items i JOIN temp.cmap m ON i.condition = m.sid")
            added += (try Int.fetchOne(db, sql: "SELECT count(*) FROM main.items") ?? 0) - before
            let machine = try String.fetchOne(db, sql: "SELECT value FROM \(a).meta WHERE key = 'machine'")
            if machine == nil || machine != self.machine { otherMachines = true }
          }
          return .commit
        }
      }
    } catch let e as StoreError {
      throw e
    } catch {
      throw Self.failure(error, path: url.path)
    }
    if added > 0 && otherMachines && machine != Self.mixedMachines { try markMixed() }
    return added
  }
}
