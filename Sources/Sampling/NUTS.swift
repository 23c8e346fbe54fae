import Dispatch
import Foundation
import RandomStreams
import Synchronization

/// Settings of a NUTS run. The defaults are Stan's, except the metric adaptation (see there).
public struct NUTSSettings: Sendable, Equatable {
  /// Warm-up (adaptation) iterations per chain; their draws are discarded.
  public var warmup: Int = 1000
  /// Draws kept per chain.
  public var draws: Int = 1000
  /// Chains run by `NUTS.sample`.
  public var chains: Int = 4
  /// Maximum doublings of a trajectory (at most 2^maxTreeDepth − 1 leapfrog steps per draw).
  public var maxTreeDepth: Int = 10
  /// δ, the mean acceptance statistic the step size is adapted to; larger δ gives smaller steps,
  /// fewer divergences, and longer trajectories.
  public var targetAcceptance: Double = 0.8
  /// How the diagonal metric is adapted. The default is the scheme that reached a given bulk ESS
  /// with fewer gradient evaluations (NUTSTests, `adaptationSchemeComparison`; 4 chains × (1000 +
  /// 1000), 3 seeds, minimum bulk ESS over coordinates per gradient evaluation, warm-up included):
  /// on a 100-d Gaussian with sds log-spaced over 0.01…100, 0.093 for `gradientBased` against 0.010
  /// for `windowed` (≈ 61 000 against ≈ 440 000 gradients per fit: the windowed scheme's unit metric
  /// saturates the tree depth through its 75-iteration initial buffer); on a non-centred hierarchical
  /// logistic model (23 parameters, 400 rows), 0.022–0.025 against 0.015–0.017 (≈ 61 000 against
  /// ≈ 94 000 gradients per fit).
  public var metricAdaptation: MetricAdaptation = .gradientBased
  /// The initial point is drawn uniformly on (−r, r) in every unconstrained coordinate, as Stan does
  /// with r = 2; redrawn up to 100 times until the log density and its gradient are finite.
  public var initialRadius: Double = 2

  public init(
    warmup: Int = 1000, draws: Int = 1000, chains: Int = 4, maxTreeDepth: Int = 10,
    targetAcceptance: Double = 0.8, metricAdaptation: MetricAdaptation = .gradientBased,
    initialRadius: Double = 2
  ) {
    self.warmup = warmup
    self.draws = draws
    self.chains = chains
    self.maxTreeDepth = maxTreeDepth
    self.targetAcceptance = targetAcceptance
    self.metricAdaptation = metricAdaptation
    self.initialRadius = initialRadius
  }
}

extension NUTSSettings: CustomStringConvertible {
  /// The settings in one line ("4 chains × (1000 warm-up + 1000 draws), …"), as a study's method
  /// settings and the fingerprint show them.
  public var description: String {
    "\(chains) chains × (\(warmup) warm-up + \(draws) draws), max depth \(maxTreeDepth), δ \(targetAcceptance), \(metricAdaptation.rawValue) metric"
  }
}

/// The output of one chain.
public struct ChainOutput: Sendable {
  /// d, the number of unconstrained coordinates.
  public let dimension: Int
  /// The number of post-warm-up draws.
  public let drawCount: Int
  /// Post-warm-up draws of θ (unconstrained), row-major drawCount × dimension.
  public let draws: [Double]
  /// The adapted step size ε used for every post-warm-up draw.
  public let stepSize: Double
  /// The adapted diagonal inverse metric M⁻¹ (the estimated posterior variance of each coordinate).
  public let inverseMetric: [Double]
  /// Post-warm-up transitions that diverged (energy error above 1000): a sign that the posterior has
  /// regions of high curvature the sampler cannot explore, which biases estimates.
  public let divergences: Int
  /// Post-warm-up transitions that stopped at `maxTreeDepth` doublings before making a U-turn
  /// (an efficiency warning, not a validity one).
  public let treeDepthSaturations: Int
  /// Evaluations of the log density and its gradient, warm-up and initialisation included.
  public let gradientEvaluations: Int
  /// Mean post-warm-up acceptance statistic (close to the target δ when adaptation worked).
  public let meanAcceptance: Double

  public init(
    dimension: Int, drawCount: Int, draws: [Double], stepSize: Double, inverseMetric: [Double],
    divergences: Int, treeDepthSaturations: Int, gradientEvaluations: Int, meanAcceptance: Double
  ) {
    self.dimension = dimension
    self.drawCount = drawCount
    self.draws = draws
    self.stepSize = stepSize
    self.inverseMetric = inverseMetric
    self.divergences = divergences
    self.treeDepthSaturations = treeDepthSaturations
    self.gradientEvaluations = gradientEvaluations
    self.meanAcceptance = meanAcceptance
  }

