import ArgumentParser
import Foundation
import ReplicateEngine

extension StudyCommand {
  struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Measure throughput and fit times (the benchmark families this command was given).",
      discussion: "Build in release for meaningful numbers: swift run -c release study bench")

    @Option(parsing: .unconditional, help: "Replicates per timing run of the engine benchmarks.")
    var reps: Int = 1000

    @Option(help: "Which benchmarks to run: all, or one family by name.")
    var only: String = "all"

    func validate() throws {
      guard reps >= 10 else { throw ValidationError("--reps must be at least 10 for a meaningful timing (got \(reps)).") }
      let known = ["all"] + StudyCommandLine.benchmarks.map(\.name)
      guard known.contains(only) else { throw ValidationError("--only must be one of: \(known.joined(separator: ", ")).") }
    }

    func run() throws {
      #if DEBUG
        print("warning: this is a debug build; use 'swift run -c release \(StudyCommandLine.commandName) bench' for real figures.\n")
      #endif
      var lines: [BenchmarkLine] = []
      for family in StudyCommandLine.benchmarks where only == "all" || only == family.name {
        lines += try family.lines(reps)
      }
      let table = TextTable(
        header: ["benchmark", "value", "unit", "note"],
        rows: lines.map { [$0.name, String(format: "%.4g", $0.value), $0.unit, $0.note] }, numeric: [1])
      print(table.text)
      print("\nmachine: \(ProcessInfo.processInfo.activeProcessorCount) cores, \(Manifest.hostDescription)")
    }
  }
}
