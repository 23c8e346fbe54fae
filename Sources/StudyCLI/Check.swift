import ArgumentParser
import Foundation
import ReplicateEngine
import ResultStore
import Studies

extension StudyCommand {
  struct Baseline: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Run a study in memory and write Results/NAME/baseline.json for 'study check'.")

    @OptionGroup var arguments: RunArguments

    func run() throws {
      let (study, conditions) = try arguments.resolve()
      let seed = arguments.seed ?? study.seed
      let result = try Engine.run(study, conditions: conditions, options: RunOptions(reps: arguments.reps, seed: seed, threads: arguments.threads, progress: !arguments.quiet))
      let baseline = ReplicateEngine.Baseline(
        report: Report(result), settings: arguments.overrides, codeVersion: SimStudyVersion.current, gitCommit: Manifest.currentGitCommit())
      let folder = arguments.folder(study)
      let url = folder.appendingPathComponent("baseline.json")
      do {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data(baseline.json.utf8).write(to: url, options: .atomic)
      } catch {
        throw StudyError.io("cannot write \(url.path): check that the results folder is writable or pass --results DIR")
      }
      print("baseline of \(study.name): \(baseline.cells.count) cells, \(arguments.reps) replicates, seed \(seed) → \(url.path)")
    }
  }

  struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Rerun a study as its baseline was run and compare every cell within Monte Carlo error.",
      discussion: """
        A cell passes when identical; otherwise it fails when |new − old| > z·√(MCSE_new² + MCSE_old²). \
        Exits non-zero when any cell moved, naming each.
        """)

    @Argument(help: "The study to check.")
    var name: String

    @Option(help: "Replicates (default: the baseline's; a different count compares within MCSE).")
    var reps: Int?

    @Option(help: "How many combined MCSEs a cell may move.")
    var z: Double = 3

    @Option(help: "Worker threads.")
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
      let study = try Catalogue.study(named: name)
      let url = URL(fileURLWithPath: results).appendingPathComponent(study.name).appendingPathComponent("baseline.json")
      let baseline = try ReplicateEngine.Baseline.read(url)
      guard baseline.study == study.name else { throw StudyError.io("\(url.path) is a baseline of \(baseline.study), not \(study.name)") }
      let conditions = try study.grid(settings: baseline.settings)
      let n = reps ?? baseline.reps
      let result = try Engine.run(study, conditions: conditions, options: RunOptions(reps: n, seed: baseline.seed, threads: threads, progress: !quiet))
      let check = BaselineCheck(baseline: baseline.cells, current: ReplicateEngine.Baseline.cells(of: Report(result)), z: z)
      print("\(study.name): \(n) replicates, seed \(baseline.seed), baseline from \(baseline.gitCommit.prefix(12)) (\(baseline.created))")
      print(check.text, terminator: "")
      if !check.passed { throw ExitCode(1) }
    }
  }
}
