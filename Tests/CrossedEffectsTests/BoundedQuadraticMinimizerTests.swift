import Testing
import NumericalMethods

@Suite struct BoundedQuadraticMinimizerTests {
  static func rosenbrock(_ x: [Double]) -> Double {
    100 * (x[1] - x[0] * x[0]) * (x[1] - x[0] * x[0]) + (1 - x[0]) * (1 - x[0])
  }

  /// Rosenbrock's valley from the classic start (−1.2, 1): the minimum (1, 1), value 0.
  @Test func rosenbrockFromTheClassicStart() {
    let opt = BoundedQuadraticMinimizer(lower: [-5, -5], upper: [5, 5], initialRadius: 0.5, finalRadius: 1e-8)
    let run = opt.minimize(from: [-1.2, 1], Self.rosenbrock)
    #expect(run.converged)
    #expect(abs(run.x[0] - 1) < 1e-6 && abs(run.x[1] - 1) < 1e-6)
    #expect(run.value < 1e-12)
    #expect(run.initialX == [-1.2, 1] && run.initialValue == Self.rosenbrock([-1.2, 1]))
  }

  /// A convex quadratic whose unconstrained minimum violates x₁ ≥ 0. KKT by hand: with x₁ = 0
  /// active, ∂/∂x₀ = 2(x₀ − ½) + ½x₂ = 0 and ∂/∂x₂ = 2(x₂ − 2) + ½x₀ = 0 give x₀ = 0, x₂ = 2 (x₀ on
  /// its bound too, with multiplier 0), value ¼ + 2·0.09 = 0.43.
  @Test func boundConstrainedQuadratic() {
    let inf = Double.infinity
    let opt = BoundedQuadraticMinimizer(lower: [0, 0, 0], upper: [inf, inf, inf], finalRadius: 1e-8)
    let run = opt.minimize(from: [1, 1, 1]) { x in
      (x[0] - 0.5) * (x[0] - 0.5) + 2 * (x[1] + 0.3) * (x[1] + 0.3) + (x[2] - 2) * (x[2] - 2) + 0.5 * x[0] * x[2]
    }
    #expect(run.converged)
    #expect(abs(run.x[0]) < 1e-6 && run.x[1] == 0 && abs(run.x[2] - 2) < 1e-6)
    #expect(abs(run.value - 0.43) < 1e-10)
  }

  @Test func evaluationCapIsReportedAsNotConverged() {
    let opt = BoundedQuadraticMinimizer(lower: [-5, -5], upper: [5, 5], maxEvaluations: 20)
    let run = opt.minimize(from: [-1.2, 1], Self.rosenbrock)
    #expect(!run.converged)
    #expect(run.evaluations == 20)
    #expect(run.message.contains("evaluation limit"))
  }

  /// f is undefined (returns a huge value) for x₀ > 2. Failed points only shrink the trust region:
  /// the run must stay finite, end inside the defined region below the starting value, and report
  /// convergence (a hidden constraint is not modelled, so the end point is near the barrier, not
  /// necessarily at the constrained minimum).
  @Test func failedEvaluationsAreNeverTheResult() {
    let opt = BoundedQuadraticMinimizer(lower: [-10, -10], upper: [10, 10], initialRadius: 0.5, finalRadius: 1e-7)
    var failed = 0
    let run = opt.minimize(from: [0, 1]) { x in
      if x[0] > 2 { failed += 1 }
      return x[0] > 2 ? 1e300 : (x[0] - 3) * (x[0] - 3) + x[1] * x[1]
    }
    #expect(failed > 0)
    #expect(run.converged)
    #expect(run.x[0] <= 2 && run.value < 10 && run.value.isFinite)
    #expect(abs(run.x[0] - 2) < 1e-5)
  }

  /// The objective stop: with a relative tolerance the run ends before ρ_end, still at the minimum.
  @Test func relativeObjectiveToleranceStopsEarlier() {
    let f: ([Double]) -> Double = { x in 100 + (x[0] - 1) * (x[0] - 1) + 3 * (x[1] + 2) * (x[1] + 2) + x[0] * x[1] }
    let strict = BoundedQuadraticMinimizer(lower: [-9, -9], upper: [9, 9], finalRadius: 1e-9)
    var loose = strict
    loose.relativeTolerance = 1e-10
    let a = strict.minimize(from: [0, 0], f)
    let b = loose.minimize(from: [0, 0], f)
    #expect(a.converged && b.converged)
    #expect(b.evaluations <= a.evaluations)
    #expect(abs(a.value - b.value) <= 1e-10 * 100)
  }
}
