/// One (condition, replicate) unit of work; `condition` indexes the run's condition list.
public struct WorkItem: Sendable, Hashable {
  public let condition: Int
  public let replicate: Int
  public init(condition: Int, replicate: Int) {
    self.condition = condition
    self.replicate = replicate
  }
}

/// `--shard i/n`: the items whose replicate ≡ i − 1 (mod n), stored in their own file.
public struct Shard: Sendable, Equatable {
  public let index: Int
  public let count: Int

  /// Shard `index` (1-based) of `count`; nil unless 1 ≤ index ≤ count.
  public init?(index: Int, count: Int) {
    guard count >= 1, index >= 1, index <= count else { return nil }
    self.index = index
    self.count = count
  }

  /// Parses "i/n".
  public init?(_ text: String) {
    let parts = text.split(separator: "/", omittingEmptySubsequences: false).map { Int($0) }
    guard parts.count == 2, let i = parts[0], let n = parts[1] else { return nil }
    self.init(index: i, count: n)
  }

  public func contains(_ item: WorkItem) -> Bool { item.replicate % count == index - 1 }
  public var fileName: String { "shard-\(index)-of-\(count).sqlite" }
}

/// The items a run computes, produced on demand: conditions by decreasing cost, each condition's
/// replicates in order, restricted to a shard and without those already done. Nothing is
/// materialised, so memory does not grow with `reps` (only with the items already done, which a
/// resumed run passes in); `count` is exact without enumerating.
public struct WorkList: Sendable {
  private enum Source: Sendable {
    case grid(order: [Int], perCondition: Int, offset: Int, stride: Int, done: Set<WorkItem>)
    case items([WorkItem])
  }
  private let source: Source
  /// The number of items to run.
  public let count: Int

  /// Replicates 0..<reps of every condition (of `shard` only, if given) except those in `done`,
  /// conditions in decreasing order of the study's `cost`.
  public init(_ study: Study, conditions: [Condition], reps: Int, shard: Shard? = nil, done: Set<WorkItem> = []) {
    let order = conditions.indices.sorted { study.cost(conditions[$0]) > study.cost(conditions[$1]) }
    let offset = (shard?.index ?? 1) - 1
    let stride = shard?.count ?? 1
    let perCondition = reps > offset ? (reps - offset + stride - 1) / stride : 0
    let skipped = done.count { $0.replicate < reps && $0.condition < conditions.count && (shard?.contains($0) ?? true) }
    source = .grid(order: order, perCondition: perCondition, offset: offset, stride: stride, done: done)
    count = order.count * perCondition - skipped
  }

  /// Exactly these items, in this order.
  public init(items: [WorkItem]) {
    source = .items(items)
    count = items.count
  }

  /// The number of candidate positions (`count` plus those skipped as done).
  var positions: Int {
    switch source {
    case .grid(let order, let perCondition, _, _, _): order.count * perCondition
    case .items(let items): items.count
    }
  }

  /// The item at candidate position `k`, or nil when it is already done.
  func item(at k: Int) -> WorkItem? {
    switch source {
    case .grid(let order, let perCondition, let offset, let stride, let done):
      let item = WorkItem(condition: order[k / perCondition], replicate: offset + (k % perCondition) * stride)
      return done.contains(item) ? nil : item
    case .items(let items):
      return items[k]
    }
  }

  /// The first item to run, if any.
  public var first: WorkItem? {
    guard count > 0 else { return nil }
    for k in 0..<positions { if let item = item(at: k) { return item } }
    return nil
  }
}
