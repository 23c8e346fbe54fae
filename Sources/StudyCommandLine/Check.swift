import ArgumentParser
import Foundation
import StudyRunner

extension StudyCommand {
  struct Baseline: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Run a study in memory and write Results/NAME/baseline.json for 'check'.")

    @OptionGroup var arguments: RunArguments

    func run() throws {
      let run = try StudyRun(try StudyCommandLine.study(named: arguments.name), arguments.settings())
      let (baseline, url) = try run.baseline()
      print("baseline of \(run.study.name): \(baseline.cells.count) cells, \(arguments.reps) replicates, seed \(run.seed) → \(url.path)")
    }
  }

  struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Rerun a study as its baseline was run and compare every cell within Monte Carlo error.",
      discussion: """
        A cell passes when identical; otherwise it fails when |new − old| > z·√(MCSE_new² + MCSE_old²) \
        (with --exact, when it differs at all). Exits non-zero when any cell moved, naming each.
        """)

    @Argument(help: "The study to check.")
    var name: String

    @Option(parsing: .unconditional, help: "Replicates (default: the baseline's; a different count compares within MCSE).")
    var reps: Int?

    @Option(parsing: .unconditional, help: "How many combined MCSEs a cell may move.")
    var z: Double = 3

    @Flag(help: "Require every cell to be identical to the last bit (same code, machine and design).")
    var exact = false

    @Option(parsing: .unconditional, help: "Worker threads.")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "The folder that holds one results folder per study.")
    var results: String = "Results"

    @Flag(help: "No progress output on stderr.")
    var quiet = false

    func validate() throws {
      if let reps, reps < 1 { throw ValidationError("--reps must be at least 1 (got \(reps)).") }
      guard z > 0, z.isFinite else { throw ValidationError("--z must be a positive number (got \(z)).") }
      guard threads >= 1 else { throw ValidationError("--threads must be at least 1 (got \(threads)).") }
    }

    func run() throws {
      let study = try StudyCommandLine.study(named: name)
      let outcome = try StudyRun.check(
        study, results: URL(fileURLWithPath: results), reps: reps, z: z, exact: exact, threads: threads, progress: !quiet)
      let b = outcome.baseline
      print("\(study.name): \(outcome.reps) replicates, seed \(b.seed), baseline from \(b.gitCommit.prefix(12)) (\(b.created))")
      print(outcome.check.text, terminator: "")
      if !outcome.check.passed { throw ExitCode(1) }
    }
  }
}
