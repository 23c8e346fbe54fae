import Foundation
import ReplicateEngine

/// What a run of a study is asked to do: the `study run` options as a value. None of them but
/// `reps`, `seed` and `settings` changes a number in the results.
public struct RunSettings: Sendable {
  /// Replicates per condition.
  public var reps: Int
  /// The study seed (nil: the study's own).
  public var seed: UInt64?
  /// Worker threads; results are bit-identical for any count.
  public var threads: Int
  /// `--set factor=v1,v2` overrides of the grid.
  public var settings: [String]
  /// The folder holding one results folder per study.
  public var results: URL
  /// The store file (nil: `results/NAME/store.sqlite`, or the shard's file).
  public var store: URL?
  /// Remove the study's store first and start over.
  public var fresh: Bool
  /// Run only one shard of the replicates into its own store.
  public var shard: Shard?
  /// Judge every method on the replicates where all methods succeeded.
  public var paired: Bool
  /// Compare every method with this one (nil: the study's own reference, if any).
  public var reference: String?
  /// Progress on stderr while the run goes.
  public var progress: Bool

  public init(
    reps: Int = 100, seed: UInt64? = nil, threads: Int = ProcessInfo.processInfo.activeProcessorCount,
    settings: [String] = [], results: URL = URL(fileURLWithPath: "Results"), store: URL? = nil, fresh: Bool = false,
    shard: Shard? = nil, paired: Bool = false, reference: String? = nil, progress: Bool = false
  ) {
    self.reps = reps
    self.seed = seed
    self.threads = threads
    self.settings = settings
    self.results = results
    self.store = store
    self.fresh = fresh
    self.shard = shard
    self.paired = paired
    self.reference = reference
    self.progress = progress
  }
}
