import Foundation
import Estimators
import LinearAlgebra
import RandomStreams

/// What produced a results folder: enough to reproduce it and to judge the numbers' provenance.
public struct Manifest: Codable, Sendable {
  public var study: String
  public var seed: UInt64
  public var reps: Int
  public var conditions: [String]
  public var methods: [String]
  public var threads: Int
  public var wallSeconds: Double
  public var gitCommit: String
  public var libraries: [String: String]
  public var created: String
  public var host: [String: String]

  public var newReplicates: Int

  public init(study: Study, seed: UInt64, reps: Int, conditions: [Condition], threads: Int, wallSeconds: Double, newReplicates: Int) {
    self.study = study.name
    self.seed = seed
    self.reps = reps
    self.conditions = conditions.map(\.canonical)
    methods = study.methodDescriptions
    self.threads = threads
    self.wallSeconds = wallSeconds
    self.newReplicates = newReplicates
    gitCommit = Manifest.currentGitCommit()
    libraries = ["gsl": GSL.version, "openblas": BLAS.configuration, "openblas_core": BLAS.coreName, "lapack": LAPACK.version]
    created = ISO8601DateFormatter().string(from: Date())
    host = [
      "cores": String(ProcessInfo.processInfo.activeProcessorCount),
      "memory_gib": String(format: "%.1f", Double(ProcessInfo.processInfo.physicalMemory) / 1_073_741_824),
      "os": ProcessInfo.processInfo.operatingSystemVersionString,
    ]
  }

  public init(result: RunResult, threads: Int) {
    self.init(
      study: result.study, seed: result.seed, reps: result.reps, conditions: result.conditions, threads: threads,
      wallSeconds: result.timing.wallSeconds, newReplicates: result.timing.replicates)
  }

  /// A short description of the machine for benchmark output.
  public static var hostDescription: String {
    String(format: "%.1f GiB, ", Double(ProcessInfo.processInfo.physicalMemory) / 1_073_741_824)
      + ProcessInfo.processInfo.operatingSystemVersionString + "; " + BLAS.configuration + "; logit kernels "
      + LogitKernels.path
  }

  /// The current git commit (with "+dirty" when the tree has changes), or "unknown" outside a checkout.
  public static func currentGitCommit() -> String {
    func git(_ args: [String]) -> String? {
      let p = Process()
      p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
      p.arguments = ["git"] + args
      let out = Pipe()
      p.standardOutput = out
      p.standardError = FileHandle.nullDevice
      do { try p.run() } catch { return nil }
      let data = out.fileHandleForReading.readDataToEndOfFile()
      p.waitUntilExit()
      guard p.terminationStatus == 0 else { return nil }
      return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
    guard let head = git(["rev-parse", "HEAD"]) else { return "unknown" }
    let dirty = git(["status", "--porcelain", "--untracked-files=no"]).map { !$0.isEmpty } ?? false
    return dirty ? head + "+dirty" : head
  }

  public var json: String {
    let enc = JSONEncoder()
    enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return String(decoding: (try? enc.encode(self)) ?? Data(), as: UTF8.self) + "\n"
  }
}


/// The machine and build that compute a run's numbers. Two runs with the same descriptor give
/// bit-identical rows; across descriptors (another CPU, whose OpenBLAS kernel or logit-kernel path
/// differs, or other library versions) the last bits may differ. A store records the descriptor of
/// the machine that filled it, so a resumed run knows whether to compare recomputed replicates
/// exactly.
public enum BuildEnvironment {
  public static let descriptor: String = {
    #if DEBUG
      let build = "debug"
    #else
      let build = "release"
    #endif
    #if arch(x86_64)
      let arch = "x86_64"
    #elseif arch(arm64)
      let arch = "arm64"
    #else
      let arch = "other"
    #endif
    return "\(arch); \(BLAS.configuration), core \(BLAS.coreName); GSL \(GSL.version); LAPACK \(LAPACK.version); "
      + "logit kernels \(LogitKernels.path); \(build) build"
  }()
}

/// The package version recorded in fingerprints, manifests and baselines.
public enum SimStudyVersion {
  public static let current = "0.1.0"
}
