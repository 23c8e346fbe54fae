/// One stored result: a (condition, replicate, method, estimand) cell. Missing optional values
/// (no SE, no interval, no p-value) are NaN so rows stay flat and compact.
public struct ResultRow: Sendable, Equatable {
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
  public var truth: Double
  public var value: Double
  public var se: Double
  public var lower: Double
  public var upper: Double
  public var pValue: Double

  public init(
    condition: Int32, replicate: Int32, method: Int16, estimand: Int16, status: Status, truth: Double,
    value: Double, se: Double = .nan, lower: Double = .nan, upper: Double = .nan, pValue: Double = .nan
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

  public static func == (a: ResultRow, b: ResultRow) -> Bool {
    func same(_ x: Double, _ y: Double) -> Bool { x.bitPattern == y.bitPattern }
    return a.condition == b.condition && a.replicate == b.replicate && a.method == b.method
      && a.estimand == b.estimand && a.status == b.status && same(a.truth, b.truth) && same(a.value, b.value)
      && same(a.se, b.se) && same(a.lower, b.lower) && same(a.upper, b.upper) && same(a.pValue, b.pValue)
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
  func rows(of outcome: ReplicateOutcome, condition: Int, replicate: Int) -> (rows: [ResultRow], notes: [FailureNote]) {
    var rows: [ResultRow] = []
    var notes: [FailureNote] = []
    rows.reserveCapacity(methodNames.count * estimands.count)
    let c = Int32(condition)
    let rep = Int32(replicate)
    for (m, out) in outcome.methods.enumerated() {
      let status: ResultRow.Status =
        switch out.status {
        case .ok: .ok
        case .failed: .failed
        case .notConverged: .notConverged
        }
      if status != .ok {
        notes.append(FailureNote(condition: c, replicate: rep, method: Int16(m), status: status, message: out.message ?? status.label))
      }
      for (e, spec) in estimands.enumerated() {
        let truth = outcome.truth[spec.name] ?? .nan
        if status == .failed {
          rows.append(ResultRow(condition: c, replicate: rep, method: Int16(m), estimand: Int16(e), status: .failed, truth: truth, value: .nan))
          continue
        }
        guard let est = out.estimates.first(where: { $0.estimand == spec.name }) else { continue }
        rows.append(
          ResultRow(
            condition: c, replicate: rep, method: Int16(m), estimand: Int16(e),
            status: est.identified ? status : .notIdentified, truth: truth, value: est.value, se: est.se ?? .nan,
            lower: est.lower ?? .nan, upper: est.upper ?? .nan, pValue: est.pValue ?? .nan))
      }
    }
    return (rows, notes)
  }
}
