import Foundation
@testable import StudyCommandLine
import SimStudy
import Testing
import TestSupport

/// End-to-end runs of the built `study` binary: output, files and exit codes.
private func study(_ args: [String], in folder: URL? = nil) throws -> ProcessOutcome { try runBuilt(args, in: folder) }

/// lme4's Penicillin data, kept with the tests.
private let penicillin = packageRoot.appendingPathComponent("Tests/Fixtures/Penicillin.csv").path

private func scratch() throws -> URL {
  let u = FileManager.default.temporaryDirectory.appendingPathComponent("simstudy-cli-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
  return u
}

/// Tests/Fixtures/Cigar.csv (plm's Cigar; see Tests/EstimatorsTests/IFECigarTests.swift).
private let cigarPath = packageRoot.appendingPathComponent("Tests/Fixtures/Cigar.csv").path

@Suite(.serialized) struct CommandLineTests {
  @Test func listNamesEveryStudy() throws {
    let r = try study(["list"])
    #expect(r.status == 0)
    for s in Catalogue.studies { #expect(r.stdout.contains(s.name)) }
  }

  /// The allocator settings of `keepFreedMemory` are ones glibc accepts (it refuses an mmap
  /// threshold above its maximum, which would leave the default page-faulting behaviour in place).
  @Test func allocatorKeepsFreedMemoryOnLinux() {
    #if os(Linux)
      #expect(StudyCommandLine.keepFreedMemory())
    #endif
  }

  @Test func noStudyIsNamedLikeASubcommand() {
    for s in Catalogue.studies { #expect(!StudyCommandLine.reservedNames.contains(s.name)) }
  }

  /// Bad input: one clear sentence on stderr, a non-zero exit, no stack trace.
  @Test(arguments: [
    (["no-such-study"], "'no-such-study' is neither a subcommand (run, list, show, check, baseline, merge, new, bench, fit) nor a study (rank-recovery,"),
    (["run", "no-such-study"], "unknown study 'no-such-study'; the studies are: rank-recovery"),
    (["rank-recovery", "--reps", "0"], "--reps must be at least 1"),
    (["rank-recovery", "--threads", "0"], "--threads must be at least 1"),
    (["rank-recovery", "--set", "N"], "bad --set 'N'"),
    (["rank-recovery", "--set", "Q=1"], "unknown factor 'Q'"),
    (["rank-recovery", "--set", "N=abc"], "factor N needs integers"),
    (["rank-recovery", "--set", "N=50", "--set", "T=50", "--set", "r=50"], "r = 50 must be below min(N, T) = 50"),
    (["rank-recovery", "--set", "N=50", "--set", "T=10"], "kmax = 8 needs"),
    (["show", "rank-recovery", "--results", "/nonexistent-simstudy"], "no results for rank-recovery"),
    (["rank-recovery", "--shard", "4/3"], "--shard"),
    (["rank-recovery", "--shard", "0/2"], "--shard"),
    (["rank-recovery", "--condition", "N=50,T=50,r=1,sd=1"], "--condition and --rep go together"),
    (["rank-recovery", "--condition", "N=50", "--rep", "3"], "--condition must give factor T"),
    (["check", "rank-recovery", "--results", "/nonexistent-simstudy"], "no baseline at"),
    (["ife-bias", "--reference", "nope", "--results", "/nonexistent-simstudy"], "the reference method 'nope' is not one of ife-bias's methods"),
    (["show", "ife-bias", "--reference", "IFE", "--results", "/nonexistent-simstudy"], "--paired and --reference recompute the tables from the store"),
    (["rank-recovery", "--set", "N=50", "--set", "N=100"], "--set names factor N twice"),
    (["rank-recovery", "--reps", "-5"], "--reps must be at least 1 (got -5)"),
    (["rank-recovery", "--threads", "-1"], "--threads must be at least 1 (got -1)"),
    (["rank-recovery", "--condition", "N=50,T=50,r=1,sd=1", "--rep", "-1"], "--rep must be at least 0 (got -1)"),
    (["check", "rank-recovery", "--z", "-1"], "--z must be a positive number"),
    (["merge", "rank-recovery", "a.sqlite", "a.sqlite"], "a shard store is named twice"),
    (["new", "run"], "'run' is a subcommand of this command"),
    (["frobnicate", "rank-recovery"], "'frobnicate' is neither a subcommand (run, list"),
    (["rank-recovery", "--seed", "-1"], "--seed must be a whole number from 0 to 18446744073709551615 (got -1)"),
    (["rank-recovery", "--shard", "-1/3"], "--shard must be i/n with whole numbers 1 ≤ i ≤ n"),
    (["rank-recovery", "--reps", "3000000000"], "--reps must be at most 2147483647"),
    (["rank-recovery", "--set", "N=100000", "--set", "T=100000"], "one replicate needs about 745.1 GiB"),
    (["merge", "rank-recovery", "/nonexistent-simstudy/b.sqlite"], "/nonexistent-simstudy/b.sqlite is not a readable SimStudy store"),
    (["new", "Bad_name"], "'Bad_name' cannot name a study"),
    (["new", "rank-recovery"], "a study named 'rank-recovery' exists already"),
    (["new", "my-study", "--to", "/nonexistent-simstudy"], "/nonexistent-simstudy is not a folder"),
    (["fit", "lmm", "/nonexistent-simstudy/a.csv", "y ~ (1 | g)"], "there is no file '/nonexistent-simstudy/a.csv'"),
    (["fit", "lmm", penicillin, "diameter ~ 1 + (1 | plate"], "expected ')' to close the random term"),
    (["fit", "lmm", penicillin, "diameter ~ dose + (1 | plate)"], "the formula uses a column 'dose' that the data does not have"),
    (["fit", "lmm", penicillin, "diameter ~ 1 + plate"], "has no random term such as (1 | group)"),
    (["fit", "lmm", penicillin, "plate ~ 1 + (1 | sample)"], "column 'plate' is text, but the response must be numeric"),
    (["fit", "lmm", penicillin, "diameter ~ log(plate) + (1 | sample)"], "functions of columns such as 'log(…)' are not supported"),
    (["fit", "ife", "/nonexistent-simstudy/c.csv", "--unit", "state", "--time", "year", "--y", "sales", "--rank", "1"], "there is no file '/nonexistent-simstudy/c.csv'"),
    (["fit", "ife", cigarPath, "--unit", "state", "--time", "year", "--y", "sales", "--x", "pricee", "--rank", "1"], "no column 'pricee'; the columns are: state, year, price, sales"),
    (["fit", "ife", cigarPath, "--unit", "state", "--time", "year", "--y", "sales", "--rank", "30", "--force", "none"], "the number of factors r = 30 must be below min(N, T) = 30"),
    (["fit", "ife", cigarPath, "--unit", "state", "--time", "year", "--y", "sales", "--rank", "1", "--intercept", "grand"], "Please provide one of 'free', 'fect' or 'none'"),
  ])
  func badInputGetsOneSentence(_ args: [String], _ expected: String) throws {
    let r = try study(args)
    #expect(r.status != 0)
    #expect(r.stderr.contains(expected), "stderr was: \(r.stderr)")
    #expect(!r.stderr.contains("Fatal error") && !r.stderr.contains("Stack dump"))
    #expect(r.stdout.isEmpty)
  }

  /// `study fit ife` on Cigar: with a free intercept it prints InteractiveFixedEffectModels.jl's
  /// coefficients (test/interactivefixedeffectsmodel.jl line 12: 328.1653237715761 and
  /// −1.0415042260420706, matched to 10⁻⁴ relative as in IFECigarTests) and says which model it
  /// fitted; with --intercept fect the grand-mean model (β = −0.21406); an unbalanced panel is one
  /// sentence.
  @Test func fitIFEOnCigarStatesTheModelAndMatchesJulia() throws {
    let base = ["fit", "ife", cigarPath, "--unit", "state", "--time", "year", "--y", "sales", "--x", "price", "--rank", "1", "--force", "none"]
    let free = try study(base + ["--intercept", "free", "--json"])
    #expect(free.status == 0, "\(free.stderr)")
    let json = try #require(JSONSerialization.jsonObject(with: Data(free.stdout.utf8)) as? [String: Any])
    let coefficients = try #require(json["coefficients"] as? [[String: Any]])
    let value = Dictionary(uniqueKeysWithValues: coefficients.map { ($0["name"] as! String, $0["estimate"] as! Double) })
    #expect(abs(value["price"]! / -1.0415042260420706 - 1) < 1e-4)
    #expect(abs(value["(Intercept)"]! / 328.1653237715761 - 1) < 1e-4)
    #expect(json["intercept"] as? String == "free" && json["converged"] as? Bool == true)
    #expect((json["model_description"] as? String)?.contains("μ estimated jointly with β, F and Λ") == true)

    let fect = try study(base + ["--intercept", "fect"])
    #expect(fect.status == 0, "\(fect.stderr)")
    #expect(fect.stdout.contains("Formula: sales ~ price + ife(state, year, 1)"))
    #expect(fect.stdout.contains("fect's grand-mean intercept"))
    #expect(fect.stdout.contains("price  -0.214060"))
    #expect(fect.stdout.contains("N = 46 units (state) × T = 30 periods (year)"))

    let dir = try scratch()
    defer { try? FileManager.default.removeItem(at: dir) }
    let lines = try String(contentsOfFile: cigarPath, encoding: .utf8).split(separator: "\n")
    let unbalanced = dir.appendingPathComponent("unbalanced.csv")
    try (lines.filter { $0 != "1,70,39.6,89.8" }.joined(separator: "\n") + "\n").write(to: unbalanced, atomically: true, encoding: .utf8)
    let r = try study(["fit", "ife", unbalanced.path, "--unit", "state", "--time", "year", "--y", "sales", "--rank", "1"])
    #expect(r.status != 0 && r.stdout.isEmpty)
    #expect(r.stderr.contains("the panel is unbalanced: state '1' has no row for year '70' (1 of the 46×30 unit-period cells are missing)"))
  }

  /// ife-bias names "oracle F" as its reference: summary.csv carries each other method's bias
  /// difference and relative precision against it, and `show --reference` re-summarises against
  /// another method without running.
  /// `fit lmm` on lme4's Penicillin data prints lme4's numbers (the `Penicillin` help page of lme4 and
  /// Bates et al. 2015, J. Stat. Softw. 67(1): REML criterion 330.8606, intercept 22.9722 (SE 0.8086),
  /// residual variance 0.3024), and `--json` carries the same fit.
  @Test func fitLMMPrintsLme4sSummary() throws {
    let formula = "diameter ~ 1 + (1 | plate) + (1 | sample)"
    let text = try study(["fit", "lmm", penicillin, formula])
    #expect(text.status == 0, "stderr: \(text.stderr)")
    #expect(text.stdout.contains("REML criterion at convergence: 330.86"))
    #expect(text.stdout.contains("Number of obs: 144, groups: plate, 24; sample, 6"))
    #expect(text.stdout.contains("22.9722"))
    let json = try study(["fit", "lmm", penicillin, formula, "--json"])
    let object = try #require(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
    #expect(abs((object["objective"] as? Double ?? 0) - 330.8606) < 5e-5)
    let fixed = try #require((object["fixed_effects"] as? [[String: Any]])?.first)
    #expect(abs((fixed["estimate"] as? Double ?? 0) - 22.9722) < 5e-5)
    #expect(abs((fixed["std_error"] as? Double ?? 0) - 0.8086) < 5e-5)
    let residual = try #require(object["residual"] as? [String: Any])
    #expect(abs((residual["variance"] as? Double ?? 0) - 0.3024) < 5e-5)
  }

  @Test func referenceComparisonsReachTheFilesAndShow() throws {
    let dir = try scratch()
    defer { try? FileManager.default.removeItem(at: dir) }
    let run = try study(["ife-bias", "--reps", "4", "--set", "N=50", "--set", "T=50", "--quiet"], in: dir)
    #expect(run.status == 0, "\(run.stderr)")
    let csv = try String(contentsOf: dir.appendingPathComponent("Results/ife-bias/summary.csv"), encoding: .utf8)
    #expect(csv.contains(",IFE,beta1,bias_diff,") && csv.contains(",two-way FE,beta2,rel_precision,"))
    #expect(!csv.contains(",oracle F,beta1,bias_diff,"))
    let show = try study(["show", "ife-bias", "--reference", "IFE"], in: dir)
    #expect(show.status == 0, "\(show.stderr)")
    #expect(show.stdout.contains("β1 − ref"))
  }

  @Test func unwritableResultsFolderIsOneSentence() throws {
    let dir = try scratch()
    defer { try? FileManager.default.removeItem(at: dir) }
    let blocker = dir.appendingPathComponent("file")
    try Data("x".utf8).write(to: blocker)
    let r = try study(["rank-recovery", "--reps", "2", "--set", "N=50", "--set", "T=50", "--set", "r=1", "--set", "sd=1", "--results", blocker.path, "--quiet"])
    #expect(r.status != 0)
    #expect(r.stderr.contains("cannot create the folder"))
  }

  /// The same run at 1 and 2 threads writes byte-identical summary.csv files, and `show` re-prints
  /// the table without running.
  @Test func runIsByteIdenticalAcrossThreadsAndShowReprints() throws {
    let dir = try scratch()
    defer { try? FileManager.default.removeItem(at: dir) }
    let common = ["--reps", "6", "--set", "N=50,100", "--set", "T=50", "--set", "r=2", "--set", "sd=1", "--quiet"]
    let a = try study(["rank-recovery", "--threads", "1", "--results", "A"] + common, in: dir)
    let b = try study(["run", "rank-recovery", "--threads", "2", "--results", "B"] + common, in: dir)
    #expect(a.status == 0 && b.status == 0, "\(a.stderr) \(b.stderr)")
    let csvA = try String(contentsOf: dir.appendingPathComponent("A/rank-recovery/summary.csv"), encoding: .utf8)
    let csvB = try String(contentsOf: dir.appendingPathComponent("B/rank-recovery/summary.csv"), encoding: .utf8)
    #expect(csvA == csvB)
    #expect(csvA.hasPrefix("N,T,r,sd,kmax,factors,method,estimand,measure,estimate,mcse\n"))
    #expect(a.stdout.contains("P(r̂ = r)") && a.stdout.contains("IC_p2"))
    for f in ["summary.md", "manifest.json"] {
      #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("A/rank-recovery/\(f)").path))
    }
    let shown = try study(["show", "rank-recovery", "--results", "A"], in: dir)
    #expect(shown.status == 0)
    #expect(shown.stdout.contains("IC_p2"))
  }

  private let small = ["--set", "N=50", "--set", "T=50", "--set", "r=1", "--set", "sd=1", "--quiet"]

  /// A second run resumes: a larger --reps computes only the new replicates; a different seed
  /// against the same store is refused with what differs and how to proceed.
  @Test func resumeExtendAndRefuseChangedDefinition() throws {
    let dir = try scratch()
    defer { try? FileManager.default.removeItem(at: dir) }
    let first = try study(["rank-recovery", "--reps", "4"] + small, in: dir)
    #expect(first.status == 0)
    #expect(first.stdout.contains("4 new replicates"))
    let second = try study(["rank-recovery", "--reps", "10"] + small, in: dir)
    #expect(second.stdout.contains("6 new replicates") && second.stdout.contains("(4 already stored)"))
    let refused = try study(["rank-recovery", "--reps", "10", "--seed", "1"] + small, in: dir)
    #expect(refused.status != 0)
    #expect(refused.stderr.contains("seed") && refused.stderr.contains("--fresh"))
    let fresh = try study(["rank-recovery", "--reps", "3", "--seed", "1", "--fresh"] + small, in: dir)
    #expect(fresh.status == 0 && fresh.stdout.contains("3 new replicates"))
  }

  /// Three shards merged give the same summary.csv as one run; a replayed replicate prints every method.
  @Test func shardsMergeAndReplay() throws {
    let dir = try scratch()
    defer { try? FileManager.default.removeItem(at: dir) }
    #expect(try study(["rank-recovery", "--reps", "9", "--results", "one"] + small, in: dir).status == 0)
    var stores: [String] = []
    for i in 1...3 {
      let r = try study(["rank-recovery", "--reps", "9", "--results", "sh", "--shard", "\(i)/3"] + small, in: dir)
      #expect(r.status == 0 && r.stdout.contains("shard \(i)/3: 3 replicates"))
      stores.append("sh/rank-recovery/shard-\(i)-of-3.sqlite")
    }
    let merged = try study(["merge", "rank-recovery", "--results", "sh"] + stores, in: dir)
    #expect(merged.status == 0 && merged.stdout.contains("merged 9 replicates"))
    let summarised = try study(["rank-recovery", "--reps", "9", "--results", "sh"] + small, in: dir)
    #expect(summarised.stdout.contains("0 new replicates"))
    let a = try String(contentsOf: dir.appendingPathComponent("one/rank-recovery/summary.csv"), encoding: .utf8)
    let b = try String(contentsOf: dir.appendingPathComponent("sh/rank-recovery/summary.csv"), encoding: .utf8)
    #expect(a == b)
    let replay = try study(["rank-recovery", "--condition", "N=50,T=50,r=1,sd=1", "--rep", "5"], in: dir)
    #expect(replay.status == 0)
    for m in ["IC_p1", "PC_p3", "ER", "GR", "ED"] { #expect(replay.stdout.contains(m)) }
  }

  /// kill -9 twice while the run is storing rows (each time after at least one batch was committed
  /// and, checked, before all were), then resume: summary.csv is byte-identical to an
  /// uninterrupted run.
  @Test func killedRunResumesToIdenticalSummary() throws {
    let dir = try scratch()
    defer { try? FileManager.default.removeItem(at: dir) }
    let reps = 3000
    let args = ["rank-recovery", "--reps", "\(reps)", "--threads", "2"] + small
    #expect(try study(args + ["--results", "clean"], in: dir).status == 0)
    let storeURL = dir.appendingPathComponent("killed/rank-recovery/store.sqlite")
    func stored() -> Int {
      guard FileManager.default.fileExists(atPath: storeURL.path),
        let store = try? ResultStore(url: storeURL, fingerprint: StudyFingerprint(study: rankRecoveryStudy, seed: rankRecoveryStudy.seed))
      else { return 0 }
      return (try? store.itemCount()) ?? 0
    }
    for _ in 0..<2 {
      let before = stored()
      let p = Process()
      p.executableURL = builtProduct("study")
      p.arguments = args + ["--results", "killed"]
      p.currentDirectoryURL = dir
      p.standardOutput = FileHandle.nullDevice
      p.standardError = FileHandle.nullDevice
      try p.run()
      let deadline = Date().addingTimeInterval(60)
      while stored() <= before && p.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
      kill(p.processIdentifier, SIGKILL)
      p.waitUntilExit()
      let now = stored()
      #expect(now > before && now < reps, "the kill must come while rows are being stored (stored \(now) of \(reps))")
    }
    let resumed = try study(args + ["--results", "killed"], in: dir)
    #expect(resumed.status == 0)
    let a = try String(contentsOf: dir.appendingPathComponent("clean/rank-recovery/summary.csv"), encoding: .utf8)
    let b = try String(contentsOf: dir.appendingPathComponent("killed/rank-recovery/summary.csv"), encoding: .utf8)
    #expect(a == b)
  }

  /// `--fresh` removes only a store of this study: a folder, a file that is no store, and another
  /// study's store are refused with one sentence and left as they were.
  @Test func freshRemovesOnlyThisStudysStore() throws {
    let dir = try scratch()
    defer { try? FileManager.default.removeItem(at: dir) }
    let folder = dir.appendingPathComponent("precious")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    try Data("keep".utf8).write(to: folder.appendingPathComponent("notes.txt"))
    let plain = dir.appendingPathComponent("data.csv")
    try Data("a,b\n1,2\n".utf8).write(to: plain)
    #expect(try study(["ife-bias", "--reps", "2", "--set", "N=50", "--set", "T=50", "--quiet"], in: dir).status == 0)
    let other = dir.appendingPathComponent("Results/ife-bias/store.sqlite")
    for (target, reason) in [(folder.path, "is a folder"), (plain.path, "is not a SimStudy store"), (other.path, "is a store of study ife-bias")] {
      let r = try study(["rank-recovery", "--reps", "2", "--fresh", "--store", target, "--quiet"] + small, in: dir)
      #expect(r.status != 0)
      #expect(r.stderr.contains("--fresh removes only a store of this study, and \(target) \(reason); nothing was removed"), "\(r.stderr)")
    }
    #expect(try String(contentsOf: folder.appendingPathComponent("notes.txt"), encoding: .utf8) == "keep")
    #expect(try String(contentsOf: plain, encoding: .utf8) == "a,b\n1,2\n")
    #expect(try ResultStore.readFingerprint(other).study == "ife-bias")
  }

  /// `new NAME --to DIR` writes the template (never over an existing file); the file committed as
  /// TemplateStudy.swift is that template, so this test target compiling and running it proves the
  /// template builds and runs.
  @Test func newWritesTheTemplateThatCompilesAndRuns() throws {
    let dir = try scratch()
    defer { try? FileManager.default.removeItem(at: dir) }
    let r = try study(["new", "template-study", "--to", dir.path])
    #expect(r.status == 0, "\(r.stderr)")
    let written = try String(contentsOf: dir.appendingPathComponent("TemplateStudy.swift"), encoding: .utf8)
    let committed = try String(contentsOf: packageRoot.appendingPathComponent("Tests/StudyCLITests/TemplateStudy.swift"), encoding: .utf8)
    #expect(written == committed && written == StudyTemplate.render(name: "template-study"))
    let again = try study(["new", "template-study", "--to", dir.path])
    #expect(again.status != 0 && again.stderr.contains("exists already; nothing was written"))
    let report = try StudyRun(templateStudy, RunSettings(reps: 200, threads: 2)).inMemory()
    let mean = report.summary.filter { $0.method == "mean" && $0.measure == "coverage" }
    let median = report.summary.filter { $0.method == "median" && $0.measure == "median_abs_error" }
    #expect(mean.count == 4 && median.count == 4)
    // The mean's interval is exact: coverage 0.95 within 4 binomial MCSEs at 200 replicates.
    for c in mean { #expect(abs(c.estimate - 0.95) < 4 * (0.95 * 0.05 / 200).squareRoot()) }
  }
}

/// `StudyCommandLine.main` checks every study it is given before parsing anything: a definition
/// mistake, a study named like a subcommand and two studies of one name each stop it with one
/// sentence (main then exits 1).
@Suite struct RegistrationTests {
  @Test func studiesAreCheckedBeforeTheCommandRuns() throws {
    let misspelled = Study(
      name: "typo", aim: "", seed: 1, factors: [Factor("n", integers: [3])], estimands: [EstimandSpec("mu", .continuous)],
      columns: [TableColumn("mu", "rmsee")],
      generate: { _, rng in Draw(rng.normals(3), truth: ["mu": 0]) },
      methods: [StudyMethod("first") { x, _ in MethodOutput([Estimate(estimand: "mu", value: x[0])]) }])
    #expect(
      throws: DefinitionError(
        study: "typo",
        problem: "the table column 'mu rmsee' names the measure 'rmsee', which continuous estimand mu does not have (did you mean 'rmse'?)")
    ) { try StudyCommandLine.register(studies: [templateStudy, misspelled], benchmarks: []) }
    #expect(throws: DefinitionError.self) { try StudyCommandLine.register(studies: [templateStudy, templateStudy], benchmarks: []) }
    try StudyCommandLine.register(studies: Catalogue.studies + [templateStudy], benchmarks: [])
  }

  // MARK: - study fit classo

  /// classifylasso's static savings fit (Tests/Fixtures/ssp_saving.csv, the package's saving.dta) from
  /// the long file: K̂ = 2 with 34 and 22 countries and G1's cpi slope −.1813043 (SE .0422854), as a
  /// Stata log of `classifylasso savings cpi interest gdp, grouplist(1/5) tolerance(1e-4)` prints
  /// them (see CLassoConventionsTests); the coefficients named after the columns, the units by label.
  @Test func fitClassoSummarisesALongPanel() throws {
    let file = packageRoot.appendingPathComponent("Tests/Fixtures/ssp_saving.csv").path
    let r = try study([
      "fit", "classo", file, "--unit", "code", "--time", "year", "--y", "savings", "--x", "cpi", "--x", "interest", "--x", "gdp",
      "--preset", "classifylasso", "--tolerance", "1e-4",
    ])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("* Selected number of groups: 2"))
    #expect(r.stdout.contains("(34 units, 510 obs)") && r.stdout.contains("(22 units, 330 obs)"))
    #expect(r.stdout.contains("cpi") && r.stdout.contains("-0.181304") && r.stdout.contains("0.0422854"))
    #expect(r.stdout.contains("standard errors: conventional"))
    let j = try study([
      "fit", "classo", file, "--unit", "code", "--time", "year", "--y", "savings", "--x", "cpi", "--groups", "1", "--json",
    ])
    #expect(j.status == 0)
    #expect(j.stdout.contains("\"selected\": 1") && j.stdout.contains("\"name\": \"cpi\""))
  }

  @Test(arguments: [
    (["--x", "nosuch"], "nosuch"),
    (["--x", "cpi", "--groups", "2", "--max-groups", "3"], "either --groups or --max-groups"),
    (["--x", "cpi", "--groups", "60"], "exceeds the 56 units"),
    ([String](), "at least one regressor"),
  ])
  func fitClassoRejectsBadInput(_ extra: [String], _ message: String) throws {
    let file = packageRoot.appendingPathComponent("Tests/Fixtures/ssp_saving.csv").path
    let r = try study(["fit", "classo", file, "--unit", "code", "--time", "year", "--y", "savings"] + extra)
    #expect(r.status != 0)
    #expect(r.stderr.contains(message), "\(r.stderr)")
    #expect(r.stderr.split(separator: "\n").filter { !$0.hasPrefix("Usage") && !$0.hasPrefix("  See") && !$0.isEmpty }.count <= 2)
  }

  /// A transposed or incomplete panel is refused rather than fitted: dropping one row makes it unbalanced.
  @Test func fitClassoRefusesAnUnbalancedPanel() throws {
    let dir = try scratch()
    let lines = try String(contentsOf: packageRoot.appendingPathComponent("Tests/Fixtures/ssp_saving.csv"), encoding: .utf8)
      .split(separator: "\n")
    let file = dir.appendingPathComponent("unbalanced.csv")
    try (lines.prefix(1) + lines.dropFirst(2)).joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
    let r = try study(["fit", "classo", file.path, "--unit", "code", "--time", "year", "--y", "savings", "--x", "cpi"])
    #expect(r.status != 0)
    #expect(r.stderr.contains("unbalanced"), "\(r.stderr)")
  }
}

