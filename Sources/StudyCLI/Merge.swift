import ArgumentParser
import Foundation
import ReplicateEngine
import ResultStore
import Studies

extension StudyCommand {
  struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Combine shard stores into the study's store.",
      discussion: """
        Refuses stores of another study definition and rows present in two stores that disagree; \
        nothing is written unless everything merges. Afterwards 'study run NAME --reps N' summarises \
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
    }

    func run() throws {
      let study = try Catalogue.study(named: name)
      let sources = stores.map { URL(fileURLWithPath: $0) }
      let first = try ResultStore.readFingerprint(sources[0])
      let target = into.map { URL(fileURLWithPath: $0) }
        ?? URL(fileURLWithPath: results).appendingPathComponent(study.name).appendingPathComponent("store.sqlite")
      let store = try ResultStore(url: target, fingerprint: StudyFingerprint(study: study, seed: first.seed))
      let added = try store.merge(sources)
      print("merged \(added) replicates from \(sources.count) stores into \(target.path) (now \(try store.itemCount()))")
    }
  }
}
