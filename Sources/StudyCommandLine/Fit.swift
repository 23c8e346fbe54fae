import ArgumentParser
import Estimators
import Foundation
import ReplicateEngine

extension StudyCommand {
  struct Fit: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Fit one estimator to a CSV file and print its summary, as R, Stata or Julia would (no simulation).",
      discussion: """
        The file is a CSV with a header row; empty fields and NA are missing values. Each estimator \
        prints its coefficients (estimate, SE, z, p, 95 % interval), its other parameters, fit \
        statistics and convergence; '--json' prints the same numbers for machines.
        """,
      subcommands: fitSubcommands)

    static var fitSubcommands: [any ParsableCommand.Type] { [FitLMM.self, FitLogit.self, FitIFE.self, FitCLasso.self] }
  }
}

/// The arguments every `fit` subcommand takes: the data file and the output format.
struct FitInput: ParsableArguments {
  @Argument(help: "The data: a CSV file with a header row (empty fields and NA are missing).")
  var file: String

  @Flag(help: "Print the results as JSON instead of the text summary.")
  var json = false

  /// Reads the file, runs `fit` on it and prints its report. Any failure — no file, bad CSV, a bad
  /// formula or column, an impossible model — is one sentence on stderr and exit status 64.
  func run(_ fit: (LongTable) throws -> FitReport) throws {
    do {
      guard FileManager.default.fileExists(atPath: file) else { throw FitFailure("there is no file '\(file)'") }
      let table: LongTable
      do { table = try LongTable(contentsOfCSV: URL(fileURLWithPath: file)) } catch {
        throw FitFailure("cannot read '\(file)' as CSV: \(error)")
      }
      let report = try fit(table)
      print(json ? report.json.serialized() : report.text)
    } catch {
      note("Error: \(error)")
      throw ExitCode(64)
    }
  }
}

/// A failure of `study fit` that is not an estimator's own error.
struct FitFailure: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}

/// What `study fit` prints: the text summary and the same results as JSON.
struct FitReport {
  var text: String
  var json: JSONValue
}

/// A JSON value whose objects keep their keys in the order written (a summary reads top-down);
/// non-finite numbers become null.
indirect enum JSONValue {
  case number(Double)
  case integer(Int)
  case string(String)
  case bool(Bool)
  case array([JSONValue])
  case object([(String, JSONValue)])
  case null

  static func optional(_ x: Double?) -> JSONValue { x.map(JSONValue.number) ?? .null }

  func serialized(indent: String = "") -> String {
    let inner = indent + "  "
    switch self {
    case .number(let x): return x.isFinite ? "\(x)" : "null"
    case .integer(let i): return "\(i)"
    case .string(let s): return JSONValue.quoted(s)
    case .bool(let b): return b ? "true" : "false"
    case .null: return "null"
    case .array(let items):
      guard !items.isEmpty else { return "[]" }
      if items.allSatisfy({ if case .number = $0 { true } else if case .string = $0 { true } else { false } }) {
        return "[" + items.map { $0.serialized() }.joined(separator: ", ") + "]"
      }
      return "[\n" + items.map { inner + $0.serialized(indent: inner) }.joined(separator: ",\n") + "\n\(indent)]"
    case .object(let fields):
      guard !fields.isEmpty else { return "{}" }
      return "{\n"
        + fields.map { inner + JSONValue.quoted($0.0) + ": " + $0.1.serialized(indent: inner) }.joined(separator: ",\n")
        + "\n\(indent)}"
    }
  }

  private static func quoted(_ s: String) -> String {
    var out = "\""
    for c in s.unicodeScalars {
      switch c {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\t": out += "\\t"
      case "\r": out += "\\r"
      default:
        if c.value < 0x20 { out += String(format: "\\u%04x", c.value) } else { out.unicodeScalars.append(c) }
      }
    }
    return out + "\""
  }
}

/// Shared pieces of the fit summaries.
enum FitText {
  /// `x` to `digits` significant digits, without an exponent for ordinary magnitudes.
  static func number(_ x: Double, digits: Int = 6) -> String {
    guard x.isFinite else { return x.isNaN ? "NaN" : (x > 0 ? "Inf" : "-Inf") }
    if x == 0 { return "0" }
    let magnitude = Int(floor(log10(abs(x))))
    if magnitude < -4 || magnitude >= 9 { return String(format: "%.\(digits - 1)e", x) }
    return String(format: "%.\(max(0, digits - 1 - magnitude))f", x)
  }

  /// "   Data: FILE (n rows used[, m dropped for missing values])".
  static func dataLine(file: String, used: Int, dropped: Int) -> String {
    "   Data: \(file) (\(used) rows used\(dropped > 0 ? ", \(dropped) dropped for missing values" : ""))"
  }

  /// lme4's fit-statistics table from log L, the number of parameters k and observations n:
  /// AIC = −2 log L + 2k, BIC = −2 log L + k log n, log L, deviance = −2 log L, df.resid = n − k.
  static func likelihoodTable(logLikelihood: Double, parameters k: Int, observations n: Int) -> String {
    let deviance = -2 * logLikelihood
    return TextTable(
      header: ["AIC", "BIC", "logLik", "deviance", "df.resid"],
      rows: [[
        number(deviance + 2 * Double(k), digits: 8), number(deviance + log(Double(n)) * Double(k), digits: 8),
        number(logLikelihood, digits: 8), number(deviance, digits: 8), String(n - k),
      ]], numeric: Set(0...4)
    ).text
  }

  /// A p-value as R prints it: "< 2e-16" below that.
  static func pValue(_ p: Double?) -> String {
    guard let p, p.isFinite else { return "" }
    return p < 2e-16 ? "< 2e-16" : String(format: "%.4g", p)
  }

  /// The coefficient table: estimate, SE, z, p and the interval, one row per coefficient.
  static func coefficients(_ estimates: [Estimate], level: String = "95 %") -> String {
    let rows = estimates.map { e -> [String] in
      let z = e.se.map { e.value / $0 }
      return [
        e.estimand, number(e.value), e.se.map { number($0) } ?? "", z.map { number($0, digits: 4) } ?? "", pValue(e.pValue),
        e.lower.map { number($0) } ?? "", e.upper.map { number($0) } ?? "",
      ]
    }
    let table = TextTable(
      header: ["", "Estimate", "Std. Error", "z value", "Pr(>|z|)", "\(level) lower", "upper"], rows: rows,
      numeric: Set(1...6))
    return table.text
  }

  /// The coefficients as JSON objects.
  static func coefficientsJSON(_ estimates: [Estimate]) -> JSONValue {
    .array(
      estimates.map { e in
        .object([
          ("name", .string(e.estimand)), ("estimate", .number(e.value)), ("std_error", .optional(e.se)),
          ("z", .optional(e.se.map { e.value / $0 })), ("p_value", .optional(e.pValue)), ("lower", .optional(e.lower)),
          ("upper", .optional(e.upper)),
        ])
      })
  }
}
