import ArgumentParser
import Foundation
import StudyRunner

extension StudyCommand {
  struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Combine shard stores into the study's store.",
      discussion: """
        Refuses stores of another study definition and rows present in two stores that disagree; \
        nothing is written unless everything merges. Afterwards 'run NAME --reps N' summarises \
        without recomputing what the shards stored.
        """)

    @Argument(help: "The study the shards belong to.")
    var name: String

    @Argument(help: "The shard stores to merge.")
    var stores: [String]

    @Option(help: "The store to merge into (default Results/NAME/store.sqlite).")
    var into: String?

    @Option(help: "The folder that holds one results folder per study.")
    var results: String = "Results"

    func validate() throws {
      guard !stores.isEmpty else { throw ValidationError("name at least one shard store to merge.") }
      guard Set(stores).count == stores.count else { throw ValidationError("a shard store is named twice; name each once.") }
    }

    func run() throws {
      let study = try StudyCommandLine.study(named: name)
      let target = into.map { URL(fileURLWithPath: $0) }
        ?? URL(fileURLWithPath: results).appendingPathComponent(study.name).appendingPathComponent("store.sqlite")
      let (added, total) = try StudyRun.merge(study, stores: stores.map { URL(fileURLWithPath: $0) }, into: target)
      print("merged \(added) replicates from \(stores.count) stores into \(target.path) (now \(total))")
    }
  }
}
