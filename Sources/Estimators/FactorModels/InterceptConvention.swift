/// What the intercept μ of an interactive-fixed-effects model is when no additive effects are
/// removed (`force = .none`). The software disagrees here, and on real data the slopes differ a
/// lot (Docs/FactorModels.md §5a): on `Cigar`, sales on price with one factor gives β = −0.214
/// under `grandMean` and −1.042 under `free`.
///
/// - `grandMean` (the `fect` R package's `interFE`, the SimStudy default): Y and X are centred at their grand
///   means before the factor fit, so μ = mean(Y − Xβ) and the factor part is fitted to the centred
///   panel. It minimises Σ(Ỹ − X̃β − λ_i'F_t)² over β, F, Λ with Ỹ, X̃ centred: μ is *not* chosen
///   jointly with the factors.
/// - `free` (InteractiveFixedEffectModels.jl's `regife(df, @formula(y ~ x + ife(id, t, r)))`,
///   Stata's `regife` by default): μ is one more coefficient, estimated jointly with β, F and Λ,
///   minimising Σ(Y − μ − Xβ − λ_i'F_t)².
/// - `omitted` (the same Julia call with `0 + …`, Stata's `regife, nocons`): μ = 0,
///   minimising Σ(Y − Xβ − λ_i'F_t)².
///
/// With unit or period effects removed (`force` ≠ `.none`) the three coincide: the additive effects
/// contain any intercept, and demeaning followed by the rank-r fit is then the joint least-squares
/// fit (the best rank-r approximation of a panel whose columns or rows sum to zero has the same
/// property), which is also what the Julia package's `fe(id)`/`fe(t)` terms compute.
public enum InterceptConvention: String, Sendable, CaseIterable {
  case grandMean, free, omitted

  /// The convention and the software that uses it, in a few words.
  public var label: String {
    switch self {
    case .grandMean: "grand-mean intercept (fect)"
    case .free: "free intercept estimated jointly with β, F, Λ (regife / InteractiveFixedEffectModels.jl)"
    case .omitted: "no intercept (regife / InteractiveFixedEffectModels.jl with 0 +)"
    }
  }
}
