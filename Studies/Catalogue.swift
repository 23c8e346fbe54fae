import ReplicateEngine

/// Every study the command line knows, in the order `study list` shows them.
public enum Catalogue {
  public static let studies: [Study] = [rankRecoveryStudy, ifeBiasStudy, groupedSlopesStudy, crossedEffectsStudy, confoundedLogitStudy]

  /// Names no study may take: `study NAME` is short for `study run NAME`, so a study named like a
  /// subcommand could never be run that way.
  public static let reservedNames: Set<String> = ["run", "list", "show", "bench", "check", "merge", "baseline", "help", "plot"]

  /// The study called `name`, or an error listing the known ones.
  public static func study(named name: String) throws(StudyError) -> Study {
    guard let s = studies.first(where: { $0.name == name }) else {
      throw .unknownStudy(name, known: studies.map(\.name))
    }
    return s
  }
}
