/// A numerical failure in a decomposition or solve. Thrown, never trapped: in a Monte Carlo run a
/// failure on one replicate is recorded as that method's failure and the run goes on.
public enum LinearAlgebraError: Error, Equatable, CustomStringConvertible {
  /// Cholesky found a leading minor of this order that is not positive.
  case notPositiveDefinite(order: Int)
  /// A triangular or least-squares factor has an exactly zero diagonal element (rank deficient).
  case singular(routine: String, index: Int)
  /// An eigen or singular-value iteration failed to converge.
  case noConvergence(routine: String, info: Int)
  /// The input holds NaN or infinite values.
  case nonFinite(routine: String)
  /// Any other LAPACK failure (an illegal argument is a programming error, reported with its index).
  case lapack(routine: String, info: Int)

  public var description: String {
    switch self {
    case .notPositiveDefinite(let k): "matrix is not positive definite (leading minor \(k))"
    case .singular(let r, let i): "matrix is singular or rank deficient (\(r), element \(i))"
    case .noConvergence(let r, let info): "\(r) did not converge (info \(info))"
    case .nonFinite(let r): "\(r) received non-finite values"
    case .lapack(let r, let info): "\(r) failed with info \(info)"
    }
  }
}
