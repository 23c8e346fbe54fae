import ArgumentParser
import Foundation
import StudyRunner

extension StudyCommand {
  struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Re-print a study's tables from its store without running anything.",
      discussion: "Uses the conditions and replicates of the last run (manifest.json); falls back to summary.csv when the store is gone.")

    @Argument(help: "The study whose results to show.")
    var name: String

    @Option(help: "The folder that holds one results folder per study.")
    var results: String = "Results"

    @Option(help: "Use this store file instead of Results/NAME/store.sqlite.")
    var store: String?

    @Flag(help: "Judge every method on the same replicates: those where all methods succeeded.")
    var paired = false

    @Option(help: ArgumentHelp("Compare every method with this one on the same replicates (bias_diff, rel_precision); defaults to the study's own reference, if any.", valueName: "method"))
    var reference: String?

    func run() throws {
      let report = try StudyRun.show(
        try StudyCommandLine.study(named: name), results: URL(fileURLWithPath: results), store: store.map { URL(fileURLWithPath: $0) },
        paired: paired, reference: reference)
      print(report.terminalText)
    }
  }
}