  /// The draws of coordinate `i`, in order.
  public func parameter(_ i: Int) -> [Double] {
    precondition(i >= 0 && i < dimension, "parameter index out of range")
    return (0..<drawCount).map { draws[$0 * dimension + i] }
  }

  /// Draw `s` (all coordinates).
  public func draw(_ s: Int) -> ArraySlice<Double> {
    precondition(s >= 0 && s < drawCount, "draw index out of range")
    return draws[s * dimension..<(s + 1) * dimension]
  }
}

/// Why sampling could not run.
public enum SamplingError: Error, CustomStringConvertible, Equatable {
  /// No initial point with a finite log density and gradient was found (or the one given is not).
  case initialisationFailed(String)
  case invalidSettings(String)

  public var description: String {
    switch self {
    case .initialisationFailed(let s): "initialisation failed: \(s)"
    case .invalidSettings(let s): "invalid NUTS settings: \(s)"
    }
  }
}

/// The No-U-Turn sampler with a diagonal Euclidean metric, adapted during warm-up: multinomial
/// trajectories with the generalised no-U-turn criterion as in Stan (see `Trajectory`), step size
/// by dual averaging (`DualAveraging`), metric by `MetricAdaptation`.
///
/// Warm-up: the step size starts at Stan's heuristic and is dual-averaged towards the target
/// acceptance; whenever the metric is re-estimated by the windowed scheme (and at the first update
/// of the gradient-based one) the heuristic is rerun from the current point and dual averaging
/// restarts at μ = log(10ε). Sampling uses e^{x̄}, the averaged log step, and a fixed metric.
///
/// Reproducibility: a chain uses only its own stream, in a fixed order of draws, so `sample`
/// gives bit-identical chains whatever runs around it.
public struct NUTS: Sendable {
  public let settings: NUTSSettings

  /// Validates `settings`.
  public init(settings: NUTSSettings = NUTSSettings()) throws(SamplingError) {
    let s = settings
    if s.warmup < 0 { throw .invalidSettings("warmup must be 0 or more (got \(s.warmup)).") }
    if s.draws < 1 { throw .invalidSettings("draws must be at least 1 (got \(s.draws)).") }
    if s.chains < 1 { throw .invalidSettings("chains must be at least 1 (got \(s.chains)).") }
    if !(1...30).contains(s.maxTreeDepth) {
      throw .invalidSettings("maxTreeDepth must be between 1 and 30 (got \(s.maxTreeDepth)).")
    }
    if !(s.targetAcceptance > 0 && s.targetAcceptance < 1) {
      throw .invalidSettings("targetAcceptance must lie strictly between 0 and 1 (got \(s.targetAcceptance)).")
    }
    if !(s.initialRadius > 0 && s.initialRadius.isFinite) {
      throw .invalidSettings("initialRadius must be positive and finite (got \(s.initialRadius)).")
    }
    self.settings = settings
  }

  /// Runs `settings.chains` chains one after another; chain c draws from
  /// `RandomStream(key: key.appending("chain").appending(UInt64(c)))`.
  public func sample(_ target: some LogDensity, key: StreamKey) throws(SamplingError) -> [ChainOutput] {
    var chains: [ChainOutput] = []
    chains.reserveCapacity(settings.chains)
    for c in 0..<settings.chains { chains.append(try sampleChain(c, of: target, key: key)) }
    return chains
  }

  /// Chain c of a fit keyed `key`, on its own stream.
  private func sampleChain(_ c: Int, of target: some LogDensity, key: StreamKey) throws(SamplingError) -> ChainOutput {
    let stream: RandomStream
    do {
      stream = try RandomStream(key: key.appending("chain").appending(UInt64(c)))
    } catch {
      throw .initialisationFailed("could not create the random stream of chain \(c): \(error)")
    }
    return try sampleChain(target, stream: stream, initial: nil)
  }

  /// `sample(_:key:)` with the chains spread over `threads` threads. Each chain still draws from
  /// its own keyed stream, so the chains are bit-identical to those of the sequential call, in the
  /// same order, whatever `threads` is. (A study runs replicates in parallel already; this is for a
  /// single fit, as `study bench` times it against samplers that run chains in parallel.)
  public func sample<T: LogDensity & Sendable>(_ target: T, key: StreamKey, threads: Int) throws(SamplingError) -> [ChainOutput] {
    guard threads > 1, settings.chains > 1 else { return try sample(target, key: key) }
    let results = Mutex<[Result<ChainOutput, SamplingError>?]>(Array(repeating: nil, count: settings.chains))
    let next = Atomic<Int>(0)
    DispatchQueue.concurrentPerform(iterations: min(threads, settings.chains)) { _ in
      while true {
        let c = next.add(1, ordering: .relaxed).oldValue
        guard c < settings.chains else { return }
        let result = Result { () throws(SamplingError) in try sampleChain(c, of: target, key: key) }
        results.withLock { $0[c] = result }
      }
    }
    var chains: [ChainOutput] = []
    for result in results.withLock({ $0 }) {
      switch result! {
      case .success(let chain): chains.append(chain)
      case .failure(let error): throw error
      }
    }
    return chains
  }

