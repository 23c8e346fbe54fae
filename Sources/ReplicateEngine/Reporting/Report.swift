import Foundation

/// The tables and files of a finished run.
public struct Report: Sendable {
  public let study: Study
  public let conditions: [Condition]
  public let reps: Int
  public let seed: UInt64
  public let summary: [SummaryRow]
  public let failures: [FailureDigest]
  /// The reference method of the relative measures in `summary`, if any.
  public let reference: String?

  public init(_ result: RunResult, paired: Bool = false) {
    // Does not throw in practice: the study's own reference names one of its methods (checked when
    // the study is built), and an in-memory run has nothing to fail to read.
    let summarizer = try? Summarizer(study: result.study, conditions: result.conditions, reps: result.reps, paired: paired)
    if let report = try? summarizer?.report(from: result, seed: result.seed) {
      self = report
    } else {
      self.init(
        study: result.study, conditions: result.conditions, reps: result.reps, seed: result.seed, summary: [], failures: [],
        reference: summarizer?.reference)
    }
  }

  public init(
    study: Study, conditions: [Condition], reps: Int, seed: UInt64, summary: [SummaryRow], failures: [FailureDigest],
    reference: String? = nil
  ) {
    self.reference = reference
    self.study = study
    self.conditions = conditions
    self.reps = reps
    self.seed = seed
    self.summary = summary
    self.failures = failures
  }

  private struct Key: Hashable {
    let condition: Int
    let method: String
    let estimand: String
    let measure: String
  }

  private var index: [Key: SummaryRow] {
    Dictionary(summary.map { (Key(condition: $0.condition, method: $0.method, estimand: $0.estimand, measure: $0.measure), $0) }, uniquingKeysWith: { a, _ in a })
  }

  /// Factors that vary across the run's conditions (constant ones go in the caption).
  private var varyingFactors: [Int] {
    guard let first = conditions.first else { return [] }
    return first.names.indices.filter { j in conditions.contains { $0.values[j] != first.values[j] } }
  }

  /// The headline table: one row per condition × method, the study's chosen columns, and the
  /// failure rate when any method failed anywhere.
  public var headline: TextTable {
    let idx = index
    let factorCols = varyingFactors
    let anyFailure = summary.contains { $0.measure == "failure_rate" && $0.estimate > 0 }
    var header = factorCols.map { conditions[0].names[$0] } + ["method"] + study.columns.map(\.heading)
    if anyFailure { header.append("failed") }
    var rows: [[String]] = []
    for (c, cond) in conditions.enumerated() {
      for method in study.methodNames {
        var row = factorCols.map { cond.values[$0] } + [method]
        for col in study.columns {
          if let s = idx[Key(condition: c, method: method, estimand: col.estimand, measure: col.measure)] {
            row.append(NumberFormat.cell(s.estimate, s.mcse))
          } else if idx[Key(condition: c, method: method, estimand: col.estimand, measure: "not_identified_rate")] != nil {
            row.append("not identified")
          } else {
            row.append("—")
          }
        }
        if anyFailure {
          let f = study.estimands.compactMap { idx[Key(condition: c, method: method, estimand: $0.name, measure: "failure_rate")] }.first
          row.append(f.map { NumberFormat.cell($0.estimate, $0.mcse) } ?? "—")
        }
        rows.append(row)
      }
    }
    let numericFrom = factorCols.count + 1
    return TextTable(header: header, rows: rows, numeric: Set(numericFrom..<header.count))
  }

  /// One table per estimand with every measure computed for it.
  public func fullTable(estimand: String) -> TextTable {
    let idx = index
    var measures: [String] = []
    for s in summary where s.estimand == estimand && !measures.contains(s.measure) { measures.append(s.measure) }
    measures = measures.filter { !$0.hasPrefix("freq_") } + measures.filter { $0.hasPrefix("freq_") }.sorted {
      (Double($0.dropFirst(5)) ?? 0) < (Double($1.dropFirst(5)) ?? 0)
    }
    let factorCols = varyingFactors
    let header = factorCols.map { conditions[0].names[$0] } + ["method"] + measures
    var rows: [[String]] = []
    for (c, cond) in conditions.enumerated() {
      for method in study.methodNames {
        guard measures.contains(where: { idx[Key(condition: c, method: method, estimand: estimand, measure: $0)] != nil }) else { continue }
        rows.append(
          factorCols.map { cond.values[$0] } + [method]
            + measures.map { m in
              idx[Key(condition: c, method: method, estimand: estimand, measure: m)].map { NumberFormat.cell($0.estimate, $0.mcse) } ?? "—"
            })
      }
    }
    return TextTable(header: header, rows: rows, numeric: Set((factorCols.count + 1)..<header.count))
  }

  /// Constant factors, e.g. "kmax=8", for the caption.
  private var constantFactors: String {
    guard let first = conditions.first else { return "" }
    let varying = Set(varyingFactors)
    return first.names.indices.filter { !varying.contains($0) }.map { "\(first.names[$0])=\(first.values[$0])" }.joined(separator: ", ")
  }

