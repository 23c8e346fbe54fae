import Foundation
internal import CGSL

/// GSL's abort-on-error handler switched off once for the calls made from this file; every
/// status and every returned pointer is checked instead.
private let gaussHermiteHandlerOff: Void = { _ = gsl_set_error_handler_off() }()

/// Why a quadrature rule could not be built.
public enum QuadratureError: Error, Equatable, CustomStringConvertible {
  /// The number of nodes is outside the supported range.
  case invalidOrder(Int)
  /// GSL could not build the rule (allocation or its tridiagonal eigen-solver failed).
  case gslFailure(String)

  public var description: String {
    switch self {
    case .invalidOrder(let n): "a Gauss–Hermite rule needs 1 to \(GaussHermiteRule.maximumOrder) nodes, not \(n)"
    case .gslFailure(let s): "GSL could not build the quadrature rule: \(s)"
    }
  }
}

/// The n-point Gauss–Hermite rule for the weight e^{−t²} on (−∞, ∞):
/// ∫ f(t) e^{−t²} dt ≈ Σ_k w_k f(t_k), exact for polynomials of degree ≤ 2n − 1.
///
/// Built by GSL's `gsl_integration_fixed` with the Hermite type (a = 0, b = 1, α = 0), which
/// computes the nodes and weights by the Golub–Welsch eigen-decomposition of the Jacobi matrix.
/// Nodes are returned in increasing order; the 1-point rule is t = 0, w = √π (so adaptive
/// quadrature with one node is exactly the Laplace approximation). Cost O(n²), paid once per rule.
///
/// Adaptive use (Liu & Pierce 1994; Pinheiro & Bates 1995): for ∫ e^{h(u)} du with mode û and
/// ŝ = (−h''(û))^{−1/2}, substitute u = û + √2 ŝ t:
/// ∫ e^{h(u)} du ≈ √2 ŝ Σ_k w_k exp(h(û + √2 ŝ t_k) + t_k²).
public struct GaussHermiteRule: Sendable, Equatable {
  /// The largest order offered; beyond it the weights underflow and nothing is gained in double precision.
  public static let maximumOrder = 100
  /// The nodes t_k, increasing.
  public let nodes: [Double]
  /// The weights w_k (all positive, summing to √π).
  public let weights: [Double]

  /// The `order`-point rule (1 ≤ order ≤ `maximumOrder`).
  public init(order: Int) throws(QuadratureError) {
    guard order >= 1, order <= Self.maximumOrder else { throw .invalidOrder(order) }
    _ = gaussHermiteHandlerOff
    guard let workspace = gsl_integration_fixed_alloc(simstudy_fixed_hermite(), order, 0, 1, 0, 0) else {
      throw .gslFailure("gsl_integration_fixed_alloc returned no workspace for \(order) nodes")
    }
    defer { gsl_integration_fixed_free(workspace) }
    let n = gsl_integration_fixed_n(workspace)
    guard n == order, let t = gsl_integration_fixed_nodes(workspace), let w = gsl_integration_fixed_weights(workspace)
    else { throw .gslFailure("the workspace holds no nodes or weights") }
    var pairs = (0..<n).map { (t[$0], w[$0]) }
    pairs.sort { $0.0 < $1.0 }
    guard pairs.allSatisfy({ $0.0.isFinite && $0.1.isFinite && $0.1 > 0 }) else {
      throw .gslFailure("non-finite node or non-positive weight")
    }
    nodes = pairs.map(\.0)
    weights = pairs.map(\.1)
  }

  /// The number of nodes.
  public var order: Int { nodes.count }
}
