import Estimators

/// One stored result: a (condition, replicate, method, estimand) cell. What a method did not give
/// (an SE, an interval, a p-value; the value itself when it failed or could not identify the
/// estimand) is nil, and stays nil until the storage boundary (SQL NULL).
public struct ResultRow: Sendable, Equatable {
  /// How a method fared on a replicate; the one status type of the engine, the store and the tables.
  public enum Status: UInt8, Sendable {
    case ok = 0
    case failed = 1
    case notConverged = 2
    case notIdentified = 3

    public var label: String {
      switch self {
      case .ok: "ok"
      case .failed: "failed"
      case .notConverged: "not converged"
      case .notIdentified: "not identified"
      }
    }
  }

  public var condition: Int32
  public var replicate: Int32
  public var method: Int16
  public var estimand: Int16
  public var status: Status
  /// The truth the replicate was drawn under (nil for a score, which has none).
  public var truth: Double?
  public var value: Double?
  public var se: Double?
  public var lower: Double?
  public var upper: Double?
  public var pValue: Double?

  public init(
    condition: Int32, replicate: Int32, method: Int16, estimand: Int16, status: Status, truth: Double?,
    value: Double?, se: Double? = nil, lower: Double? = nil, upper: Double? = nil, pValue: Double? = nil
  ) {
    self.condition = condition
    self.replicate = replicate
    self.method = method
    self.estimand = estimand
    self.status = status
    self.truth = truth
    self.value = value
    self.se = se
    self.lower = lower
    self.upper = upper
    self.pValue = pValue
  }

  /// Equal to the last bit (NaN equals NaN of the same pattern; nil only equals nil).
  public static func == (a: ResultRow, b: ResultRow) -> Bool {
    a.condition == b.condition && a.replicate == b.replicate && a.method == b.method && a.estimand == b.estimand
      && a.sameNumbers(as: b, tolerance: 0)
  }

  /// The same status and numbers as `other`, each within `tolerance` relative to max(1, |x|)
  /// (0: to the last bit). Which replicate or cell the rows belong to is not compared.
  public func sameNumbers(as other: ResultRow, tolerance: Double) -> Bool {
    func same(_ x: Double?, _ y: Double?) -> Bool {
      switch (x, y) {
      case (nil, nil): return true
      case (let x?, let y?):
        if x.bitPattern == y.bitPattern { return true }
        return tolerance > 0 && x.isFinite && y.isFinite && abs(x - y) <= tolerance * max(1, abs(x))
      default: return false
      }
    }
    return status == other.status && same(truth, other.truth) && same(value, other.value) && same(se, other.se)
      && same(lower, other.lower) && same(upper, other.upper) && same(pValue, other.pValue)
  }
}

/// A method's failure message on one replicate (kept per condition × method, first few distinct).
public struct FailureNote: Sendable, Equatable {
  public var condition: Int32
  public var replicate: Int32
  public var method: Int16
  public var status: ResultRow.Status
  public var message: String

  public init(condition: Int32, replicate: Int32, method: Int16, status: ResultRow.Status, message: String) {
    self.condition = condition
    self.replicate = replicate
    self.method = method
    self.status = status
    self.message = message
  }
}

extension Study {
  /// Turns one replicate's outcome into rows: one per (method, estimand); a method that failed
  /// gets a failed row for every estimand, and an estimand a method did not report is not stored.
  /// A NaN a method or the DGP gave is kept as nil, as the store keeps it.
  func rows(of outcome: ReplicateOutcome, condition: Int, replicate: Int) -> (rows: [ResultRow], notes: [FailureNote]) {
    var rows: [ResultRow] = []
    var notes: [FailureNote] = []
    rows.reserveCapacity(methodNames.count * estimands.count)
    let c = Int32(condition)
    let rep = Int32(replicate)
    for (m, out) in outcome.methods.enumerated() {
      if out.status != .ok {
        notes.append(FailureNote(condition: c, replicate: rep, method: Int16(m), status: out.status, message: out.message ?? out.status.label))
      }
      for (e, spec) in estimands.enumerated() {
        let truth = present(outcome.truth[spec.name])
        if out.status == .failed {
          rows.append(ResultRow(condition: c, replicate: rep, method: Int16(m), estimand: Int16(e), status: .failed, truth: truth, value: nil))
          continue
        }
        guard let est = out.estimates.first(where: { $0.estimand == spec.name }) else { continue }
        rows.append(
          ResultRow(
            condition: c, replicate: rep, method: Int16(m), estimand: Int16(e),
            status: est.identified ? out.status : .notIdentified, truth: truth, value: est.identified ? present(est.value) : nil,
            se: present(est.se), lower: present(est.lower), upper: present(est.upper), pValue: present(est.pValue)))
      }
    }
    return (rows, notes)
  }
}

/// nil for nil and NaN: what a row keeps of an optional number.
private func present(_ x: Double?) -> Double? { x.flatMap { $0.isNaN ? nil : $0 } }
