/// The one CSV reader of the package: data tables (`LongTable`) and summary files alike.
public enum CSV {
  /// Splits CSV text (RFC 4180) into records of fields: fields optionally in double quotes (a
  /// doubled quote inside is a literal quote; quoted fields may hold commas and line breaks), LF or
  /// CRLF line ends, blank lines skipped. A small state machine over Unicode scalars; throws on a
  /// quote inside an unquoted field or text that ends inside quotes.
  public static func records(_ text: String) throws(EstimationError) -> [[String]] {
    var records: [[String]] = []
    var record: [String] = []
    var field = String.UnicodeScalarView()
    var inQuotes = false
    var fieldWasQuoted = false
    var scalars = text.unicodeScalars.makeIterator()
    var pending: Unicode.Scalar? = scalars.next()
    func endField() {
      record.append(String(field))
      field = String.UnicodeScalarView()
      fieldWasQuoted = false
    }
    func endRecord() {
      endField()
      if !(record.count == 1 && record[0].isEmpty) { records.append(record) }
      record = []
    }
    while let c = pending {
      pending = scalars.next()
      if inQuotes {
        if c == "\"" {
          if pending == "\"" {
            field.append("\"")
            pending = scalars.next()
          } else {
            inQuotes = false
          }
        } else {
          field.append(c)
        }
        continue
      }
      switch c {
      case "\"":
        guard field.isEmpty, !fieldWasQuoted else {
          throw .invalidInput("CSV record \(records.count + 1): a quote inside an unquoted field")
        }
        inQuotes = true
        fieldWasQuoted = true
      case ",": endField()
      case "\r":
        if pending == "\n" { pending = scalars.next() }
        endRecord()
      case "\n": endRecord()
      default: field.append(c)
      }
    }
    if inQuotes { throw .invalidInput("CSV text ends inside a quoted field") }
    if !field.isEmpty || !record.isEmpty { endRecord() }
    return records
  }
}
