/// Why a result store cannot be opened, written, merged or removed: one sentence whose advice is
/// safe to follow (it never suggests `--fresh` for a file that is not this study's store).
public enum StoreError: Error, Equatable, CustomStringConvertible {
  /// The file exists but is no SimStudy store (or cannot be read as one).
  case notAStore(path: String, reason: String?)
  /// The store holds rows of another definition of the study (or of another study).
  case definitionMismatch(path: String, storedStudy: String, differences: [String])
  /// The code no longer reproduces replicates the store holds (`StudyRun` checks on resume).
  case codeChanged(path: String, study: String, detail: String, rule: String)
  /// `--fresh` was asked to remove something that is not a store of this study.
  case refusedRemoval(path: String, reason: String)
  /// The folder for a new store cannot be created.
  case cannotCreateFolder(path: String)
  /// A store to merge holds a replicate that disagrees with the same replicate already merged.
  case mergeConflict(path: String, condition: String, replicate: Int)
  /// SQLite refused to open, write or merge (permissions, a full disk, a lock).
  case cannotWrite(path: String, reason: String)

  public var description: String {
    switch self {
    case .notAStore(let path, let reason):
      "\(path) is not a readable SimStudy store\(reason.map { " (\($0))" } ?? ""): move it away, or pass --store PATH to use another file"
    case .definitionMismatch(let path, let study, let differences):
      "the store \(path) holds a different definition of \(study) (\(differences.joined(separator: "; "))): "
        + "rerun with --fresh to start over, or --store PATH to keep both"
    case .codeChanged(let path, let study, let detail, let rule):
      "the code of \(study) no longer reproduces the replicates stored in \(path): \(detail) (\(rule)); "
        + "rerun with --fresh to recompute every replicate with the current code, or --store PATH to keep the old results apart"
    case .refusedRemoval(let path, let reason):
      "--fresh removes only a store of this study, and \(path) \(reason); nothing was removed"
    case .mergeConflict(let path, let condition, let replicate):
      "cannot merge \(path): its replicate \(replicate) of \(condition) disagrees with rows already merged (computed by other code?); nothing was written"
    case .cannotCreateFolder(let path):
      "cannot create the folder \(path): check that it is writable or pass --results DIR"
    case .cannotWrite(let path, let reason):
      "cannot write to the store \(path) (\(reason)): check the disk space and the folder's permissions, or pass --store PATH"
    }
  }
}
