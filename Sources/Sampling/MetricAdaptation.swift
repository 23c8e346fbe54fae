/// How the diagonal inverse metric M⁻¹ (the estimated posterior scale of each coordinate) is
/// learned during warm-up.
public enum MetricAdaptation: String, Sendable, CaseIterable {
  /// Stan's windowed scheme (Stan Reference Manual, "HMC algorithm parameters"; stan/mcmc/
  /// windowed_adaptation.hpp): a fast initial buffer of 75 iterations (step size only), then slow
  /// windows of 25, 50, 100, … iterations, the last stretched to the start of a terminal buffer of
  /// 50. At the end of each window M⁻¹ = (n/(n + 5))·Var(θ) + 10⁻³·5/(n + 5) from that window's n
  /// draws (shrunk towards 10⁻³ to guard against tiny windows), and the step size is searched afresh.
  /// A warm-up shorter than 150 uses buffers of 15% and 10% and one window in between; one shorter
  /// than 20 adapts the step size only.
  case windowed
  /// nutpie's estimate (Seyboldt et al., nutpie / nuts-rs, `DiagAdaptExpSettings` with
  /// `use_grad_based_estimate`): M⁻¹ᵢ = √(Var(θᵢ)/Var(∂ᵢ log p)) over recent warm-up draws, exact
  /// for a Gaussian (Var(θᵢ) = σᵢ², Var(∂ᵢ log p) = 1/σᵢ²) and usable after a handful of draws
  /// because it uses the gradients as well as the positions. It starts from M⁻¹ᵢ = 1/|∂ᵢ log p(θ₀)|
  /// and is re-estimated after every draw from a foreground estimator while a background one fills;
  /// the background replaces the foreground every 10 draws during the first 30% of warm-up, then
  /// after windows of 80 draws growing ×1.5, never starting a window that would run into the last
  /// 15% of warm-up, where the metric is frozen and only the step size adapts. Draws where the chain
  /// did not move (or a divergent transition kept a point within 4 steps of its start) are skipped.
  case gradientBased
}

/// Welford running mean and sum of squared deviations of a vector.
struct RunningMoments {
  private(set) var count = 0
  private(set) var mean: [Double]
  private(set) var m2: [Double]

  init(dimension: Int) {
    mean = [Double](repeating: 0, count: dimension)
    m2 = [Double](repeating: 0, count: dimension)
  }

  mutating func add(_ x: UnsafePointer<Double>) {
    count += 1
    let w = 1 / Double(count)
    let n = mean.count
    mean.withUnsafeMutableBufferPointer { m in
      m2.withUnsafeMutableBufferPointer { s in
        for i in 0..<n {
          let delta = x[i] - m[i]
          m[i] += delta * w
          s[i] += delta * (x[i] - m[i])
        }
      }
    }
  }

  mutating func reset() {
    count = 0
    for i in mean.indices {
      mean[i] = 0
      m2[i] = 0
    }
  }
}

/// Stan's windowed variance adaptation (see `MetricAdaptation.windowed`), with Stan's window
/// arithmetic (stan/mcmc/windowed_adaptation.hpp, var_adaptation.hpp).
struct WindowedMetricAdapter {
  let warmup: Int
  let initBuffer: Int
  let termBuffer: Int
  let active: Bool
  private var windowSize: Int
  private var nextWindow: Int
  private var counter = 0
  private var moments: RunningMoments

  init(warmup: Int, dimension: Int) {
    self.warmup = warmup
    moments = RunningMoments(dimension: dimension)
    var initB = 75, termB = 50, base = 25
    if warmup < 20 {
      active = false
    } else {
      active = true
      if initB + base + termB > warmup {
        initB = Int(0.15 * Double(warmup))
        termB = Int(0.1 * Double(warmup))
        base = warmup - (initB + termB)
      }
    }
    initBuffer = initB
    termBuffer = termB
    windowSize = base
    nextWindow = initB + base - 1
  }

  private var inWindow: Bool { counter >= initBuffer && counter < warmup - termBuffer && counter != warmup }
  private var endOfWindow: Bool { counter == nextWindow && counter != warmup }

  private mutating func computeNextWindow() {
    if nextWindow == warmup - termBuffer - 1 { return }
    windowSize *= 2
    nextWindow = counter + windowSize
    if nextWindow != warmup - termBuffer - 1 && nextWindow + 2 * windowSize >= warmup - termBuffer {
      nextWindow = warmup - termBuffer - 1
    }
  }

