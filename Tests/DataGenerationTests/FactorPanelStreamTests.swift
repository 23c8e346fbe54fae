import DataGeneration
import Foundation
import LinearAlgebra
import RandomStreams
import Testing
import TestSupport

/// The stream contract of the iid draw: Y = signal + the documented draws, in the documented order.
@Suite struct FactorPanelStreamTests {
  @Test func iidDrawAddsTheStreamsNormalsInOrder() throws {
    let dgp = FactorPanel.smoothExample(n: 23, t: 17, r: 3, noiseSD: 0.7)
    let s = try dgp.draw(using: testStream("fp-stream"))
    let replay = testStream("fp-stream")
    let loadings = replay.normals(23 * 3)
    _ = replay.normals(23, sd: 0.5)  // α
    let noise = replay.normals(23 * 17, sd: 0.7)
    #expect(s.loadings.elements == loadings)
    for k in 0..<(23 * 17) { #expect(s.y.elements[k] == s.signal.elements[k] + noise[k]) }
    let gaussian = FactorPanel.baiNg(n: 11, t: 13, r: 2, theta: 2)
    let g = try gaussian.draw(using: testStream("fp-stream-g"))
    let again = testStream("fp-stream-g")
    _ = again.normals(11 * 2 + 13 * 2)
    let e = again.normals(11 * 13, sd: 2.0.squareRoot())
    for k in 0..<(11 * 13) { #expect(g.y.elements[k] == g.signal.elements[k] + e[k]) }
  }
}
