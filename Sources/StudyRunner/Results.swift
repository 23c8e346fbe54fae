import Foundation
import ReplicateEngine
import ResultStore

extension StudyRun {
  /// The tables of a study's last run, recomputed from its store for the conditions and replicates
  /// in its manifest.json; without a store (or manifest) the tables are read back from summary.csv,
  /// unless `paired` or `reference` ask for a recomputation.
  public static func show(
    _ study: Study, results: URL, store: URL? = nil, paired: Bool = false, reference: String? = nil
  ) throws -> Report {
    try study.checkDefinition()
    let folder = results.appendingPathComponent(study.name)
    let storeURL = store ?? folder.appendingPathComponent("store.sqlite")
    let manifestURL = folder.appendingPathComponent("manifest.json")
    guard FileManager.default.fileExists(atPath: storeURL.path),
      let data = try? Data(contentsOf: manifestURL),
      let manifest = try? JSONDecoder().decode(Manifest.self, from: data)
    else {
      if paired || reference != nil {
        throw StudyError.invalidArgument(
          "--paired and --reference recompute the tables from the store, and \(storeURL.path) or its manifest.json is missing.")
      }
      return try Report.read(study: study, from: folder)
    }
    let stored = try ResultStore.readFingerprint(storeURL)
    let conditions = try manifest.conditions.map { try study.condition(parsing: $0) }
    let bound = try ResultStore(url: storeURL, fingerprint: StudyFingerprint(study: study, seed: stored.seed)).bind(conditions)
    return try Summarizer(study: study, conditions: conditions, reps: manifest.reps, paired: paired, reference: reference)
      .report(from: bound, seed: stored.seed)
  }

  /// What `check` found.
  public struct CheckOutcome: Sendable {
    public let baseline: Baseline
    public let reps: Int
    public let check: BaselineCheck
  }

  /// Reruns a study as its baseline (`results/NAME/baseline.json`) was run — same conditions, seed
  /// and, unless `reps` says otherwise, replicates — and compares every cell: within `z` combined
  /// MCSEs, or identical with `exact`.
  public static func check(
    _ study: Study, results: URL, reps: Int? = nil, z: Double = 3, exact: Bool = false,
    threads: Int = ProcessInfo.processInfo.activeProcessorCount, progress: Bool = false
  ) throws -> CheckOutcome {
    try study.checkDefinition()
    let url = results.appendingPathComponent(study.name).appendingPathComponent("baseline.json")
    let baseline = try Baseline.read(url, study: study.name)
    let n = reps ?? baseline.reps
    let run = try StudyRun(
      study, RunSettings(reps: n, seed: baseline.seed, threads: threads, settings: baseline.settings, progress: progress))
    let check = BaselineCheck(baseline: baseline.cells, current: Baseline.cells(of: try run.inMemory()), z: z, exact: exact)
    return CheckOutcome(baseline: baseline, reps: n, check: check)
  }

  /// Merges shard stores into `target` (all or nothing); returns the replicates added and the
  /// target's total. The target takes the seed of the first store.
  public static func merge(_ study: Study, stores: [URL], into target: URL) throws -> (added: Int, total: Int) {
    try study.checkDefinition()
    guard let first = stores.first else { throw StudyError.invalidArgument("name at least one shard store to merge") }
    let seed = try ResultStore.readFingerprint(first).seed
    let lock = try StoreLock(store: target)
    defer { withExtendedLifetime(lock) {} }
    let store = try ResultStore(url: target, fingerprint: StudyFingerprint(study: study, seed: seed))
    let added = try store.merge(stores)
    return (added, try store.itemCount())
  }

  /// Re-runs one replicate of the condition written as "N=100,T=50,…" and returns every method's
  /// estimates and status as a table (nothing is stored).
  public func replay(condition spec: String, replicate: Int) throws -> String {
    let condition = try study.condition(parsing: spec)
    try Engine.validate(study, condition)
    let outcome = try study.replicate(condition, index: replicate, seed: seed)
    var out = "\(study.name) \(condition.canonical), replicate \(replicate), seed \(seed)\n"
    out += String(format: "data drawn in %.3f ms\n", outcome.generateSeconds * 1000)
    var rows: [[String]] = []
    func num(_ x: Double?) -> String { x.map { String(format: "%.6g", $0) } ?? "" }
    for (m, o) in outcome.methods.enumerated() {
      let ms = String(format: "%.3f", o.seconds * 1000)
      if o.estimates.isEmpty {
        rows.append([study.methodNames[m], o.status.label, "", "", "", "", "", "", "", ms, o.message ?? ""])
      }
      for e in o.estimates {
        rows.append([
          study.methodNames[m], e.identified ? o.status.label : ResultRow.Status.notIdentified.label, e.estimand,
          num(outcome.truth[e.estimand]), e.identified ? num(e.value) : "", num(e.se), num(e.lower), num(e.upper),
          num(e.pValue), ms, o.message ?? "",
        ])
      }
    }
    out += TextTable(
      header: ["method", "status", "estimand", "truth", "value", "se", "lower", "upper", "p", "ms", "message"], rows: rows,
      numeric: [3, 4, 5, 6, 7, 8, 9]
    ).text
    return out
  }
}
