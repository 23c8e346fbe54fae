import ReplicateEngine

/// The built-in studies, in the order `study list` shows them.
public enum Catalogue {
  public static let studies: [Study] = [
    rankRecoveryStudy, ifeBiasStudy, groupedSlopesStudy, crossedEffectsStudy, confoundedLogitStudy, bayesianLogitStudy, calibrationStudy,
  ]
}
