import Foundation

/// Number formatting for tables: the MCSE to two significant digits and the estimate to the same
/// decimal place (the convention of rsimsum's tables), so no digit is shown that the Monte Carlo
/// error makes meaningless.
public enum NumberFormat {
  public static func cell(_ estimate: Double, _ mcse: Double?) -> String {
    guard estimate.isFinite else { return estimate.isNaN ? "NaN" : (estimate > 0 ? "Inf" : "-Inf") }
    guard let se = mcse, se.isFinite else { return plain(estimate) }
    if se == 0 { return plain(estimate) + " (0)" }
    let decimals = min(6, max(0, 1 - Int(floor(log10(se)))))
    return String(format: "%.\(decimals)f (%.\(decimals)f)", estimate, se)
  }

  /// Up to four significant digits without an exponent for ordinary magnitudes.
  public static func plain(_ x: Double) -> String {
    if x == x.rounded(), abs(x) < 1e9 { return String(Int(x)) }
    return String(format: "%.4g", x)
  }

  /// Shortest round-trip text (for CSV: exact and deterministic).
  public static func exact(_ x: Double) -> String { x.isNaN ? "NaN" : "\(x)" }
}

/// An aligned text table (terminal) that can also render as Markdown.
public struct TextTable: Sendable {
  public var header: [String]
  public var rows: [[String]]
  /// Columns that are right-aligned (numbers).
  public var numeric: Set<Int>

  public init(header: [String], rows: [[String]], numeric: Set<Int> = []) {
    self.header = header
    self.rows = rows
    self.numeric = numeric
  }

  private var widths: [Int] {
    header.indices.map { j in ([header[j]] + rows.map { $0[j] }).map(\.count).max() ?? 0 }
  }

  private func pad(_ s: String, _ w: Int, right: Bool) -> String {
    let fill = String(repeating: " ", count: max(0, w - s.count))
    return right ? fill + s : s + fill
  }

  /// Space-aligned text with a rule under the header.
  public var text: String {
    let w = widths
    func line(_ cells: [String]) -> String {
      cells.indices.map { pad(cells[$0], w[$0], right: numeric.contains($0)) }.joined(separator: "  ")
    }
    var out = [line(header), w.map { String(repeating: "─", count: $0) }.joined(separator: "  ")]
    out += rows.map(line)
    return out.map { $0.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) }.joined(separator: "\n")
  }

  /// A GitHub-flavoured Markdown table.
  public var markdown: String {
    let w = widths
    func line(_ cells: [String]) -> String {
      "| " + cells.indices.map { pad(cells[$0], w[$0], right: numeric.contains($0)) }.joined(separator: " | ") + " |"
    }
    let rule = "|" + w.indices.map { numeric.contains($0) ? String(repeating: "-", count: w[$0] + 1) + ":" : ":" + String(repeating: "-", count: w[$0] + 1) }.joined(separator: "|") + "|"
    return ([line(header), rule] + rows.map(line)).joined(separator: "\n")
  }
}

