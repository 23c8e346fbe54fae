import RandomStreams

/// One cell of a performance table (the long format of rsimsum): a measure of one estimand for one
/// method in one condition, with its Monte Carlo standard error where it has one.
public struct SummaryRow: Sendable, Equatable {
  public let condition: Int
  public let method: String
  public let estimand: String
  public let measure: String
  public let estimate: Double
  public let mcse: Double?
}

/// Distinct failure messages of one method in one condition, with how often each occurred.
public struct FailureDigest: Sendable, Equatable {
  public let condition: Int
  public let method: String
  public let status: String
  public let message: String
  public let count: Int
  public let firstReplicate: Int
}

/// Computes performance tables from stored rows, one condition at a time (memory grows with one
/// condition's rows, never with the whole run).
public struct Summarizer {
  public let study: Study
  public let conditions: [Condition]
  public let reps: Int
  /// With `paired`, every method is judged on the same replicates: those where all methods
  /// succeeded for all estimands.
  public let paired: Bool
  public let alpha: Double
  /// The method every other is compared with on continuous estimands (`PerformanceMeasures.relative`);
  /// by default the study's own `reference`.
  public let reference: String?

  /// `reference`: another method to compare with than the study's own reference (nil: the study's).
  /// Throws `StudyError.invalidArgument` when it names no method of the study.
  public init(
    study: Study, conditions: [Condition], reps: Int, paired: Bool = false, alpha: Double = 0.05,
    reference: String? = nil
  ) throws {
    let chosen = reference ?? study.reference
    if let chosen, !study.methodNames.contains(chosen) {
      throw StudyError.invalidArgument(
        "the reference method '\(chosen)' is not one of \(study.name)'s methods: \(study.methodNames.joined(separator: ", "))")
    }
    self.study = study
    self.conditions = conditions
    self.reps = reps
    self.paired = paired
    self.alpha = alpha
    self.reference = chosen
  }

  /// The performance measures of every condition × method × estimand.
  ///
  /// Measures use the replicates where the method succeeded (status ok) for that estimand (or,
  /// paired, where every method succeeded); the failure, non-convergence and not-identified rates
  /// are reported next to them over all replicates, each with its binomial MCSE.
  ///
  /// With a `reference` method, each other method's continuous estimands also get the relative
  /// measures against it, over the replicates where both succeeded.
  ///
  /// An estimand's `ExtraMeasure`s follow its standard measures; their random streams are keyed
  /// by (study seed, condition, method, estimand, measure names), so they are reproducible too.
  ///
  /// Rows are read one cell at a time, so memory holds one or two cells' replicates, whatever the grid.
  public func summary(from source: any RowSource) throws -> [SummaryRow] {
    var out: [SummaryRow] = []
    let referenceIndex = reference.flatMap { study.methodNames.firstIndex(of: $0) }
    for c in conditions.indices {
      let bad = paired ? try source.unsuccessfulReplicates(condition: c, reps: reps) : []
      func cellRows(_ m: Int, _ e: Int) throws -> [ResultRow] {
        let cell = try source.cellRows(condition: c, method: m, estimand: e, reps: reps)
        return bad.isEmpty ? cell : cell.filter { !bad.contains($0.replicate) || $0.status != .ok }
      }
      for (m, method) in study.methodNames.enumerated() {
        for (e, spec) in study.estimands.enumerated() {
          let cell = try cellRows(m, e)
          if cell.isEmpty { continue }
          let ok = cell.filter { $0.status == .ok }
          let estimates = ok.map(ReplicateEstimate.init)
          var measures: [MeasureValue]
          switch spec.kind {
          case .continuous:
            measures = PerformanceMeasures.continuous(estimates, alpha: alpha)
          case .discrete:
            measures = PerformanceMeasures.discrete(values: estimates.map(\.value), truth: (ok.first ?? cell[0]).truth ?? .nan)
          case .score:
            measures = PerformanceMeasures.score(estimates.map(\.value))
          }
          for extra in spec.measures {
            let key = StreamKey(seed: study.seed, condition: conditions[c].canonical, replicate: 0)
              .appending(method).appending(spec.name).appending(extra.names.joined(separator: ","))
            measures += extra.compute(estimates, try RandomStream(key: key))
          }
          let total = cell.count
          measures.append(PerformanceMeasures.rate("failure_rate", count: cell.count { $0.status == .failed }, of: total))
          let notConverged = cell.count { $0.status == .notConverged }
          if notConverged > 0 {
            measures.append(PerformanceMeasures.rate("nonconvergence_rate", count: notConverged, of: total))
          }
          let notIdentified = cell.count { $0.status == .notIdentified }
          if notIdentified > 0 {
            measures.append(PerformanceMeasures.rate("not_identified_rate", count: notIdentified, of: total))
          }
          if spec.kind == .continuous, let r = referenceIndex, r != m {
            var referenceValues: [Int32: Double] = [:]
            for row in try cellRows(r, e) where row.status == .ok { referenceValues[row.replicate] = row.value ?? .nan }
            measures += PerformanceMeasures.relative(
              ok.compactMap { row in referenceValues[row.replicate].map { (method: row.value ?? .nan, reference: $0) } })
          }
          for v in measures {
            out.append(
              SummaryRow(condition: c, method: method, estimand: spec.name, measure: v.measure, estimate: v.estimate, mcse: v.mcse))
          }
        }
      }
    }
    return out
  }

  /// The tables of these conditions from `source`: every cell's measures and the failure digests,
  /// with the reference in force, for a run under `seed`.
  public func report(from source: any RowSource, seed: UInt64) throws -> Report {
    Report(
      study: study, conditions: conditions, reps: reps, seed: seed, summary: try summary(from: source),
      failures: try failureDigests(from: source), reference: reference)
  }

  /// The first `limit` distinct failure messages per condition × method, with their counts.
  public func failureDigests(from source: any RowSource, limit: Int = 3) throws -> [FailureDigest] {
    var out: [FailureDigest] = []
    for c in conditions.indices {
      let notes = try source.notes(condition: c, reps: reps)
      for (m, method) in study.methodNames.enumerated() {
        var seen: [String: (count: Int, first: Int, status: String)] = [:]
        var order: [String] = []
        for n in notes where Int(n.method) == m {
          if seen[n.message] == nil {
            order.append(n.message)
            seen[n.message] = (0, Int(n.replicate), n.status.label)
          }
          seen[n.message]!.count += 1
        }
        for msg in order.prefix(limit) {
          let s = seen[msg]!
          out.append(FailureDigest(condition: c, method: method, status: s.status, message: msg, count: s.count, firstReplicate: s.first))
        }
      }
    }
    return out
  }
}

extension ReplicateEstimate {
  /// The estimate of a row of status ok (a missing value or truth is NaN, as the measures expect).
  init(_ row: ResultRow) {
    self.init(value: row.value ?? .nan, truth: row.truth ?? .nan, se: row.se, lower: row.lower, upper: row.upper, pValue: row.pValue)
  }
}
