/// A problem with a study request, reported to the user as one sentence that names the fix.
public enum StudyError: Error, Equatable, CustomStringConvertible {
  case unknownStudy(String, known: [String])
  case unknownFactor(String, known: [String])
  case badValue(factor: String, value: String, expected: String)
  case badSetting(String)
  case impossibleCondition(condition: String, reason: String)
  case invalidArgument(String)
  case io(String)

  public var description: String {
    switch self {
    case .unknownStudy(let s, let known):
      "unknown study '\(s)'; the studies are: \(known.joined(separator: ", ")) (see 'study list')"
    case .unknownFactor(let f, let known):
      "unknown factor '\(f)'; this study's factors are: \(known.joined(separator: ", "))"
    case .badValue(let f, let v, let expected):
      "factor \(f) needs \(expected), but got '\(v)'"
    case .badSetting(let s): "bad --set '\(s)': write it as factor=value1,value2 (e.g. N=50,100)"
    case .impossibleCondition(let c, let r): "impossible condition \(c): \(r)"
    case .invalidArgument(let s): s
    case .io(let s): s
    }
  }
}
