import ArgumentParser
import Foundation
import ReplicateEngine
import Studies

extension StudyCommand {
  struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Re-print a study's tables from its results folder without running anything.")

    @Argument(help: "The study whose results to show.")
    var name: String

    @Option(help: "The folder that holds one results folder per study.")
    var results: String = "Results"

    func run() throws {
      let study = try Catalogue.study(named: name)
      let folder = URL(fileURLWithPath: results).appendingPathComponent(study.name)
      let report = try Report.read(study: study, from: folder)
      print(report.terminalText)
    }
  }
}