  /// Records warm-up draw `theta`; at the end of a window writes the regularised variance into
  /// `inverseMetric` and returns true.
  mutating func learn(_ theta: UnsafePointer<Double>, inverseMetric: UnsafeMutablePointer<Double>) -> Bool {
    guard active else { return false }
    if inWindow { moments.add(theta) }
    defer { counter += 1 }
    guard endOfWindow else { return false }
    computeNextWindow()
    let n = Double(moments.count)
    guard n >= 2 else {
      moments.reset()
      return false
    }
    for i in 0..<moments.mean.count {
      let variance = moments.m2[i] / (n - 1)
      let v = (n / (n + 5)) * variance + 1e-3 * (5 / (n + 5))
      if v.isFinite && v > 0 { inverseMetric[i] = v }
    }
    moments.reset()
    return true
  }
}

/// nutpie's draws-and-gradients diagonal adaptation (see `MetricAdaptation.gradientBased`), with
/// the schedule of nuts-rs's `GlobalStrategy` (early window 30%, step-size window 15%, switch
/// every 10 draws early and after 80·1.5ᵏ draws later).
struct GradientMetricAdapter {
  static let earlySwitch = 10
  static let firstLateWindow = 80
  static let windowGrowth = 1.5
  static let lowerLimit = 1e-20
  static let upperLimit = 1e20

  let earlyEnd: Int
  /// The first warm-up iteration of the final, step-size-only window.
  let finalWindowStart: Int
  private var windowSize = GradientMetricAdapter.firstLateWindow
  private var drawsForeground, gradientsForeground, drawsBackground, gradientsBackground: RunningMoments

  init(warmup: Int, dimension: Int) {
    earlyEnd = Int(0.3 * Double(warmup))
    finalWindowStart = warmup - Int(0.15 * Double(warmup))
    drawsForeground = RunningMoments(dimension: dimension)
    gradientsForeground = drawsForeground
    drawsBackground = drawsForeground
    gradientsBackground = drawsForeground
  }

  /// M⁻¹ᵢ = 1/|∂ᵢ log p(θ₀)| clamped to [10⁻²⁰, 10²⁰] (1 where not finite), and the initial point
  /// counted as the estimators' first draw, as nuts-rs does.
  mutating func initialise(
    theta: UnsafePointer<Double>, gradient: UnsafePointer<Double>, dimension: Int,
    inverseMetric: UnsafeMutablePointer<Double>
  ) {
    for i in 0..<dimension {
      let v = 1 / min(max(abs(gradient[i]), Self.lowerLimit), Self.upperLimit)
      inverseMetric[i] = v.isFinite ? v : 1
    }
    drawsForeground.add(theta)
    gradientsForeground.add(gradient)
    drawsBackground.add(theta)
    gradientsBackground.add(gradient)
  }

  /// Records warm-up iteration `iteration`'s draw (used only if `useDraw`) and updates
  /// `inverseMetric`; returns whether the metric changed. Call only for iterations before
  /// `finalWindowStart`.
  mutating func learn(
    iteration: Int, theta: UnsafePointer<Double>, gradient: UnsafePointer<Double>, useDraw: Bool,
    inverseMetric: UnsafeMutablePointer<Double>
  ) -> Bool {
    let early = iteration < earlyEnd
    if !early && iteration == earlyEnd { windowSize = max(windowSize, drawsBackground.count) }
    let switchAfter = early ? Self.earlySwitch : windowSize
    if useDraw {
      drawsForeground.add(theta)
      gradientsForeground.add(gradient)
      drawsBackground.add(theta)
      gradientsBackground.add(gradient)
    }
    let nextWindow =
      early ? Self.earlySwitch : max(windowSize + 1, Int((Double(windowSize) * Self.windowGrowth).rounded()))
    let late = nextWindow + iteration > finalWindowStart
    if drawsBackground.count >= switchAfter && !late {
      swap(&drawsForeground, &drawsBackground)
      swap(&gradientsForeground, &gradientsBackground)
      drawsBackground.reset()
      gradientsBackground.reset()
      if !early { windowSize = nextWindow }
    }
    guard drawsForeground.count >= 3 else { return false }
    let dm2 = drawsForeground.m2, gm2 = gradientsForeground.m2
    for i in 0..<dm2.count {
      let v = (dm2[i] / gm2[i]).squareRoot()
      if v.isFinite && v > 0 { inverseMetric[i] = min(max(v, Self.lowerLimit), Self.upperLimit) }
    }
    return true
  }
}
