import Foundation

/// The one-writer rule of a store: an exclusive advisory lock (`flock`) on `STORE.lock` beside it,
/// holding the writer's process id. The kernel releases the lock when the process ends, however it
/// ends, so a `kill -9` never leaves a stale lock; the file itself stays (removing lock files races).
/// Readers (`study show`) do not take it.
public final class StoreLock: Sendable {
  public let url: URL
  private let descriptor: Int32

  /// Takes the lock of the store at `store`, or throws `StoreError.locked` naming the holder.
  public init(store: URL) throws {
    url = URL(fileURLWithPath: store.path + ".lock")
    do {
      try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    } catch {
      throw StoreError.folderFailure(url.deletingLastPathComponent())
    }
    let fd = open(url.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw StoreError.diagnose(errno: errno, path: store.path) }
    guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
      var buffer = [UInt8](repeating: 0, count: 32)
      let n = pread(fd, &buffer, buffer.count, 0)
      close(fd)
      let pid = n > 0 ? Int32(String(decoding: buffer.prefix(n), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) : nil
      throw StoreError.locked(path: store.path, pid: pid)
    }
    let text = Array("\(getpid())\n".utf8)
    _ = ftruncate(fd, 0)
    _ = pwrite(fd, text, text.count, 0)
    descriptor = fd
  }

  deinit { close(descriptor) }
}
