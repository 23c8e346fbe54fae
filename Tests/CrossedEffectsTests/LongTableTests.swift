import Foundation
import Testing
import Estimators

@Suite struct LongTableTests {
  @Test func parsesQuotesCRLFAndMissingValues() throws {
    let csv = "id,name,score\r\n1,\"Smith, J.\",2.5\r\n2,\"say \"\"hi\"\"\",NA\r\n\r\n3,plain,\n"
    let t = try LongTable(csv: csv)
    #expect(t.rowCount == 3)
    #expect(try t.labels("name") == ["Smith, J.", "say \"hi\"", "plain"])
    #expect(try t.labels("id") == ["1", "2", "3"])  // numeric factor labels without ".0"
    guard case .numeric(let score) = try t.column("score") else {
      Issue.record("score should be numeric")
      return
    }
    #expect(score[0] == 2.5 && score[1].isNaN && score[2].isNaN)
    #expect(throws: EstimationError.self) { try t.numeric("score") }  // missing values are refused by name
    #expect(throws: EstimationError.self) { try t.numeric("name") }  // text is not a number
  }

  @Test func multiLineQuotedFieldAndErrors() throws {
    let t = try LongTable(csv: "a,b\n\"line 1\nline 2\",3\n")
    #expect(try t.labels("a") == ["line 1\nline 2"])
    #expect(throws: EstimationError.self) { try LongTable(csv: "a,b\n1,2,3\n") }
    #expect(throws: EstimationError.self) { try LongTable(csv: "a,b\n\"open,2\n") }
    #expect(throws: EstimationError.self) { try LongTable(csv: "") }
    #expect(throws: EstimationError.self) { try t.column("zzz") }
  }

  @Test func rowSelectionKeepsColumns() throws {
    let t = try LongTable([("x", .numeric([1, 2, 3])), ("g", .text(["a", "b", "c"]))])
    let r = t.rows([2, 0, 2])
    #expect(try r.numeric("x") == [3, 1, 3])
    #expect(try r.labels("g") == ["c", "a", "c"])
    #expect(throws: EstimationError.self) { try LongTable([("x", .numeric([1])), ("x", .numeric([2]))]) }
  }
}
