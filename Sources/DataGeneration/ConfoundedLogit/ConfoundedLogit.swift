import Foundation
import RandomStreams

/// A binary outcome whose group-level confounder drives both the individual covariate and the
/// outcome (Docs/BinaryChoice.md §1, the example the project started from):
///
///   g_j uniform over G groups (or see `GroupSizes`),  u_g ~ N(0, σ_u²),  z_g ~ N(0, 1),
///   x_j ~ N(λ u_{g_j}, 1),
///   y_j ~ Bernoulli(logistic(a0 + bxy x_j + u_{g_j} + bzy z_{g_j})),
///
/// defaults G = 30, n = 2000, σ_u = 1.5, λ = 1, a0 = −2, bxy = 0, bzy = 1. Because u raises both x
/// and y, a logit that ignores u (or treats it as independent of x) finds a positive slope of x
/// although bxy = 0; within-group estimators do not. The confounding strength is set by σ_u (how
/// much the groups differ) and λ (how much x inherits from them); λ = 0 removes the confounding.
///
/// Draw order (the reproducibility contract): the n group labels, then u_1 … u_G, then
/// z_1 … z_G, then for each group in turn and each of its individuals x_j and the uniform deciding
/// y_j. Individuals are stored group by group; since they are exchangeable this loses nothing.
public struct ConfoundedLogit: DataGeneratingProcess {
  /// How individuals are spread over groups.
  public enum GroupSizes: Sendable, Equatable {
    /// Each individual joins a group uniformly at random (multinomial sizes; the default design).
    /// Groups may be empty when n/G is small.
    case random
    /// Sizes as equal as possible: ⌊n/G⌋ or ⌈n/G⌉, the larger ones first.
    case equal
    /// Each individual joins group g with probability ∝ ratio^{g/(G−1)}: expected sizes spread
    /// geometrically, the largest `ratio` times the smallest.
    case unequal(ratio: Double)
  }

  public var groups: Int
  public var individuals: Int
  public var groupSizes: GroupSizes
  /// σ_u, the standard deviation of the group confounder.
  public var confounderSD: Double
  /// λ, the loading of x on the group confounder.
  public var confounderLoading: Double
  public var intercept: Double
  public var bxy: Double
  public var bzy: Double

  public init(
    groups: Int = 30, individuals: Int = 2000, groupSizes: GroupSizes = .random, confounderSD: Double = 1.5,
    confounderLoading: Double = 1, intercept: Double = -2, bxy: Double = 0, bzy: Double = 1
  ) {
    self.groups = groups
    self.individuals = individuals
    self.groupSizes = groupSizes
    self.confounderSD = confounderSD
    self.confounderLoading = confounderLoading
    self.intercept = intercept
    self.bxy = bxy
    self.bzy = bzy
  }

  /// Throws for a design that cannot be drawn.
  public func validate() throws(DesignError) {
    guard groups >= 1 else { throw DesignError("the number of groups must be at least 1, not \(groups)") }
    guard individuals >= groups else {
      throw DesignError("there must be at least as many individuals (\(individuals)) as groups (\(groups))")
    }
    guard confounderSD >= 0, confounderSD.isFinite else {
      throw DesignError("the confounder's standard deviation must be finite and non-negative, not \(confounderSD)")
    }
    guard [confounderLoading, intercept, bxy, bzy].allSatisfy(\.isFinite) else {
      throw DesignError("the loading and the outcome coefficients must be finite")
    }
    if case .unequal(let ratio) = groupSizes, !(ratio >= 1 && ratio.isFinite) {
      throw DesignError("the group-size ratio must be a finite number ≥ 1, not \(ratio)")
    }
  }

  public func draw(using rng: RandomStream) throws -> ConfoundedLogitSample {
    try validate()
    var sizes = [Int](repeating: 0, count: groups)
    switch groupSizes {
    case .random:
      for _ in 0..<individuals { sizes[rng.uniformInt(groups)] += 1 }
    case .equal:
      for g in 0..<groups { sizes[g] = individuals / groups + (g < individuals % groups ? 1 : 0) }
    case .unequal(let ratio):
      let weights = (0..<groups).map { pow(ratio, groups > 1 ? Double($0) / Double(groups - 1) : 0) }
      for _ in 0..<individuals { sizes[rng.categorical(weights)] += 1 }
    }
    let u = rng.normals(groups, sd: confounderSD)
    let z = rng.normals(groups)
    var group = [Int](repeating: 0, count: individuals)
    var x = [Double](repeating: 0, count: individuals)
    var y = [Double](repeating: 0, count: individuals)
    var j = 0
    for g in 0..<groups {
      let groupPart = intercept + u[g] + bzy * z[g]
      for _ in 0..<sizes[g] {
        group[j] = g
        x[j] = rng.normal(mean: confounderLoading * u[g])
        let eta = groupPart + bxy * x[j]
        y[j] = rng.bernoulli(1 / (1 + exp(-eta))) ? 1 : 0
        j += 1
      }
    }
    return ConfoundedLogitSample(group: group, x: x, y: y, z: z, confounder: u)
  }
}

/// One draw of `ConfoundedLogit`: individuals ordered by group.
public struct ConfoundedLogitSample: Sendable {
  /// Each individual's group, 0 ..< G, non-decreasing.
  public let group: [Int]
  /// The individual covariate.
  public let x: [Double]
  /// The outcome, 0 or 1.
  public let y: [Double]
  /// The observed group covariate z_g (G values; a group may have no individuals).
  public let z: [Double]
  /// The unobserved group confounder u_g (G values), kept for checks.
  public let confounder: [Double]

  public init(group: [Int], x: [Double], y: [Double], z: [Double], confounder: [Double]) {
    self.group = group
    self.x = x
    self.y = y
    self.z = z
    self.confounder = confounder
  }
}
