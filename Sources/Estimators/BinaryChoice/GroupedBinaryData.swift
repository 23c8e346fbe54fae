import LinearAlgebra

/// A binary outcome observed on individuals nested in groups, with one individual-level covariate
/// x and one group-level covariate z: the data every binary-choice estimator here takes.
///
/// Individuals are stored group by group (a stable counting sort of the input), so group g is the
/// contiguous range `groupStart[g] ..< groupStart[g + 1]` and every estimator works on contiguous
/// slices. Groups without individuals are dropped at construction (with their z).
public struct GroupedBinaryData: Sendable {
  /// The outcomes, 0 or 1, ordered by group.
  public let y: [Double]
  /// The individual-level covariate, ordered like `y`.
  public let x: [Double]
  /// The group-level covariate, one value per (non-empty) group.
  public let z: [Double]
  /// Offsets of the groups into `y` and `x`; `groupStart.count == groupCount + 1`.
  public let groupStart: [Int]

  /// Builds the data from individual rows in any order: `group[j]` in `0 ..< z.count` is the group
  /// of individual j. Throws `.invalidInput` for a non-binary y, a non-finite x or z, an unknown
  /// group index or mismatched lengths.
  public init(y: [Double], x: [Double], group: [Int], z: [Double]) throws(EstimationError) {
    let n = y.count
    guard x.count == n, group.count == n else {
      throw .invalidInput("y, x and group must have one entry per individual (\(n), \(x.count), \(group.count))")
    }
    guard n > 0 else { throw .invalidInput("there are no individuals") }
    guard y.allSatisfy({ $0 == 0 || $0 == 1 }) else { throw .invalidInput("y must be 0 or 1") }
    guard x.allSatisfy(\.isFinite) else { throw .invalidInput("x holds non-finite values") }
    guard z.allSatisfy(\.isFinite) else { throw .invalidInput("z holds non-finite values") }
    let groups = z.count
    if let bad = group.first(where: { $0 < 0 || $0 >= groups }) {
      throw .invalidInput("group index \(bad) is outside 0..<\(groups)")
    }
    var counts = [Int](repeating: 0, count: groups)
    for g in group { counts[g] += 1 }
    var start = [0]
    var zKept: [Double] = []
    var newIndex = [Int](repeating: -1, count: groups)
    for g in 0..<groups where counts[g] > 0 {
      newIndex[g] = zKept.count
      zKept.append(z[g])
      start.append(start[start.count - 1] + counts[g])
    }
    var next = Array(start.dropLast())
    var ySorted = [Double](repeating: 0, count: n)
    var xSorted = [Double](repeating: 0, count: n)
    for j in 0..<n {
      let g = newIndex[group[j]]
      ySorted[next[g]] = y[j]
      xSorted[next[g]] = x[j]
      next[g] += 1
    }
    self.y = ySorted
    self.x = xSorted
    self.z = zKept
    self.groupStart = start
  }

  /// The number of individuals.
  public var count: Int { y.count }
  /// The number of (non-empty) groups.
  public var groupCount: Int { z.count }
  /// The individuals of group g.
  public func range(_ g: Int) -> Range<Int> { groupStart[g]..<groupStart[g + 1] }

  /// Each group's mean of x.
  public var groupMeans: [Double] {
    (0..<groupCount).map { g in
      let r = range(g)
      return x[r].reduce(0, +) / Double(r.count)
    }
  }

  /// The n×3 design (1, x_j, z_{g(j)}), or n×4 with the group mean x̄_{g(j)} as a fourth column.
  func design(withGroupMeanOfX: Bool = false) -> Matrix {
    var columns = [[Double](repeating: 1, count: count), x, expandToIndividuals(z)]
    if withGroupMeanOfX { columns.append(expandToIndividuals(groupMeans)) }
    return Matrix(rows: count, cols: columns.count, elements: columns.flatMap { $0 })
  }

  /// A per-group vector repeated for each individual of the group.
  func expandToIndividuals(_ perGroup: [Double]) -> [Double] {
    var out = [Double](repeating: 0, count: count)
    for g in 0..<groupCount { for j in range(g) { out[j] = perGroup[g] } }
    return out
  }
}
