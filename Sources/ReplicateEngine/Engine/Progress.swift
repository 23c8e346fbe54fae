import Foundation
import Synchronization

/// Progress on stderr: a bar with rate, ETA and failures on a terminal, a plain line every few
/// seconds otherwise.
final class ProgressReporter: Sendable {
  private struct State {
    var done = 0
    var failures = 0
    var lastPrint: ContinuousClock.Instant
  }
  private let total: Int
  private let start: ContinuousClock.Instant
  private let isTerminal: Bool
  private let state: Mutex<State>

  init(total: Int) {
    self.total = total
    start = ContinuousClock.now
    isTerminal = isatty(2) != 0
    state = Mutex(State(lastPrint: ContinuousClock.now))
  }

  func advance(failures: Int) {
    state.withLock { s in
      s.done += 1
      s.failures += failures
      let now = ContinuousClock.now
      if (now - s.lastPrint).seconds >= (isTerminal ? 0.2 : 5) {
        s.lastPrint = now
        emit(s, now: now)
      }
    }
  }

  func finish() {
    state.withLock { s in
      emit(s, now: ContinuousClock.now)
      if isTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
    }
  }

  private func emit(_ s: State, now: ContinuousClock.Instant) {
    let elapsed = max((now - start).seconds, 1e-9)
    let rate = Double(s.done) / elapsed
    let eta = rate > 0 ? Double(total - s.done) / rate : 0
    let share = Double(s.done) / Double(max(total, 1))
    let text = String(
      format: "%d/%d replicates  %.0f/s  ETA %@  failures %d", s.done, total, rate, Self.clockText(eta), s.failures)
    if isTerminal {
      let width = 24
      let filled = Int(share * Double(width))
      let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
      FileHandle.standardError.write(Data("\r[\(bar)] \(text)  ".utf8))
    } else {
      FileHandle.standardError.write(Data((text + "\n").utf8))
    }
  }

  private static func clockText(_ seconds: Double) -> String {
    let s = Int(seconds.rounded())
    return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
  }
}
