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

    @Option(
      help: ArgumentHelp(
        "A directory holding the Python peer scripts: also time them on the same designs and print ours, theirs and the ratio.",
        valueName: "DIR"))
    var peers: String?

    @Option(help: ArgumentHelp("The Python interpreter for --peers (a path, or a name on PATH).", valueName: "PATH"))
    var python: String = "python3"

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
      var compared: [(family: BenchmarkFamily, lines: [BenchmarkLine])] = []
      for family in StudyCommandLine.benchmarks where only == "all" || only == family.name {
        let own = try family.lines(reps)
        lines += own
        if family.peers != nil { compared.append((family, own)) }
      }
      let table = TextTable(
        header: ["benchmark", "value", "unit", "note"],
        rows: lines.map { [$0.name, String(format: "%.4g", $0.value), $0.unit, $0.note] }, numeric: [1])
      print(table.text)
      if let peers {
        comparePeers(compared, directory: peers)
      } else if !compared.isEmpty {
        print(
          "\npeer comparison: pass --peers DIR (the Python peer scripts) [--python PATH] to time them on the same designs "
            + "and print ours, theirs and the ratio.")
      }
      print("\nmachine: \(ProcessInfo.processInfo.activeProcessorCount) cores, \(Manifest.hostDescription)")
    }

    /// Runs each family's peer script once (families sharing a script and arguments share the run)
    /// and prints ours, theirs and the ratio; a peer that cannot be run is one line saying why.
    func comparePeers(_ compared: [(family: BenchmarkFamily, lines: [BenchmarkLine])], directory: String) {
      let runner = PeerRunner(directory: directory, python: python)
      var cache: [String: Result<[String: Double], PeerRunner.Failure>] = [:]
      var rows: [PeerRow] = []
      var problems: [String] = []
      for (family, own) in compared {
        guard let peers = family.peers else { continue }
        let key = ([peers.script] + peers.arguments).joined(separator: " ")
        if cache[key] == nil {
          print("\nrunning peer: \(python) \(peers.script) \(peers.arguments.joined(separator: " "))…")
          do {
            let run = try runner.run(peers)
            cache[key] = .success(run.seconds)
          } catch let failure as PeerRunner.Failure {
            cache[key] = .failure(failure)
          } catch {
            cache[key] = .failure(PeerRunner.Failure(description: "\(error)"))
          }
        }
        switch cache[key] {
        case .success(let theirs):
          let found = PeerRow.rows(peers, ours: own, theirs: theirs)
          rows += found
          for row in found where row.theirSeconds == nil {
            problems.append("\(family.name): no '\(row.theirs)' timing in the output of \(peers.script)")
          }
          for row in found where row.ourSeconds == nil {
            problems.append("\(family.name): no time for our '\(row.ours)' (line missing or failed)")
          }
        case .failure(let failure):
          problems.append("not run for \(family.name): \(failure.description)")
        case nil: break
        }
      }
      func ms(_ seconds: Double?) -> String { seconds.map { String(format: "%.4g", $0 * 1000) } ?? "–" }
      if !rows.isEmpty {
        let table = TextTable(
          header: ["ours ↔ theirs", "ours ms", "theirs ms", "theirs / ours", "what each side counts"],
          rows: rows.map { row in
            ["\(row.ours.trimmingCharacters(in: .whitespaces)) ↔ \(row.theirs)", ms(row.ourSeconds), ms(row.theirSeconds),
             row.ratio.map { String(format: "%.3g×", $0) } ?? "–", row.note]
          }, numeric: [1, 2, 3])
        print("\npeer comparison (\(python), scripts in \(directory); one run, this machine):")
        print(table.text)
      }
      for problem in problems { print("peer comparison: \(problem)") }
    }
  }
}
