import Foundation

/// A data set in long format: named columns of equal length, each numeric or text. It is the input
/// a mixed model is built from (`CrossedDesign(table:response:fixed:random:)`) and predicted on.
///
/// A factor may be stored either way: a text column's values are its level labels; a numeric
/// column's level labels are its values written as `Factor`-style canonical text ("3", "2.5").
public struct LongTable: Sendable {
  public enum Column: Sendable, Equatable {
    case numeric([Double])
    case text([String])

    public var count: Int {
      switch self {
      case .numeric(let v): v.count
      case .text(let v): v.count
      }
    }
  }

  public let names: [String]
  public let columns: [Column]
  public let rowCount: Int

  /// A table from (name, column) pairs; names must be distinct and columns of equal length.
  public init(_ columns: [(String, Column)]) throws(EstimationError) {
    let names = columns.map(\.0)
    guard Set(names).count == names.count else { throw .invalidInput("column names must be distinct: \(names)") }
    let counts = Set(columns.map(\.1.count))
    guard counts.count <= 1 else { throw .invalidInput("all columns must have the same number of rows") }
    self.names = names
    self.columns = columns.map(\.1)
    self.rowCount = counts.first ?? 0
  }

  /// The column called `name`.
  public func column(_ name: String) throws(EstimationError) -> Column {
    guard let i = names.firstIndex(of: name) else {
      throw .invalidInput("no column '\(name)'; the columns are: \(names.joined(separator: ", "))")
    }
    return columns[i]
  }

  /// A numeric column's values; throws for a text column or a missing value (NaN), naming the row.
  public func numeric(_ name: String) throws(EstimationError) -> [Double] {
    guard case .numeric(let v) = try column(name) else {
      throw .invalidInput("column '\(name)' is text, but a number is needed")
    }
    if let i = v.firstIndex(where: { !$0.isFinite }) {
      throw .invalidInput("column '\(name)' has a missing or non-finite value in row \(i + 1); drop incomplete rows first")
    }
    return v
  }

  /// A column's values as factor labels (numbers in canonical text); throws on a missing value.
  public func labels(_ name: String) throws(EstimationError) -> [String] {
    switch try column(name) {
    case .text(let v):
      if let i = v.firstIndex(where: \.isEmpty) {
        throw .invalidInput("column '\(name)' has a missing value in row \(i + 1); drop incomplete rows first")
      }
      return v
    case .numeric:
      return try numeric(name).map(LongTable.label)
    }
  }

  /// A column's distinct labels sorted as R orders a factor's levels (`sortedLabels`) and each
  /// row's position among them.
  public func sortedLevels(_ name: String) throws(EstimationError) -> (levels: [String], codes: [Int]) {
    let labels = try labels(name)
    let levels = LongTable.sortedLabels(Set(labels))
    let index = Dictionary(uniqueKeysWithValues: levels.enumerated().map { ($1, $0) })
    return (levels, labels.map { index[$0]! })
  }

  /// Labels sorted numerically when every one is a number (as a numeric column's canonical labels
  /// are; equal numbers by their text), otherwise as text.
  public static func sortedLabels(_ labels: Set<String>) -> [String] {
    let numbers = labels.map { Double($0) }
    if numbers.allSatisfy({ $0 != nil }) {
      return labels.sorted { Double($0)! < Double($1)! || (Double($0)! == Double($1)! && $0 < $1) }
    }
    return labels.sorted()
  }

  /// The canonical label of a numeric factor value: integers without a decimal point.
  public static func label(_ x: Double) -> String {
    x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : "\(x)"
  }

  /// The rows at `indices` (in that order, repeats allowed).
  public func rows(_ indices: [Int]) -> LongTable {
    let picked: [Column] = columns.map { c in
      switch c {
      case .numeric(let v): .numeric(indices.map { v[$0] })
      case .text(let v): .text(indices.map { v[$0] })
      }
    }
    return LongTable(names: names, columns: picked, rowCount: indices.count)
  }

  private init(names: [String], columns: [Column], rowCount: Int) {
    self.names = names
    self.columns = columns
    self.rowCount = rowCount
  }

  // MARK: CSV

  /// Reads a CSV file (see `init(csv:)`).
  public init(contentsOfCSV url: URL) throws(EstimationError) {
    let text: String
    do { text = try String(contentsOf: url, encoding: .utf8) } catch {
      throw .invalidInput("cannot read '\(url.path)': \(error.localizedDescription)")
    }
    try self.init(csv: text)
  }

  /// Parses CSV text (RFC 4180): a header row of names, comma-separated fields, fields optionally in
  /// double quotes (a doubled quote inside is a literal quote, and quoted fields may hold commas and
  /// line breaks), LF or CRLF line ends, blank lines ignored. A column is numeric when every field
  /// parses as a number or is missing (empty or `NA`, stored as NaN); otherwise it is text (missing
  /// fields become empty labels). Throws on a ragged row, naming it.
  public init(csv text: String) throws(EstimationError) {
    let records = try CSV.records(text)
    guard let header = records.first else { throw .invalidInput("the CSV text is empty") }
    let body = records.dropFirst()
    for (k, r) in body.enumerated() where r.count != header.count {
      throw .invalidInput("CSV row \(k + 2) has \(r.count) fields but the header has \(header.count)")
    }
    var columns: [(String, Column)] = []
    for (j, name) in header.enumerated() {
      let fields = body.map { $0[j] }
      let missing: (String) -> Bool = { $0.isEmpty || $0 == "NA" }
      let numbers = fields.map { missing($0) ? Double.nan : Double($0.trimmingCharacters(in: .whitespaces)) }
      if !fields.isEmpty, numbers.allSatisfy({ $0 != nil }), fields.contains(where: { !missing($0) }) {
        columns.append((name, .numeric(numbers.map { $0! })))
      } else {
        columns.append((name, .text(fields.map { $0 == "NA" ? "" : $0 })))
      }
    }
    try self.init(columns)
  }
}
