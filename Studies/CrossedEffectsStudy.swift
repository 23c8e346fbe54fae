import DataGeneration
import Estimators
import LinearAlgebra
import RandomStreams
import ReplicateEngine

extension CrossedEffectsSample {
  /// The mixed-model design of this sample: y ~ 1 + covariates + (1 [+ x₁] | teacher) + (1 | student)
  /// [+ (1 | third)], with a teacher slope on the first covariate when `teacherSlope` is true.
  public func design(teacherSlope: Bool = false) throws -> CrossedDesign {
    var x = Matrix(rows: rowCount, cols: 1 + covariateNames.count, repeating: 1)
    for j in 0..<covariateNames.count { x.setColumn(j + 1, covariates.column(j)) }
    var terms = [
      try RandomEffectTerm(
        factor: "teacher", codes: teacher, levels: (0..<teachers).map(String.init),
        slopeNames: teacherSlope ? [covariateNames[0]] : [], slopes: teacherSlope ? [covariates.column(0)] : []),
      try RandomEffectTerm(factor: "student", codes: student, levels: (0..<students).map(String.init)),
    ]
    if let g = third {
      terms.append(try RandomEffectTerm(factor: thirdName ?? "third", codes: g, levels: (0..<thirdLevels).map(String.init)))
    }
    return try CrossedDesign(
      response: response, fixed: x, fixedNames: [CrossedDesign.interceptName] + covariateNames, terms: terms)
  }
}
