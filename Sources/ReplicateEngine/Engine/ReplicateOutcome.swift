import Estimators

/// The outcome of one method on one replicate, before it becomes store rows.
public struct MethodOutcome: Sendable {
  /// `.ok`, `.failed` (the method threw) or `.notConverged` (its fit said so); `.notIdentified` is
  /// per estimate, not per method.
  public var status: ResultRow.Status
  public var message: String?
  public var estimates: [Estimate]
  public var seconds: Double
  /// What the method threw, when it failed.
  public var error: (any Error)?
}

/// Everything one replicate produced: the truths, each method's outcome, and where the time went.
public struct ReplicateOutcome: Sendable {
  public var truth: [String: Double]
  public var methods: [MethodOutcome]
  /// Seconds spent drawing the data.
  public var generateSeconds: Double
  /// Set when drawing the data failed: every method is then recorded as failed with its message.
  public var generateError: (any Error)?
}
