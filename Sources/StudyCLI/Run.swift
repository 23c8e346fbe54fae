import ArgumentParser
import Foundation
import ReplicateEngine
import ResultStore
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

  func folder(_ study: Study) -> URL { URL(fileURLWithPath: results).appendingPathComponent(study.name) }
}

/// `--shard i/n`: the items whose replicate ≡ i − 1 (mod n).
struct Shard: ExpressibleByArgument, Sendable {
  let index: Int
  let count: Int

  init?(argument: String) {
    let parts = argument.split(separator: "/").map { Int($0) }
    guard parts.count == 2, let i = parts[0], let n = parts[1], n >= 1, i >= 1, i <= n else { return nil }
    index = i
    count = n
  }

  func contains(_ item: WorkItem) -> Bool { item.replicate % count == index - 1 }
  var fileName: String { "shard-\(index)-of-\(count).sqlite" }
}

extension StudyCommand {
  struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Run a study over its grid, resuming from its store, and write Results/NAME/.",
      discussion: """
        Rows go to Results/NAME/store.sqlite as replicates finish; running again resumes with only the \
        missing replicates, and a larger --reps computes only the new ones. With --condition and --rep, \
        one replicate is re-run and every method's estimates printed (nothing is stored).
        """)

    @OptionGroup var arguments: RunArguments

    @Flag(help: "Delete the study's store first and start over.")
    var fresh = false

    @Option(help: "Use this store file instead of Results/NAME/store.sqlite (e.g. to keep two definitions).")
    var store: String?

    @Option(help: ArgumentHelp("Run only shard i of n (replicates ≡ i−1 mod n) into its own store; combine with 'study merge'.", valueName: "i/n"))
    var shard: Shard?

    @Flag(help: "Judge every method on the same replicates: those where all methods succeeded.")
    var paired = false

    @Option(help: ArgumentHelp("Compare every method with this one on the same replicates (bias_diff, rel_precision); defaults to the study's own reference, if any.", valueName: "method"))
    var reference: String?

    @Option(help: ArgumentHelp("Replay one replicate of this condition, e.g. 'N=100,T=50,r=2' (with --rep).", valueName: "factor=value,…"))
    var condition: String?

    @Option(help: "The replicate to replay (with --condition).")
    var rep: Int?

    func validate() throws {
      if (condition == nil) != (rep == nil) { throw ValidationError("--condition and --rep go together: name one condition and one replicate to replay.") }
      if let rep, rep < 0 { throw ValidationError("--rep must be at least 0 (got \(rep)).") }
      if shard != nil && (condition != nil || paired) { throw ValidationError("--shard cannot be combined with --condition or --paired.") }
    }

    func run() throws {
      let study = try Catalogue.study(named: arguments.name)
      let seed = arguments.seed ?? study.seed
      if let spec = condition, let rep {
        try replay(study, spec: spec, replicate: rep, seed: seed)
        return
      }
      let (_, conditions) = try arguments.resolve()
      let summarizer = try Summarizer(
        study: study, conditions: conditions, reps: arguments.reps, paired: paired, reference: reference)
      let folder = arguments.folder(study)
      let storeURL = store.map { URL(fileURLWithPath: $0) } ?? folder.appendingPathComponent(shard?.fileName ?? "store.sqlite")
      if fresh { try ResultStore.remove(at: storeURL) }
      let results = try ResultStore(url: storeURL, fingerprint: StudyFingerprint(study: study, seed: seed))
      try results.bind(conditions)
      let done = try results.completed(reps: arguments.reps)
      let items = Engine.schedule(study, conditions: conditions, reps: arguments.reps) { item in
        !done.contains(item) && (shard?.contains(item) ?? true)
      }
      if !arguments.quiet && !done.isEmpty {
        FileHandle.standardError.write(Data("resuming \(storeURL.path): \(done.count) replicates stored, \(items.count) to run\n".utf8))
      }
      let timing = try Engine.execute(
        study, conditions: conditions, items: items,
        options: RunOptions(reps: arguments.reps, seed: seed, threads: arguments.threads, progress: !arguments.quiet), sink: results)
      if let shard {
        print("shard \(shard.index)/\(shard.count): \(timing.replicates) replicates into \(storeURL.path)")
        print("when every shard is done: study merge \(study.name) <shard stores…>, then study run \(study.name) --reps \(arguments.reps) to summarise")
        return
      }
      let report = Report(
        study: study, conditions: conditions, reps: arguments.reps, seed: seed,
        summary: try summarizer.summary(from: results), failures: try summarizer.failureDigests(from: results),
        reference: summarizer.reference)
      let manifest = Manifest(
        study: study, seed: seed, reps: arguments.reps, conditions: conditions, threads: arguments.threads,
        wallSeconds: timing.wallSeconds, newReplicates: timing.replicates)
      try report.write(to: folder, manifest: manifest)
      print(report.terminalText)
      print(String(format: "%d new replicates in %.2f s on %d threads (%d already stored); tables in %@/", timing.replicates, timing.wallSeconds, arguments.threads, done.count, folder.path))
    }

    /// Re-runs one replicate and prints every method's estimates and status.
    private func replay(_ study: Study, spec: String, replicate: Int, seed: UInt64) throws {
      let condition = try study.condition(parsing: spec)
      try Engine.validate(study, condition)
      let outcome = try study.replicate(condition, index: replicate, seed: seed)
      print("\(study.name) \(condition.canonical), replicate \(replicate), seed \(seed)")
      print(String(format: "data drawn in %.3f ms", outcome.generateSeconds * 1000))
      var rows: [[String]] = []
      func num(_ x: Double?) -> String { x.map { String(format: "%.6g", $0) } ?? "" }
      for (m, o) in outcome.methods.enumerated() {
        let ms = String(format: "%.3f", o.seconds * 1000)
        if o.estimates.isEmpty {
          rows.append([study.methodNames[m], o.status.rawValue, "", "", "", "", "", "", "", ms, o.message ?? ""])
        }
        for e in o.estimates {
          rows.append([
            study.methodNames[m], e.identified ? o.status.rawValue : "not identified", e.estimand, num(outcome.truth[e.estimand]),
            e.identified ? num(e.value) : "", num(e.se), num(e.lower), num(e.upper), num(e.pValue), ms, o.message ?? "",
          ])
        }
      }
      print(
        TextTable(
          header: ["method", "status", "estimand", "truth", "value", "se", "lower", "upper", "p", "ms", "message"], rows: rows,
          numeric: [3, 4, 5, 6, 7, 8, 9]
        ).text)
    }
  }
}
