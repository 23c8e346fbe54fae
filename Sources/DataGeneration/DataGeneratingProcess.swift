import RandomStreams

/// A data-generating process: given a random stream, draws one data set (a *sample*) whose true
/// parameter values are known. A DGP is an immutable, `Sendable` description of the design; all
/// randomness comes from the stream passed in, so a (DGP, stream key) pair always gives the same data.
public protocol DataGeneratingProcess: Sendable {
  associatedtype Sample
  /// Draws one sample. Throws only for designs that turn out impossible at draw time.
  func draw(using rng: RandomStream) throws -> Sample
}

/// An impossible or inconsistent design (e.g. more factors than min(N, T) − 1).
public struct DesignError: Error, CustomStringConvertible, Equatable {
  public let message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}
