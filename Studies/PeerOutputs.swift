import Foundation

/// Pure parsers of the Python peer scripts' standard output (`study bench --peers DIR`; the
/// scripts live outside this repository). Each returns label → seconds, leaving out what it cannot
/// read; none runs anything.
public enum PeerOutputs {
  /// `rank_recovery.py`: the "Summary by (N, T)" rows `N T | P(IC) P(ER) | fit_us rep_us rep+3fits_us`
  /// as "fit NxT", "replicate NxT" and "replicate+3fits NxT" (microseconds → seconds).
  public static func rankRecovery(_ text: String) -> [String: Double] {
    var out: [String: Double] = [:]
    var inSummary = false
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
      if line.hasPrefix("Summary by (N, T)") {
        inSummary = true
        continue
      }
      guard inSummary else { continue }
      let fields = line.split(separator: "|").map { $0.split(separator: " ") }
      guard fields.count == 3, fields[0].count == 2, let n = Int(fields[0][0]), let t = Int(fields[0][1]) else { continue }
      let times = fields[2].compactMap { Double($0) }
      guard times.count == 3 else { continue }
      for (label, us) in zip(["fit", "replicate", "replicate+3fits"], times) { out["\(label) \(n)x\(t)"] = us / 1e6 }
    }
    return out
  }

  /// `confounded_logit.py`: each estimator's median milliseconds per fit (rows
  /// `name | bias rmse cover | bias rmse cover | median p25 p75`), "simulate" and "replicate"
  /// (the whole replicate: simulate + every estimator), in seconds.
  public static func confoundedLogit(_ text: String) -> [String: Double] {
    var out: [String: Double] = [:]
    for line in text.split(separator: "\n") {
      let fields = line.split(separator: "|", omittingEmptySubsequences: false)
      if fields.count == 4 {
        let name = fields[0].trimmingCharacters(in: .whitespaces)
        if !name.isEmpty, name != "estimator", !name.contains(" "),
          let ms = fields[3].split(separator: " ").first.flatMap({ Double($0) })
        {
          out[name] = ms / 1e3
        }
      }
      if line.hasPrefix("simulate: median "), let ms = number(after: "simulate: median ", in: line) {
        out["simulate"] = ms / 1e3
      }
      if let range = line.range(of: "estimators): median "), let ms = number(after: "estimators): median ", in: line[range.lowerBound...]) {
        out["replicate"] = ms / 1e3
      }
    }
    return out
  }

  /// `crossed_lmm.py`: each method's median seconds per fit (the first row of its block,
  /// `method | teachers … | s/fit-median min max conv`).
  public static func crossedLMM(_ text: String) -> [String: Double] {
    var out: [String: Double] = [:]
    for line in text.split(separator: "\n") {
      let fields = line.split(separator: "|", omittingEmptySubsequences: false)
      guard fields.count == 3 else { continue }
      let name = fields[0].trimmingCharacters(in: .whitespaces)
      guard !name.isEmpty, name != "method", !name.contains(" "),
        let seconds = fields[2].split(separator: " ").first.flatMap({ Double($0) })
      else { continue }
      out[name] = seconds
    }
    return out
  }

  /// `grouped_slopes.py`: the median seconds per replicate (simulate + estimate) of each cell, as
  /// "NxTxR" (rows `N T R reps | acc acc_min P(acc=1) | rmse | s/rep-median min max`).
  public static func groupedSlopes(_ text: String) -> [String: Double] {
    var out: [String: Double] = [:]
    for line in text.split(separator: "\n") {
      let fields = line.split(separator: "|", omittingEmptySubsequences: false)
      guard fields.count == 4 else { continue }
      let cell = fields[0].split(separator: " ").compactMap { Int($0) }
      guard cell.count == 4, let seconds = fields[3].split(separator: " ").first.flatMap({ Double($0) }) else { continue }
      out["\(cell[0])x\(cell[1])x\(cell[2])"] = seconds
    }
    return out
  }

  private static func number<S: StringProtocol>(after prefix: String, in line: S) -> Double? {
    guard let range = line.range(of: prefix) else { return nil }
    let rest = line[range.upperBound...].prefix { $0.isNumber || $0 == "." || $0 == "-" || $0 == "e" || $0 == "+" }
    return Double(String(rest))
  }

  /// `scripts/reference/confounding_models.py --bench N`: lines
  /// `bench MODEL cores=C seconds=S gradients=G` as "MODEL cores=C" → S (sampling only).
  public static func bayesianLogit(_ text: String) -> [String: Double] {
    var out: [String: Double] = [:]
    for line in text.split(separator: "\n") {
      let fields = line.split(separator: " ")
      guard fields.count >= 4, fields[0] == "bench", fields[2].hasPrefix("cores="), fields[3].hasPrefix("seconds="),
        let seconds = Double(fields[3].dropFirst("seconds=".count))
      else { continue }
      out["\(fields[1]) \(fields[2])"] = seconds
    }
    return out
  }
}
