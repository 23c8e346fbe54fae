import ArgumentParser
import Foundation
import ReplicateEngine
import Studies

extension StudyCommand {
  struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Measure throughput: rank-recovery replicates per second at 1 and 2 threads, and each family's fit times.",
      discussion: "Build in release for meaningful numbers: swift run -c release study bench")

    @Option(help: "Replicates per timing run of rank-recovery.")
    var reps: Int = 1000

    @Option(help: "Which benchmarks to run: all, engine, or a family name (\(Benchmarks.families.map(\.name).joined(separator: ", "))).")
    var only: String = "all"

    func validate() throws {
      guard reps >= 10 else { throw ValidationError("--reps must be at least 10 for a meaningful timing (got \(reps)).") }
      let known = ["all", "engine"] + Benchmarks.families.map(\.name)
      guard known.contains(only) else { throw ValidationError("--only must be one of: \(known.joined(separator: ", ")).") }
    }

    func run() throws {
      #if DEBUG
        print("warning: this is a debug build; use 'swift run -c release study bench' for real figures.\n")
      #endif
      var lines: [BenchmarkLine] = []
      if only == "all" || only == "engine" { lines += try engineLines() }
      for family in Benchmarks.families where only == "all" || only == family.name {
        lines += family.lines()
      }
      let table = TextTable(
        header: ["benchmark", "value", "unit", "note"],
        rows: lines.map { [$0.name, String(format: "%.4g", $0.value), $0.unit, $0.note] }, numeric: [1])
      print(table.text)
      print("\nmachine: \(ProcessInfo.processInfo.activeProcessorCount) cores, \(Manifest.hostDescription)")
    }

    /// Replicates per second of rank-recovery at N = T = 100, r = 3 with 1 and 2 threads, their
    /// ratio, CPU time per replicate, and the split between drawing data and estimating.
    private func engineLines() throws -> [BenchmarkLine] {
      let study = rankRecoveryStudy
      let conditions = try study.grid(settings: ["N=100", "T=100", "r=3", "sd=1"])
      var rates: [Int: Double] = [:]
      var single: RunResult?
      for threads in [1, 2] {
        let r = try Engine.run(study, conditions: conditions, options: RunOptions(reps: reps, seed: study.seed, threads: threads))
        rates[threads] = Double(reps) / r.timing.wallSeconds
        if threads == 1 { single = r }
      }
      guard let one = single, let r1 = rates[1], let r2 = rates[2] else { return [] }
      let estimation = one.timing.methodSeconds.reduce(0, +)
      let busy = one.timing.generateSeconds + estimation
      return [
        BenchmarkLine("rank-recovery replicates/s, 1 thread", r1, "rep/s", note: "N=T=100, r=3, sd=1, kmax=8, \(reps) reps"),
        BenchmarkLine("rank-recovery replicates/s, 2 threads", r2, "rep/s"),
        BenchmarkLine("speed-up 2 vs 1 threads", r2 / r1, "×"),
        BenchmarkLine("wall time per replicate, 1 thread", 1000 / r1, "ms", note: "draw + nine selectors + IFE fit"),
        BenchmarkLine("share of time drawing data", 100 * one.timing.generateSeconds / busy, "%"),
        BenchmarkLine("share of time estimating", 100 * estimation / busy, "%"),
      ]
    }
  }
}
