/// C-Lasso set as the reference implementations set it, option for option (Docs/GroupedSlopes.md §4,
/// the table of conventions). Both still solve each convex subproblem exactly, where classifylasso
/// runs Stata's BFGS with its own tolerances and R classo calls a conic solver (ECOS or MOSEK), so
/// penalised estimates agree with theirs to those solvers' accuracy, and a unit close to the
/// boundary between two groups can be classified differently.
extension CLasso {
  /// The conventions a preset reproduces.
  public enum Preset: String, Sendable, CaseIterable {
    /// This package's defaults (`CLasso()`).
    case simstudy
    /// The Stata package classifylasso (Huang, Wang & Zhou 2024, Stata Journal 24(1)).
    case classifylasso
    /// The R package classo (Zhan Gao & Zhentao Shi, github.com/zhan-gao/classo).
    case classo
  }

  /// The settings of `preset`; `dynamic` is classifylasso's `dynamic` option and R classo's
  /// `bias_corr = TRUE` (the half-panel jackknife; classifylasso then also switches to HAC SEs).
  public static func preset(_ preset: Preset, dynamic: Bool = false) -> CLasso {
    switch preset {
    case .simstudy:
      var c = CLasso()
      c.jackknife = dynamic
      return c
    case .classifylasso: return classifylasso(dynamic: dynamic)
    case .classo: return classo(biasCorrection: dynamic)
    }
  }

  /// classifylasso's defaults, as its ado and Mata code execute them: λ = 0.2·T^(−1/3)
  /// (`lambda(0.2)`, applied as λ·(obs/N)^(−1/3); its help file states 0.5), ρ_NT = 0.67·(NT)^(−1/2)
  /// (`rho(0.67)`), σ̂² = SSR/(NT − N − pK') (the residual degrees of freedom reghdfe reports, summed
  /// over the groups), `tolerance(0.01)` on the change of the summed subproblem objectives and of the
  /// centres, `maxiterations(20)`, units classified by relative distance ‖β_i − α_k‖/‖α_k‖,
  /// post-Lasso SEs `vce(ols)` (conventional). With `dynamic`: the half-panel jackknife (first half
  /// t ≤ ⌊T/2⌋) and Bartlett HAC SEs with kernel 1 − |s−t|/⌈T^{1/4}⌉ (`inference_dynamic`), and the
  /// criterion's residuals carry the jackknifed intercept (`icJackknifeIntercept`).
  public static func classifylasso(dynamic: Bool = false) -> CLasso {
    CLasso(
      cLambda: 0.2, penaltyScale: .plain, convergence: .objectiveAndCentres, tolerance: 0.01, maxIterations: 20,
      classification: .relativeDistance, standardErrors: dynamic ? .hac(.fourthRootMinusOne) : .conventional,
      icConstant: 0.67, icVariance: .residualDegreesOfFreedom, jackknife: dynamic, icJackknifeIntercept: true)
  }

  /// R classo's conventions: λ = 0.5·s²_y·T^(−1/3) (the README's `0.5 * var(y) / (tt^(1/3))`; `PLS.*`
  /// take λ as an argument), `determine_K`'s ρ = (2/3)(NT)^(−1/2) and σ̂² = SSR/(NT), `tol = 1e-4`
  /// on the last group's centre and slopes (`criterion`), `R = 500` iterations, nearest-centre
  /// classification, no standard errors. `biasCorrection` is `bias_corr = TRUE` (`post.corr`, the
  /// half-panel jackknife with the first half ⌊T/2⌋); R's `determine_K` always uses the corrected
  /// slopes in its criterion.
  public static func classo(biasCorrection: Bool = false) -> CLasso {
    CLasso(
      cLambda: 0.5, penaltyScale: .responseVariance, convergence: .lastGroup, tolerance: 1e-4, maxIterations: 500,
      classification: .nearest, standardErrors: .none, icConstant: 2.0 / 3, icVariance: .meanSquare,
      jackknife: biasCorrection)
  }
}
