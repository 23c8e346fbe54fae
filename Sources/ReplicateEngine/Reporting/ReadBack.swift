import Estimators
import Foundation

extension Report {
  /// Rebuilds a report from a results folder's summary.csv and manifest.json (for `study show`).
  public static func read(study: Study, from folder: URL) throws -> Report {
    let csvURL = folder.appendingPathComponent("summary.csv")
    let manifestURL = folder.appendingPathComponent("manifest.json")
    guard let text = try? String(contentsOf: csvURL, encoding: .utf8),
      let manifestData = try? Data(contentsOf: manifestURL)
    else {
      throw StudyError.io("no results for \(study.name) in \(folder.path): run 'study run \(study.name)' first")
    }
    guard let manifest = try? JSONDecoder().decode(Manifest.self, from: manifestData), manifest.study == study.name else {
      throw StudyError.io("\(manifestURL.path) is not a manifest of study \(study.name): rerun the study to rewrite it")
    }
    guard let lines = try? CSV.records(text) else {
      throw StudyError.io("\(csvURL.path) is not a SimStudy summary: rerun the study to rewrite it")
    }
    guard let header = lines.first, header.count >= 5, Array(header.suffix(5)) == ["method", "estimand", "measure", "estimate", "mcse"]
    else { throw StudyError.io("\(csvURL.path) is not a SimStudy summary: rerun the study to rewrite it") }
    let names = Array(header.dropLast(5))
    var conditions: [Condition] = []
    var conditionIndex: [[String]: Int] = [:]
    var rows: [SummaryRow] = []
    for fields in lines.dropFirst() {
      guard fields.count == header.count, let estimate = Double(fields[names.count + 3]) else {
        throw StudyError.io("\(csvURL.path) has a malformed line: rerun the study to rewrite it")
      }
      let values = Array(fields.prefix(names.count))
      let c: Int
      if let known = conditionIndex[values] {
        c = known
      } else {
        c = conditions.count
        conditionIndex[values] = c
        conditions.append(Condition(names: names, values: values))
      }
      let mcseText = fields[names.count + 4]
      rows.append(
        SummaryRow(
          condition: c, method: fields[names.count], estimand: fields[names.count + 1], measure: fields[names.count + 2],
          estimate: estimate, mcse: mcseText.isEmpty ? nil : Double(mcseText)))
    }
    // The reference is the one method the others were compared with (it has no relative rows itself).
    let compared = Set(rows.filter { $0.measure == "bias_diff" }.map(\.method))
    return Report(
      study: study, conditions: conditions, reps: manifest.reps, seed: manifest.seed, summary: rows, failures: [],
      reference: compared.isEmpty ? nil : study.methodNames.first { !compared.contains($0) })
  }
}
