import ArgumentParser
import Foundation
import ReplicateEngine
import Studies

@main
struct StudyCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "study",
    abstract: "Run Monte Carlo simulation studies of panel and multilevel estimators.",
    discussion: """
      Each study sweeps a grid of data-generating conditions, runs every method on the same keyed \
      random draws, and reports bias, RMSE, coverage and more, each with its Monte Carlo standard error. \
      'study NAME' is short for 'study run NAME'.
      """,
    version: "0.1.0",
    subcommands: [Run.self, List.self, Show.self, Check.self, Baseline.self, Merge.self, Bench.self],
    defaultSubcommand: Run.self)
}
