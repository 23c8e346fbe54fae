import ArgumentParser
import Foundation
import ReplicateEngine
import StudyRunner

extension StudyCommand {
  struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Run a study over its grid, resuming from its store, and write Results/NAME/.",
      discussion: """
        Rows go to Results/NAME/store.sqlite as replicates finish; running again resumes with only the \
        missing replicates, and a larger --reps computes only the new ones. Before resuming, the first \
        and last stored replicate of every condition are recomputed: if the code no longer reproduces \
        them, the run stops rather than mix old and new results. With --condition and --rep, one \
        replicate is re-run and every method's estimates printed (nothing is stored).
        """)

    @OptionGroup var arguments: RunArguments

    @Flag(help: "Remove the study's store first and start over (only a store of this study is ever removed).")
    var fresh = false

    @Option(help: "Use this store file instead of Results/NAME/store.sqlite (e.g. to keep two definitions).")
    var store: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Run only shard i of n (replicates ≡ i−1 mod n) into its own store; combine with 'merge'.", valueName: "i/n"))
    var shard: String?

    @Flag(help: "Judge every method on the same replicates: those where all methods succeeded.")
    var paired = false

    @Option(help: ArgumentHelp("Compare every method with this one on the same replicates (bias_diff, rel_precision); defaults to the study's own reference, if any.", valueName: "method"))
    var reference: String?

    @Option(help: ArgumentHelp("Replay one replicate of this condition, e.g. 'N=100,T=50,r=2' (with --rep).", valueName: "factor=value,…"))
    var condition: String?

    @Option(parsing: .unconditional, help: "The replicate to replay (with --condition).")
    var rep: Int?

    func validate() throws {
      if (condition == nil) != (rep == nil) { throw ValidationError("--condition and --rep go together: name one condition and one replicate to replay.") }
      if let rep, rep < 0 { throw ValidationError("--rep must be at least 0 (got \(rep)).") }
      if shard != nil && (condition != nil || paired) { throw ValidationError("--shard cannot be combined with --condition or --paired.") }
      if store?.isEmpty == true { throw ValidationError("--store needs a file name.") }
      _ = try parseShard(shard)
    }

    func run() throws {
      let study = try StudyCommandLine.study(named: arguments.name)
      var settings = arguments.settings()
      settings.store = store.map { URL(fileURLWithPath: $0) }
      settings.fresh = fresh
      let shard = try parseShard(self.shard)
      settings.shard = shard
      settings.paired = paired
      settings.reference = reference
      if let spec = condition, let rep {
        print(try StudyRun(study, RunSettings(seed: arguments.seedValue)).replay(condition: spec, replicate: rep))
        return
      }
      let run = try StudyRun(study, settings)
      let outcome = try run.execute(log: { if !arguments.quiet { note($0) } })
      if let shard {
        let command = StudyCommandLine.commandName
        var options = arguments.overrides.map { "--set \($0)" }
        if let seed = arguments.seed { options.append("--seed \(seed)") }
        if arguments.results != "Results" { options.append("--results \(arguments.results)") }
        let extra = options.isEmpty ? "" : " " + options.joined(separator: " ")
        let stores = run.folder.appendingPathComponent("shard-*-of-\(shard.count).sqlite").path
        print("shard \(shard.index)/\(shard.count): \(outcome.newReplicates) replicates into \(outcome.storeURL.path)")
        print("when every shard is done: \(command) merge \(study.name) \(stores)\(arguments.results != "Results" ? " --results \(arguments.results)" : ""), then \(command) run \(study.name) --reps \(arguments.reps)\(extra) to summarise")
        return
      }
      if let report = outcome.report { print(report.terminalText) }
      print(
        String(
          format: "%d new replicates in %.2f s on %d threads (%d already stored); tables in %@/", outcome.newReplicates,
          outcome.wallSeconds, arguments.threads, outcome.alreadyStored, run.folder.path))
    }
  }
}
