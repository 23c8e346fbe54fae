import Foundation

/// Why a result store cannot be opened, written, merged or removed: one sentence whose advice is
/// safe to follow (it never suggests `--fresh` for a file that is not this study's store).
public enum StoreError: Error, Equatable, CustomStringConvertible {
  /// The file exists but is no SimStudy store (or cannot be read as one).
  case notAStore(path: String, reason: String?)
  /// The file is a SimStudy store whose pages are damaged.
  case corrupt(path: String, reason: String)
  /// Another process is writing to the store.
  case locked(path: String, pid: Int32?)
  /// The folder or file cannot be written (permissions, a read-only or immutable file system).
  case readOnly(path: String)
  /// The disk holding the store is full.
  case diskFull(path: String)
  /// The store holds rows of another definition of the study (or of another study).
  case definitionMismatch(path: String, storedStudy: String, differences: [String])
  /// The code no longer reproduces replicates the store holds (`StudyRun` checks on resume).
  case codeChanged(path: String, study: String, detail: String, rule: String)
  /// `--fresh` was asked to remove something that is not a store of this study.
  case refusedRemoval(path: String, reason: String)
  /// The folder for a new store cannot be created.
  case cannotCreateFolder(path: String)
  /// A store to merge holds another definition of the study (or another study).
  case mergeMismatch(path: String, differences: [String])
  /// A store to merge holds a replicate that disagrees with the same replicate already merged.
  case mergeConflict(path: String, condition: String, replicate: Int)
  /// SQLite refused to open, write or merge (permissions, a full disk, a lock).
  case cannotWrite(path: String, reason: String)

  public var description: String {
    switch self {
    case .notAStore(let path, let reason):
      "\(path) is not a readable SimStudy store\(reason.map { " (\($0))" } ?? ""); nothing was changed"
    case .corrupt(let path, let reason):
      "the store \(path) is damaged (SQLite: \(reason)); nothing was run or changed: move it aside to keep it, then rerun to start a new store"
    case .locked(let path, let pid):
      "the store \(path) is being written by another run\(pid.map { " (process \($0))" } ?? ""); wait for it to finish, or pass --store PATH to run separately"
    case .readOnly(let path):
      "cannot write \(path): its folder or file system is read-only or not yours; choose a writable place (run: --results DIR or --store PATH; merge: --into PATH)"
    case .diskFull(let path):
      "cannot write \(path): the disk is full; free some space (what is stored is kept), or choose a store on another disk"
    case .definitionMismatch(let path, let study, let differences):
      "the store \(path) holds a different definition of \(study) (\(differences.joined(separator: "; "))): "
        + "rerun with --fresh to start over, or --store PATH to keep both"
    case .codeChanged(let path, let study, let detail, let rule):
      "the code of \(study) no longer reproduces the replicates stored in \(path): \(detail) (\(rule)); "
        + "rerun with --fresh to recompute every replicate with the current code, or --store PATH to keep the old results apart"
    case .refusedRemoval(let path, let reason):
      "--fresh removes only a store of this study, and \(path) \(reason); nothing was removed"
    case .mergeMismatch(let path, let differences):
      "cannot merge \(path): it holds a different study definition (\(differences.joined(separator: "; "))); nothing was written"
    case .mergeConflict(let path, let condition, let replicate):
      "cannot merge \(path): its replicate \(replicate) of \(condition) disagrees with rows already merged (computed by other code?); nothing was written"
    case .cannotCreateFolder(let path):
      "cannot create the folder \(path): check that it is writable or pass --results DIR"
    case .cannotWrite(let path, let reason):
      "cannot write to the store \(path) (\(reason)); what is stored is kept"
    }
  }

  /// The diagnosis of an SQLite failure on `path`, by its result code.
  static func diagnose(sqliteCode: Int32, message: String, path: String) -> StoreError {
    switch sqliteCode & 0xFF {
    case 8, 23: .readOnly(path: path)  // SQLITE_READONLY, SQLITE_AUTH
    case 13: .diskFull(path: path)  // SQLITE_FULL
    case 5, 6: .locked(path: path, pid: nil)  // SQLITE_BUSY, SQLITE_LOCKED
    case 11, 26: .corrupt(path: path, reason: message)  // SQLITE_CORRUPT, SQLITE_NOTADB
    case 14: FileManager.default.isWritableFile(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path)
      ? .cannotWrite(path: path, reason: message) : .readOnly(path: path)  // SQLITE_CANTOPEN
    default: .cannotWrite(path: path, reason: message)
    }
  }

  /// The diagnosis of a failed system call on `path`, by its errno.
  static func diagnose(errno code: Int32, path: String) -> StoreError {
    switch code {
    case EACCES, EPERM, EROFS: .readOnly(path: path)
    case ENOSPC, EDQUOT: .diskFull(path: path)
    default: .cannotWrite(path: path, reason: String(cString: strerror(code)))
    }
  }

  /// The diagnosis of a folder that could not be created: read-only when its nearest existing
  /// ancestor cannot be written (a read-only mount, an immutable folder, another owner's).
  static func folderFailure(_ folder: URL) -> StoreError {
    var ancestor = folder
    while !FileManager.default.fileExists(atPath: ancestor.path) && ancestor.path != "/" { ancestor.deleteLastPathComponent() }
    return FileManager.default.isWritableFile(atPath: ancestor.path) ? .cannotCreateFolder(path: folder.path) : .readOnly(path: folder.path)
  }
}
