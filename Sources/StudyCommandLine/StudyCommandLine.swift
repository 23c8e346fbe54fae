import ArgumentParser
import CAllocator
import Foundation
import ReplicateEngine
import StudyRunner
import Synchronization

/// The `study` command as a library: a package that depends on SimStudy gets the whole interface —
/// list, run (resume, `--fresh`, shards, replay, progress), show, check, baseline, merge, new, bench —
/// for its own studies with one call from its executable's `main.swift`:
///
/// ```swift
/// import SimStudy
/// StudyCommandLine.main(studies: [myStudy])                        // or Catalogue.studies + [myStudy]
/// ```
public enum StudyCommandLine {
  /// Names no study may take: `NAME` is short for `run NAME`, so a study named like a subcommand
  /// (or `help`, or `plot`, the figures script's verb) could never be run that way.
  public static var reservedNames: Set<String> {
    Set(StudyCommand.subcommands.map { $0._commandName }).union(["help", "plot"])
  }

  /// Parses the process's arguments (or `arguments`), runs the command and exits: status 0 on
  /// success, non-zero with one sentence on stderr otherwise. Every study's definition is checked
  /// first (`Study.checkDefinition()`), as are duplicate and reserved study names.
  public static func main(studies: [Study], benchmarks: [BenchmarkFamily] = [], arguments: [String]? = nil) -> Never {
    keepFreedMemory()
    do {
      try register(studies: studies, benchmarks: benchmarks)
    } catch {
      FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
      exit(1)
    }
    let words = arguments ?? Array(CommandLine.arguments.dropFirst())
    if let first = words.first, !first.hasPrefix("-"), !reservedNames.contains(first), !studies.contains(where: { $0.name == first }) {
      let subcommands = StudyCommand.subcommands.map { $0._commandName }
      FileHandle.standardError.write(
        Data(
          ("Error: '\(first)' is neither a subcommand (\(subcommands.joined(separator: ", "))) nor a study "
            + "(\(studies.map(\.name).joined(separator: ", "))); see '\(commandName) --help'.\n").utf8))
      exit(64)
    }
    StudyCommand.main(arguments)
    exit(0)
  }

  /// Tells glibc's allocator to keep freed memory for reuse. By default it returns the free top of
  /// the heap to the system once more than 128 KiB lie there, and serves blocks of 128 KiB or more
  /// by mmap, so a replicate loop that allocates and frees its panels pays page faults on every
  /// replicate: 2 000 rank-recovery replicates at N = T = 100 took 160 000–190 000 minor faults and
  /// 0.5 s of system time (1.86 s in all, 1.41 s with this). A simulation reuses its working set at
  /// once; the process keeps its peak heap instead (what a study needs anyway). No effect off glibc.
  /// True when glibc accepted both settings.
  @discardableResult static func keepFreedMemory() -> Bool {
    simstudy_keep_freed_memory(512 << 20, 32 << 20) == 1  // 32 MiB: glibc's largest mmap threshold on 64-bit
  }

  /// Checks and installs the studies the commands see.
  static func register(studies: [Study], benchmarks: [BenchmarkFamily]) throws {
    var seen: Set<String> = []
    for s in studies {
      try s.checkDefinition()
      guard !reservedNames.contains(s.name) else {
        throw DefinitionError(study: s.name, problem: "its name is a subcommand of this command; rename the study")
      }
      guard seen.insert(s.name).inserted else { throw DefinitionError(study: s.name, problem: "two studies have this name") }
    }
    registry.withLock { $0 = Registry(studies: studies, benchmarks: benchmarks) }
  }

  static var studies: [Study] { registry.withLock { $0.studies } }
  /// The framework's own overhead benchmark, then the families the command was given.
  static var benchmarks: [BenchmarkFamily] { [OverheadBenchmark.family] + registry.withLock { $0.benchmarks } }

  /// The study called `name`, or an error listing the known ones.
  static func study(named name: String) throws(StudyError) -> Study {
    let all = studies
    guard let s = all.first(where: { $0.name == name }) else { throw .unknownStudy(name, known: all.map(\.name)) }
    return s
  }

  /// The name the command is invoked by ("study", or the user's executable).
  static var commandName: String {
    CommandLine.arguments.first.map { URL(fileURLWithPath: $0).lastPathComponent } ?? "study"
  }
}

private struct Registry: Sendable {
  var studies: [Study] = []
  var benchmarks: [BenchmarkFamily] = []
}

private let registry = Mutex(Registry())
