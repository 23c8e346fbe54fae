import Foundation
import LinearAlgebra
import RandomStreams

/// A reproducible stream for tests: the key names the test, so tests never share draws.
public func testStream(_ name: String, _ index: Int = 0) -> RandomStream {
  try! RandomStream(key: StreamKey(seed: 20_261_122, condition: name, replicate: index))
}

/// A matrix of iid N(0, 1) draws.
public func randomMatrix(_ rows: Int, _ cols: Int, _ rng: RandomStream) -> Matrix {
  Matrix(rows: rows, cols: cols, elements: rng.normals(rows * cols))
}

/// |a − b| ≤ tol·max(1, |b|).
public func close(_ a: Double, _ b: Double, _ tol: Double) -> Bool { abs(a - b) <= tol * max(1, abs(b)) }

/// The path of the package's root folder (for fixtures under ../shared and the built binary).
public let packageRoot: URL = {
  var url = URL(fileURLWithPath: #filePath)
  while url.path != "/" {
    url.deleteLastPathComponent()
    if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
  }
  return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
}()

/// The executable `name` that this test run's build made: it sits next to the test bundle (in
/// `.build/<triple>/<configuration>/`), whatever the configuration or build folder.
public func builtProduct(_ name: String) -> URL {
  let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
  var folder = bundle.deletingLastPathComponent()
  // Inside an .xctest bundle directory (macOS), step out of it.
  while folder.pathExtension == "xctest" || folder.lastPathComponent == "MacOS" || folder.lastPathComponent == "Contents" {
    folder.deleteLastPathComponent()
  }
  return folder.appendingPathComponent(name)
}

/// What a run of a built executable printed, and its exit status.
public struct ProcessOutcome: Sendable {
  public let status: Int32
  public let stdout: String
  public let stderr: String
}

/// Runs the built `study` command (or another product of this build) with `args`, optionally in
/// `folder`, and waits for it.
public func runBuilt(_ args: [String], product: String = "study", in folder: URL? = nil) throws -> ProcessOutcome {
  let p = Process()
  p.executableURL = builtProduct(product)
  p.arguments = args
  if let folder { p.currentDirectoryURL = folder }
  let out = Pipe()
  let err = Pipe()
  p.standardOutput = out
  p.standardError = err
  try p.run()
  let o = out.fileHandleForReading.readDataToEndOfFile()
  let e = err.fileHandleForReading.readDataToEndOfFile()
  p.waitUntilExit()
  return ProcessOutcome(
    status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
}
