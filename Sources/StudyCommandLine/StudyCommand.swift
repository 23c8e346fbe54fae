import ArgumentParser
import Foundation
import ReplicateEngine
import StudyRunner

/// The root command: `NAME` is short for `run NAME`.
struct StudyCommand: ParsableCommand {
  static var subcommands: [any ParsableCommand.Type] {
    [Run.self, List.self, Show.self, Check.self, Baseline.self, Merge.self, New.self, Bench.self, Fit.self]
  }

  static var configuration: CommandConfiguration {
    return CommandConfiguration(
      commandName: StudyCommandLine.commandName,
      abstract: "Run Monte Carlo simulation studies: every method on the same keyed random draws, every measure with its Monte Carlo SE.",
      discussion: """
        Each study sweeps a grid of data-generating conditions, runs every method on the same keyed \
        random draws, and reports bias, RMSE, coverage and more, each with its Monte Carlo standard error. \
        '\(StudyCommandLine.commandName) NAME' is short for '\(StudyCommandLine.commandName) run NAME'.
        """,
      version: SimStudyVersion.current,
      subcommands: subcommands,
      defaultSubcommand: Run.self)
  }
}

/// Options shared by the commands that run a study.
struct RunArguments: ParsableArguments {
  @Argument(help: "The study to run (see 'list').")
  var name: String

  @Option(parsing: .unconditional, help: "Replicates per condition (at least 1).")
  var reps: Int = 100

  @Option(parsing: .unconditional, help: "The study seed (0 … 2⁶⁴−1); streams are keyed by (seed, condition, replicate). Defaults to the study's own seed.")
  var seed: String?

  @Option(parsing: .unconditional, help: "Worker threads; results are bit-identical for any count. Defaults to the number of cores.")
  var threads: Int = ProcessInfo.processInfo.activeProcessorCount

  @Option(
    name: .customLong("set"),
    help: ArgumentHelp("Override a factor's values, e.g. --set N=50,100 (repeatable, once per factor).", valueName: "factor=v1,v2"))
  var overrides: [String] = []

  @Option(help: "The folder that holds one results folder per study.")
  var results: String = "Results"

  @Flag(help: "No progress output on stderr.")
  var quiet = false

  /// The parsed `--seed`.
  var seedValue: UInt64? { seed.flatMap { UInt64($0) } }

  /// Replicates and threads are checked by `StudyRun`, for library callers too.
  func validate() throws {
    if let seed, UInt64(seed) == nil {
      throw ValidationError("--seed must be a whole number from 0 to \(UInt64.max) (got \(seed)).")
    }
  }

  func settings() -> RunSettings {
    RunSettings(
      reps: reps, seed: seedValue, threads: threads, settings: overrides, results: URL(fileURLWithPath: results), progress: !quiet)
  }
}

/// Parses `--shard i/n` with a sentence about its range.
func parseShard(_ text: String?) throws -> Shard? {
  guard let text else { return nil }
  guard let shard = Shard(text) else {
    throw ValidationError("--shard must be i/n with whole numbers 1 ≤ i ≤ n, e.g. 2/8 (got \(text)).")
  }
  return shard
}

/// Writes one line to stderr.
func note(_ text: String) { FileHandle.standardError.write(Data((text + "\n").utf8)) }