  /// The caption under every table.
  public var legend: String {
    var s = "\(study.name): \(reps) replicates per condition, seed \(seed)"
    if !constantFactors.isEmpty { s += "; fixed: \(constantFactors)" }
    s += ". Each cell: estimate (Monte Carlo SE). Measures use the replicates where the method succeeded; "
    s += "failure rates are over all replicates."
    if let reference {
      s += " Relative measures (bias_diff, rel_precision, the \"− ref\" columns) compare each method with \(reference) on the"
      s += " replicates where both succeeded, with paired MCSEs."
    }
    return s
  }

  /// What the terminal shows.
  public var terminalText: String {
    var out = "\(study.name) — \(study.aim)\n\n" + headline.text + "\n\n" + legend + "\n"
    if !failures.isEmpty {
      out += "\nFailures (first distinct messages per condition × method):\n"
      for f in failures.prefix(20) {
        out += "  \(conditions[f.condition].canonical)  \(f.method): \(f.count)× \(f.status) — \(f.message) (first at replicate \(f.firstReplicate))\n"
      }
      if failures.count > 20 { out += "  … \(failures.count - 20) more in summary.md\n" }
    }
    return out
  }

  /// summary.md: the headline table, then every estimand's full table, then failures.
  public var markdown: String {
    var out = "# \(study.name)\n\n\(study.aim)\n\n\(legend)\n\n## Headline\n\n\(headline.markdown)\n"
    for e in study.estimands {
      let t = fullTable(estimand: e.name)
      guard !t.rows.isEmpty else { continue }
      out += "\n## \(e.name) (\(e.kind.rawValue))\n\n"
      if !e.help.isEmpty { out += e.help + "\n\n" }
      out += t.markdown + "\n"
    }
    if !failures.isEmpty {
      out += "\n## Failures\n\n"
      let t = TextTable(
        header: ["condition", "method", "status", "count", "first replicate", "message"],
        rows: failures.map { [conditions[$0.condition].canonical, $0.method, $0.status, String($0.count), String($0.firstReplicate), $0.message] })
      out += t.markdown + "\n"
    }
    return out
  }

  /// summary.tex: the headline table as a booktabs `tabular` (UTF-8; compile with xelatex or
  /// lualatex, or with pdflatex and `\usepackage[utf8]{inputenc}`), with the legend as a comment.
  public var latex: String {
    let t = headline
    func escape(_ s: String) -> String {
      var out = ""
      for ch in s {
        switch ch {
        case "\\": out += "\\textbackslash{}"
        case "&", "%", "$", "#", "_", "{", "}": out += "\\" + String(ch)
        case "~": out += "\\textasciitilde{}"
        case "^": out += "\\textasciicircum{}"
        default: out.append(ch)
        }
      }
      return out
    }
    let align = t.header.indices.map { t.numeric.contains($0) ? "r" : "l" }.joined()
    var out = "% \(legend)\n\\begin{tabular}{\(align)}\n\\toprule\n"
    out += t.header.map(escape).joined(separator: " & ") + " \\\\\n\\midrule\n"
    for row in t.rows { out += row.map(escape).joined(separator: " & ") + " \\\\\n" }
    return out + "\\bottomrule\n\\end{tabular}\n"
  }

  /// summary.csv in long format: factor columns, method, estimand, measure, estimate, mcse.
  public var csv: String {
    let names = conditions.first?.names ?? study.factors.map(\.name)
    var lines = [(names + ["method", "estimand", "measure", "estimate", "mcse"]).map(Self.csvField).joined(separator: ",")]
    for s in summary {
      let fields = conditions[s.condition].values + [s.method, s.estimand, s.measure, NumberFormat.exact(s.estimate), s.mcse.map(NumberFormat.exact) ?? ""]
      lines.append(fields.map(Self.csvField).joined(separator: ","))
    }
    return lines.joined(separator: "\n") + "\n"
  }

  static func csvField(_ s: String) -> String {
    s.contains(",") || s.contains("\"") || s.contains("\n") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
  }
}

extension Report {
  /// Writes summary.md, summary.csv, summary.tex and manifest.json into `folder` (created if needed). Each
  /// file is written to a temporary name and renamed, so a crash never leaves a half-written file.
  public func write(to folder: URL, manifest: Manifest) throws {
    let fm = FileManager.default
    do {
      try fm.createDirectory(at: folder, withIntermediateDirectories: true)
    } catch {
      throw StudyError.io("cannot create the results folder \(folder.path): check that it is writable or pass --results DIR")
    }
    for (name, text) in [("summary.md", markdown), ("summary.csv", csv), ("summary.tex", latex), ("manifest.json", manifest.json)] {
      let target = folder.appendingPathComponent(name)
      do {
        try Data(text.utf8).write(to: target, options: .atomic)
      } catch {
        throw StudyError.io("cannot write \(target.path): check that the results folder is writable or pass --results DIR")
      }
    }
  }
}
