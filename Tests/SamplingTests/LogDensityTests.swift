import Sampling
import Testing

/// A standard normal target, the smallest model of the protocol.
struct StandardNormalTarget: LogDensity {
  let dimension: Int
  func logDensity(_ theta: [Double], gradient: inout [Double]) -> Double {
    var s = 0.0
    for i in 0..<dimension {
      s += theta[i] * theta[i]
      gradient[i] = -theta[i]
    }
    return -s / 2
  }
}

@Test func standardNormalTargetGradientIsMinusTheta() {
  let target = StandardNormalTarget(dimension: 3)
  var g = [Double](repeating: 0, count: 3)
  #expect(target.logDensity([1, -2, 0.5], gradient: &g) == -2.625)
  #expect(g == [-1, 2, -0.5])
}
