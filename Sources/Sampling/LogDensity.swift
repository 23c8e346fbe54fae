/// A target distribution for the sampler: a log density on ℝᵈ (the unconstrained space), up to an
/// additive constant, with its gradient.
///
/// A model with constrained parameters (a scale τ > 0, say) samples an unconstrained θ (log τ) and
/// returns log p(τ(θ)) + log |dτ/dθ|, the density of θ itself, so the sampler never leaves the
/// support. `logDensity` must return `-.infinity` or NaN, not trap, where the density is zero or
/// cannot be evaluated; the sampler treats that as a divergence.
public protocol LogDensity {
  /// d, the number of unconstrained coordinates.
  var dimension: Int { get }
  /// log p(θ) up to a constant; writes ∇ log p(θ) into `gradient` (already of length d).
  func logDensity(_ theta: [Double], gradient: inout [Double]) -> Double
}