  /// Runs one chain of `settings.warmup` adaptation iterations and `settings.draws` kept draws,
  /// starting from `initial` (unconstrained) or, if nil, from a random point (`initialRadius`).
  public func sampleChain<T: LogDensity>(
    _ target: T, stream: RandomStream, initial: [Double]? = nil
  ) throws(SamplingError) -> ChainOutput {
    let d = target.dimension
    guard d >= 1 else { throw .initialisationFailed("the target has dimension \(d); it needs at least 1.") }
    let s = settings
    let trajectory = Trajectory(dimension: d, maxDepth: s.maxTreeDepth)

    // Initial point.
    if let initial {
      guard initial.count == d else {
        throw .initialisationFailed("the initial point has \(initial.count) coordinates, the target \(d).")
      }
      guard trajectory.setSample(initial, target: target) else {
        throw .initialisationFailed("the log density or its gradient is not finite at the initial point given.")
      }
    } else {
      var theta = [Double](repeating: 0, count: d)
      var found = false
      for _ in 0..<100 {
        for i in 0..<d { theta[i] = s.initialRadius * (2 * stream.uniform() - 1) }
        if trajectory.setSample(theta, target: target) {
          found = true
          break
        }
      }
      guard found else {
        throw .initialisationFailed(
          "no point with a finite log density and gradient in 100 uniform draws on (−\(s.initialRadius), \(s.initialRadius))^\(d).")
      }
    }

    // Adaptation state.
    var windowed = WindowedMetricAdapter(warmup: s.warmup, dimension: d)
    var gradientBased = GradientMetricAdapter(warmup: s.warmup, dimension: d)
    var firstGradientUpdate = true
    if s.metricAdaptation == .gradientBased && s.warmup > 0 {
      gradientBased.initialise(
        theta: trajectory.sampleQ, gradient: trajectory.sampleG, dimension: d,
        inverseMetric: trajectory.inverseMetric)
      trajectory.metricChanged()
    }
    trajectory.stepSize = 1
    trajectory.initialiseStepSize(target, stream: stream)
    var dual = DualAveraging(target: s.targetAcceptance, stepSize: trajectory.stepSize)

    var draws = [Double](repeating: 0, count: s.draws * d)
    var divergences = 0, saturations = 0
    var acceptanceSum = 0.0

    for iteration in 0..<(s.warmup + s.draws) {
      let info = trajectory.transition(target, stream: stream)
      if iteration < s.warmup {
        let learned = dual.learn(acceptance: info.acceptance)
        var restart = false
        switch s.metricAdaptation {
        case .windowed:
          if windowed.learn(trajectory.sampleQ, inverseMetric: trajectory.inverseMetric) {
            trajectory.metricChanged()
            restart = true
          }
        case .gradientBased:
          if iteration < gradientBased.finalWindowStart {
            let useDraw = info.divergent ? abs(info.sampleIndex) > 4 : info.sampleIndex != 0
            if gradientBased.learn(
              iteration: iteration, theta: trajectory.sampleQ, gradient: trajectory.sampleG, useDraw: useDraw,
              inverseMetric: trajectory.inverseMetric)
            {
              trajectory.metricChanged()
              restart = firstGradientUpdate
              firstGradientUpdate = false
            }
          }
        }
        if restart {
          trajectory.initialiseStepSize(target, stream: stream)
          dual.restart(stepSize: trajectory.stepSize)
        } else {
          trajectory.stepSize = learned
        }
        if iteration == s.warmup - 1 { trajectory.stepSize = dual.finalStepSize(current: trajectory.stepSize) }
      } else {
        let row = (iteration - s.warmup) * d
        let sample = trajectory.sampleQ
        draws.withUnsafeMutableBufferPointer { buffer in
          for i in 0..<d { buffer[row + i] = sample[i] }
        }
        if info.divergent { divergences += 1 }
        if info.depth >= s.maxTreeDepth { saturations += 1 }
        acceptanceSum += info.acceptance
      }
    }

    return ChainOutput(
      dimension: d, drawCount: s.draws, draws: draws, stepSize: trajectory.stepSize,
      inverseMetric: (0..<d).map { trajectory.inverseMetric[$0] }, divergences: divergences,
      treeDepthSaturations: saturations, gradientEvaluations: trajectory.gradientEvaluations,
      meanAcceptance: acceptanceSum / Double(s.draws))
  }
}
