import ArgumentParser
import Foundation
import ReplicateEngine
import Studies

/// Options shared by the commands that run a study.
struct RunArguments: ParsableArguments {
  @Argument(help: "The study to run (see 'study list').")
  var name: String

  @Option(help: "Replicates per condition (at least 1).")
  var reps: Int = 100

  @Option(help: "The study seed; streams are keyed by (seed, condition, replicate). Defaults to the study's own seed.")
  var seed: UInt64?

  @Option(help: "Worker threads; results are bit-identical for any count. Defaults to the number of cores.")
  var threads: Int = ProcessInfo.processInfo.activeProcessorCount

  @Option(
    name: .customLong("set"),
    help: ArgumentHelp("Override a factor's values, e.g. --set N=50,100 (repeatable).", valueName: "factor=v1,v2"))
  var overrides: [String] = []

  @Option(help: "The folder that holds one results folder per study.")
  var results: String = "Results"

  @Flag(help: "No progress output on stderr.")
  var quiet = false

  func validate() throws {
    guard reps >= 1 else { throw ValidationError("--reps must be at least 1 (got \(reps)).") }
    guard threads >= 1 else { throw ValidationError("--threads must be at least 1 (got \(threads)).") }
    guard threads <= 1024 else { throw ValidationError("--threads must be at most 1024 (got \(threads)).") }
  }

  /// The study and its conditions after `--set`, or a one-sentence error.
  func resolve() throws -> (Study, [Condition]) {
    let study = try Catalogue.study(named: name)
    let conditions = try study.grid(settings: overrides)
    for c in conditions { try Engine.validate(study, c) }
    return (study, conditions)
  }
}

extension StudyCommand {
  struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Run a study over its grid and write Results/NAME/ (summary.md, summary.csv, manifest.json).")

    @OptionGroup var arguments: RunArguments

    func run() throws {
      let (study, conditions) = try arguments.resolve()
      let options = RunOptions(
        reps: arguments.reps, seed: arguments.seed ?? study.seed, threads: arguments.threads, progress: !arguments.quiet)
      let result = try Engine.run(study, conditions: conditions, options: options)
      let report = Report(result)
      let folder = URL(fileURLWithPath: arguments.results).appendingPathComponent(study.name)
      try report.write(to: folder, manifest: Manifest(result: result, threads: arguments.threads))
      print(report.terminalText)
      print(String(format: "%d replicates in %.2f s on %d threads; tables in %@/", result.timing.replicates, result.timing.wallSeconds, arguments.threads, folder.path))
    }
  }
}
