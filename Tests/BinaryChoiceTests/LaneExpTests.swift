import Foundation
import Testing

@testable import Estimators

@Suite struct LaneExpTests {
  /// The two-lane exponential of the random-intercept integrals agrees with Foundation's `exp` to
  /// within 2 ulp over the whole range it is used on, and maps out-of-range inputs as documented.
  @Test func agreesWithExpToTwoUlp() {
    var worst = 0.0
    var x = -707.9
    while x < 708.9 {
      let v = exp(lanes: SIMD2(x, -0.37 * x))
      for (value, t) in [(v[0], x), (v[1], -0.37 * x)] {
        let reference = Foundation.exp(t)
        worst = max(worst, abs(value - reference) / reference.ulp)
      }
      x += 0.00731
    }
    #expect(worst <= 2)
    let edges = exp(lanes: SIMD2(-800, 800))
    #expect(edges[0] == 0 && edges[1] == .infinity)
    #expect(exp(lanes: SIMD2(.nan, 0))[0].isNaN)
    #expect(exp(lanes: SIMD2(0, 0)) == SIMD2(1, 1))
  }
}
