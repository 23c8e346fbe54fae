import Estimators
import Foundation
import LinearAlgebra
import Testing

/// The lme4 formula: what each piece of syntax expands to, the design it builds on a tiny table
/// (checked entry by entry against the coding written out by hand), and one sentence for each
/// kind of mistake.
@Suite struct ModelFormulaTests {
  typealias R = ModelFormula.RandomTerm

  @Test func randomTermsExpandAsLme4Does() throws {
    let f = try ModelFormula("y ~ x + (1 + x || g) + (1 | a/b) + (0 + x | c:d) + (x | e)")
    #expect(f.random == [
      R(intercept: true, slopes: [], grouping: ["g"]),  // (1 + x || g) → (1 | g) + (0 + x | g)
      R(intercept: false, slopes: ["x"], grouping: ["g"]),
      R(intercept: true, slopes: [], grouping: ["a"]),  // (1 | a/b) → (1 | a) + (1 | a:b)
      R(intercept: true, slopes: [], grouping: ["a", "b"]),
      R(intercept: false, slopes: ["x"], grouping: ["c", "d"]),
      R(intercept: true, slopes: ["x"], grouping: ["e"]),  // the intercept is implicit
    ])
    #expect(f.random[3].factor == "a:b")
    #expect(f.intercept)
    #expect(f.fixed.map(\.name) == ["x"])
  }

  @Test func fixedTermsInteractionsAndTheIntercept() throws {
    let f = try ModelFormula("y ~ a*b + factor(k) + c:d - 1")
    #expect(f.fixed.map(\.name) == ["a", "b", "a:b", "factor(k)", "c:d"])
    #expect(!f.intercept)
    #expect(try !ModelFormula("y ~ 0 + x").intercept)
    #expect(try ModelFormula("`log wage` ~ 1 + `x 1`").columns == ["log wage", "x 1"])
    #expect(try ModelFormula("y ~ a*b*c").fixed.map(\.name) == ["a", "b", "c", "a:b", "a:c", "b:c", "a:b:c"])
  }

  @Test func binomialResponses() throws {
    #expect(
      try ModelFormula("cbind(incidence, size - incidence) ~ period + (1 | herd)").response
        == .counts(successes: "incidence", failures: .trialsMinusSuccesses(trials: "size")))
    #expect(try ModelFormula("cbind(s, f) ~ 1").response == .counts(successes: "s", failures: .column("f")))
  }

  @Test(arguments: [
    ("y ~ x + (1 | g", "expected ')' to close the random term"),
    ("y x", "expected '~' after the response"),
    ("y ~ log(x)", "functions of columns such as 'log(…)' are not supported"),
    ("y ~ x - z", "only the intercept can be removed"),
    ("y ~ x + (0 | g)", "a random term needs an intercept or a slope"),
    ("y ~ 2", "'2' is not a term"),
    ("y ~ x $ z", "'$' is not part of the formula syntax"),
    ("cbind(s, n - t) ~ x", "cbind's second argument must be a failures column or 'trials - s'"),
    ("y ~ (x g)", "expected '|' or '||' in a random term"),
  ])
  func mistakesGetOneSentence(_ text: String, _ expected: String) {
    #expect {
      _ = try ModelFormula(text)
    } throws: { error in
      "\(error)".contains(expected) && "\(error)".contains(text)
    }
  }

  /// A 6-row table with a missing value, a text factor, a numeric factor and a nested grouping.
  static func table() throws -> LongTable {
    try LongTable(
      csv: """
        y,x,colour,k,a,b
        1.0,0.5,red,3,A,u
        2.0,1.5,blue,1,A,v
        3.5,,green,1,B,u
        4.0,2.5,red,2,B,v
        5.5,3.0,green,3,C,u
        6.0,4.5,blue,2,C,v
        """)
  }

  @Test func frameDropsIncompleteRowsAndDummyCodesAgainstTheFirstSortedLevel() throws {
    let frame = try ModelFrame(ModelFormula("y ~ x + colour + factor(k) + x:k + (1 | a/b)"), table: Self.table())
    #expect(frame.rows == [0, 1, 3, 4, 5])
    #expect(frame.droppedRows == 1)
    #expect(frame.response == [1, 2, 4, 5.5, 6])
    // colour levels sorted: blue (reference), green, red; k levels 1 (reference), 2, 3.
    #expect(frame.fixedNames == ["(Intercept)", "x", "colourgreen", "colourred", "factor(k)2", "factor(k)3", "x:k"])
    let expected: [[Double]] = [
      [1, 0.5, 0, 1, 0, 1, 1.5],
      [1, 1.5, 0, 0, 0, 0, 1.5],
      [1, 2.5, 0, 1, 1, 0, 5.0],
      [1, 3.0, 1, 0, 0, 1, 9.0],
      [1, 4.5, 0, 0, 1, 0, 9.0],
    ]
    for i in 0..<5 { #expect(frame.fixed.row(i) == expected[i]) }
    #expect(frame.randomTerms.map(\.factor) == ["a", "a:b"])
    #expect(frame.randomTerms[1].levels == ["A:u", "A:v", "B:v", "C:u", "C:v"])
    #expect(frame.randomTerms[1].codes == [0, 1, 2, 3, 4])
  }

  @Test func withoutAnInterceptTheFirstFactorKeepsEveryLevel() throws {
    let frame = try ModelFrame(ModelFormula("y ~ 0 + colour + factor(k) + (1 | a)"), table: Self.table())
    #expect(frame.fixedNames == ["colourblue", "colourgreen", "colourred", "factor(k)2", "factor(k)3"])
    #expect(frame.droppedRows == 0)
  }

  @Test func binomialFrameHasTrials() throws {
    let t = try LongTable(csv: "s,n,g\n1,4,a\n0,3,a\n2,2,b\n")
    let frame = try ModelFrame(ModelFormula("cbind(s, n - s) ~ 1 + (1 | g)"), table: t)
    #expect(frame.response == [1, 0, 2])
    #expect(frame.trials == [4, 3, 2])
    #expect {
      _ = try ModelFrame(ModelFormula("cbind(n, s) ~ 1"), table: try LongTable(csv: "s,n\n1,-4\n"))
    } throws: { "\($0)".contains("non-negative successes and failures") }
  }

  @Test(arguments: [
    ("y ~ nope + (1 | a)", "the formula uses a column 'nope' that the data does not have"),
    ("colour ~ x + (1 | a)", "column 'colour' is text, but the response must be numeric"),
    ("y ~ x + (colour | a)", "column 'colour' is text, but a random slope must be numeric"),
    ("y ~ x:colour + (1 | a)", "the interaction 'x:colour' involves the categorical column 'colour'"),
  ])
  func frameMistakesGetOneSentence(_ text: String, _ expected: String) {
    #expect {
      _ = try ModelFrame(ModelFormula(text), table: Self.table())
    } throws: { "\($0)".contains(expected) }
  }

  @Test func aDesignNeedsARandomTermAndOneResponse() {
    #expect {
      _ = try CrossedDesign(formula: ModelFormula("y ~ x"), table: Self.table())
    } throws: { "\($0)".contains("has no random term") }
    #expect {
      _ = try CrossedDesign(formula: ModelFormula("cbind(y, x) ~ 1 + (1 | a)"), table: Self.table())
    } throws: { "\($0)".contains("single response column") }
  }
}
