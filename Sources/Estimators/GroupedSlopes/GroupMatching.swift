/// Matching estimated groups to true ones, for classification accuracy and for comparing group
/// slopes with the truth: group labels are arbitrary, so an estimated group is identified with the
/// true group whose slopes it is closest to.
public enum GroupMatching {
  /// The one-to-one assignment of true groups to estimated groups minimising
  /// Σ_matched ‖α̂_m(g) − α_g‖², matching min(G, K̂) pairs (an estimated group whose slopes are nil
  /// or non-finite, e.g. an empty one, is never matched). Brute force over all injections:
  /// K̂!/(K̂−G)! assignments, fine for the handful of groups these models have.
  ///
  /// - Returns: for each true group g, the index of its estimated group, or nil if unmatched (when
  ///   there are fewer usable estimated groups than true ones).
  public static func match(estimated: [[Double]?], truth: [[Double]]) -> [Int?] {
    let usable = estimated.indices.filter { estimated[$0].map { $0.allSatisfy(\.isFinite) } ?? false }
    let pairs = min(usable.count, truth.count)
    func cost(_ m: Int, _ g: Int) -> Double {
      zip(estimated[m]!, truth[g]).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
    }
    var best: [Int?] = Array(repeating: nil, count: truth.count)
    var bestCost = Double.infinity
    var current: [Int?] = Array(repeating: nil, count: truth.count)
    var used = Set<Int>()
    func search(_ g: Int, matched: Int, total: Double) {
      if total >= bestCost { return }
      if g == truth.count {
        if matched == pairs {
          best = current
          bestCost = total
        }
        return
      }
      // Leave g unmatched only if the remaining true groups can still fill the required pairs.
      if truth.count - g - 1 >= pairs - matched {
        current[g] = nil
        search(g + 1, matched: matched, total: total)
      }
      for m in usable where !used.contains(m) {
        current[g] = m
        used.insert(m)
        search(g + 1, matched: matched + 1, total: total + cost(m, g))
        used.remove(m)
      }
      current[g] = nil
    }
    search(0, matched: 0, total: 0)
    return best
  }

  /// The share of units whose estimated group is the one matched to their true group.
  public static func accuracy(estimated: [Int], truth: [Int], mapping: [Int?]) -> Double {
    precondition(estimated.count == truth.count && !truth.isEmpty, "one estimated and one true group per unit")
    let correct = zip(estimated, truth).filter { mapping[$0.1] == $0.0 }.count
    return Double(correct) / Double(truth.count)
  }
}
