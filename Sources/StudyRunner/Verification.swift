import Foundation
import ReplicateEngine
import ResultStore

/// The check, on resuming or extending a store, that the current code still computes what the
/// store holds: the first and last stored replicate of every condition of the run are recomputed
/// and compared row by row with the stored ones. Without it an edited estimator would silently mix
/// old-code and new-code replicates in one summary.
///
/// The rule depends on where the stored rows came from. Rows computed by this machine and build
/// (`BuildEnvironment.descriptor`, recorded in the store) must be identical to the last bit. Rows
/// from another machine or build may differ in the last bits — OpenBLAS picks its kernel by CPU, so
/// the same code on another node is not bit-identical — so those are compared to a relative
/// `tolerance` (far below any Monte Carlo error), and discrete estimands and statuses still exactly.
public struct Verification: Sendable {
  /// Replicates recomputed.
  public let replicates: Int
  /// Whether the comparison was bit for bit.
  public let exact: Bool

  /// The relative tolerance for rows from another machine or build.
  public static let tolerance = 1e-6

  /// How the rows were compared, for messages.
  public var rule: String {
    exact
      ? "compared bit for bit: the store was filled by this machine and build"
      : "compared to a relative \(Verification.tolerance): the store was filled on another machine or build, whose last bits may differ"
  }
}

extension StudyRun {
  /// Recomputes the first and last stored replicate of each condition and compares them with the
  /// store; throws `StoreError.codeChanged` naming the methods whose numbers changed. nil when the
  /// store holds none of the run's conditions yet.
  func verify(_ bound: BoundStore) throws -> Verification? {
    var items: [WorkItem] = []
    for c in conditions.indices {
      guard let range = try bound.storedRange(condition: c) else { continue }
      items.append(WorkItem(condition: c, replicate: range.lowerBound))
      if range.upperBound != range.lowerBound { items.append(WorkItem(condition: c, replicate: range.upperBound)) }
    }
    guard !items.isEmpty else { return nil }
    let exact = bound.store.machine == BuildEnvironment.descriptor
    let sink = MemorySink(conditions: conditions.count)
    _ = try Engine.execute(
      study, conditions: conditions, work: WorkList(items: items),
      options: RunOptions(reps: settings.reps, seed: seed, threads: settings.threads), sink: sink)
    let recomputed = sink.sorted.rows
    var changed: [String] = []
    var example: String?
    for item in items {
      let stored = try bound.rows(condition: item.condition, replicate: item.replicate)
      let fresh = recomputed[item.condition].filter { Int($0.replicate) == item.replicate }
      func key(_ r: ResultRow) -> Int { Int(r.method) << 16 | Int(r.estimand) }
      let old = Dictionary(stored.map { (key($0), $0) }, uniquingKeysWith: { a, _ in a })
      let new = Dictionary(fresh.map { (key($0), $0) }, uniquingKeysWith: { a, _ in a })
      for k in Set(old.keys).union(new.keys).sorted() {
        let method = study.methodNames[k >> 16]
        let estimand = study.estimands[k & 0xFFFF]
        let tolerance = exact || estimand.kind == .discrete ? 0 : Verification.tolerance
        if let a = old[k], let b = new[k], a.sameNumbers(as: b, tolerance: tolerance) { continue }
        if !changed.contains(method) { changed.append(method) }
        if example == nil {
          example =
            "replicate \(item.replicate) of \(conditions[item.condition].canonical): \(method)'s \(estimand.name) "
            + Self.difference(old[k], new[k])
        }
      }
    }
    let verification = Verification(replicates: items.count, exact: exact)
    guard changed.isEmpty else {
      let who = changed.count == study.methodNames.count ? "every method (or the data-generating step)" : "method " + changed.joined(separator: ", ")
      throw StoreError.codeChanged(
        path: bound.store.url.path, study: study.name, detail: "\(who) now gives different numbers, e.g. \(example ?? "")",
        rule: verification.rule)
    }
    return verification
  }

  /// "SE was 0.1, now 0.11": the first field in which two rows of one cell differ.
  static func difference(_ old: ResultRow?, _ new: ResultRow?) -> String {
    guard let old, let new else { return old == nil ? "was not stored, now is" : "was stored, now is not reported" }
    if old.status != new.status { return "was \(old.status.label), now \(new.status.label)" }
    func text(_ x: Double?) -> String { x.map { String(format: "%.12g", $0) } ?? "none" }
    let fields: [(String, Double?, Double?)] = [
      ("value", old.value, new.value), ("SE", old.se, new.se), ("lower limit", old.lower, new.lower),
      ("upper limit", old.upper, new.upper), ("p-value", old.pValue, new.pValue), ("truth", old.truth, new.truth),
    ]
    for (name, a, b) in fields where a?.bitPattern != b?.bitPattern {
      return "\(name) was \(text(a)), now \(text(b))"
    }
    return "differs"
  }
}
