import Foundation
import ReplicateEngine

/// Runs a peer script for `study bench --peers DIR` and reads its timings. Every way it can go
/// wrong (no interpreter, no script, a failing or hung script, output it cannot read) is a
/// `PeerRunner.Failure` with one sentence, never a crash.
struct PeerRunner {
  struct Failure: Error, CustomStringConvertible {
    let description: String
  }

  let directory: String
  let python: String

  /// The interpreter's path: `python` itself when it names a file, otherwise the first executable
  /// of that name on PATH.
  func interpreter() throws -> String {
    let fm = FileManager.default
    if python.contains("/") {
      guard fm.isExecutableFile(atPath: python) else { throw Failure(description: "no executable Python interpreter at \(python)") }
      return python
    }
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
    for dir in path.split(separator: ":") {
      let candidate = "\(dir)/\(python)"
      if fm.isExecutableFile(atPath: candidate) { return candidate }
    }
    throw Failure(description: "no Python interpreter '\(python)' on PATH (pass --python PATH)")
  }

  /// The script's standard output, parsed by the comparison: label → seconds.
  func run(_ peers: PeerComparison) throws -> (stdout: String, seconds: [String: Double], wall: Double) {
    let executable = try interpreter()
    // A script given by absolute path (one shipped with SimStudy) is run from where it is.
    let script = peers.script.hasPrefix("/") ? peers.script : URL(fileURLWithPath: directory).appendingPathComponent(peers.script).path
    guard FileManager.default.fileExists(atPath: script) else {
      throw Failure(
        description: peers.script.hasPrefix("/") ? "no peer script at \(script)" : "no peer script \(peers.script) in \(directory)")
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = [script] + peers.arguments
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    let collected = Collected()
    let group = DispatchGroup()
    for (pipe, isOut) in [(out, true), (err, false)] {
      group.enter()
      DispatchQueue.global().async {
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        collected.set(data, stdout: isOut)
        group.leave()
      }
    }
    let clock = ContinuousClock()
    let start = clock.now
    do {
      try process.run()
    } catch {
      throw Failure(description: "could not start \(executable) \(peers.script): \(error.localizedDescription)")
    }
    let deadline = Date().addingTimeInterval(peers.timeout)
    while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
    if process.isRunning {
      process.terminate()
      let grace = Date().addingTimeInterval(2)
      while process.isRunning && Date() < grace { Thread.sleep(forTimeInterval: 0.05) }
      if process.isRunning { kill(process.processIdentifier, SIGKILL) }
      throw Failure(description: "\(peers.script) did not finish within \(Int(peers.timeout)) s and was stopped")
    }
    process.waitUntilExit()
    _ = group.wait(timeout: .now() + 5)
    let wall = (clock.now - start).seconds
    let (stdout, stderr) = collected.texts()
    guard process.terminationReason == .exit, process.terminationStatus == 0 else {
      let last = stderr.split(separator: "\n").last.map(String.init) ?? "no message"
      throw Failure(
        description: "\(peers.script) failed (status \(process.terminationStatus)): \(last)"
          + (last.contains("ModuleNotFoundError") ? " (set up the peers' environment, see \(directory)/README.md, and pass --python)" : ""))
    }
    let seconds = peers.parse(stdout)
    guard !seconds.isEmpty else { throw Failure(description: "could not read any timing in the output of \(peers.script)") }
    return (stdout, seconds, wall)
  }

  private final class Collected: @unchecked Sendable {
    private let lock = NSLock()
    private var out = Data()
    private var err = Data()
    func set(_ data: Data, stdout: Bool) {
      lock.lock()
      defer { lock.unlock() }
      if stdout { out = data } else { err = data }
    }
    func texts() -> (String, String) {
      lock.lock()
      defer { lock.unlock() }
      return (String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
    }
  }
}

/// One row of the peer table: our figure, theirs and the ratio (theirs / ours), both in seconds.
struct PeerRow {
  let ours: String
  let theirs: String
  let ourSeconds: Double?
  let theirSeconds: Double?
  let note: String
  var ratio: Double? {
    guard let o = ourSeconds, let t = theirSeconds, o > 0 else { return nil }
    return t / o
  }

  /// Pairs a comparison's lines: our figure by line name (leading spaces ignored), theirs by label.
  static func rows(_ peers: PeerComparison, ours lines: [BenchmarkLine], theirs: [String: Double]) -> [PeerRow] {
    peers.pairs.map { pair in
      let line = lines.first { $0.name.trimmingCharacters(in: .whitespaces) == pair.ours.trimmingCharacters(in: .whitespaces) }
      let mine = line?.seconds.flatMap { $0.isFinite ? $0 : nil }
      return PeerRow(ours: pair.ours, theirs: pair.theirs, ourSeconds: mine, theirSeconds: theirs[pair.theirs], note: pair.note)
    }
  }
}
