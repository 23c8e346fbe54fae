import ArgumentParser
import Foundation
import ReplicateEngine
import ResultStore
import Studies

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
      let study = try Catalogue.study(named: name)
      let folder = URL(fileURLWithPath: results).appendingPathComponent(study.name)
      let storeURL = store.map { URL(fileURLWithPath: $0) } ?? folder.appendingPathComponent("store.sqlite")
      let manifestURL = folder.appendingPathComponent("manifest.json")
      guard FileManager.default.fileExists(atPath: storeURL.path),
        let data = try? Data(contentsOf: manifestURL),
        let manifest = try? JSONDecoder().decode(Manifest.self, from: data)
      else {
        if paired || reference != nil {
          throw StudyError.invalidArgument(
            "--paired and --reference recompute the tables from the store, and \(storeURL.path) or its manifest.json is missing.")
        }
        print(try Report.read(study: study, from: folder).terminalText)
        return
      }
      let conditions = try manifest.conditions.map { try study.condition(parsing: $0) }
      let fingerprint = try ResultStore.readFingerprint(storeURL)
      let rows = try ResultStore(url: storeURL, fingerprint: StudyFingerprint(study: study, seed: fingerprint.seed))
      try rows.bind(conditions)
      let summarizer = try Summarizer(
        study: study, conditions: conditions, reps: manifest.reps, paired: paired, reference: reference)
      let report = Report(
        study: study, conditions: conditions, reps: manifest.reps, seed: fingerprint.seed,
        summary: try summarizer.summary(from: rows), failures: try summarizer.failureDigests(from: rows),
        reference: summarizer.reference)
      print(report.terminalText)
    }
  }
}
