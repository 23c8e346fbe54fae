import Foundation
import LinearAlgebra
import RandomStreams

/// A panel with interactive (and optionally additive) effects (Docs/FactorModels.md §1):
///
///     Y_it = μ + α_i + ξ_t + λ_i'F_t + X_it'β + ε_it,   r factors,
///
/// stored T×N (rows = periods, columns = units). The sample also carries the noiseless signal
/// Y − ε, so a fit can be judged against it.
public struct FactorPanel: DataGeneratingProcess, Equatable {
  /// How the factors F_t (and loadings λ_i) are drawn.
  public enum FactorKind: String, Sendable, CaseIterable {
    /// F_t, λ_i iid N(0, I_r).
    case gaussian
    /// Deterministic waves: factor k = 2j+1 is sin((2.4 + 1.2j)π t/(T−1)), factor k = 2j+2 is
    /// cos((1.8 + 1.2j)π t/(T−1)), t = 0…T−1 (so F₁ = sin(2.4πt/(T−1)), F₂ = cos(1.8πt/(T−1)) as
    /// in the package example); loadings λ_i ~ N(0, I_r).
    case smooth
  }

  /// The idiosyncratic error ε.
  public enum ErrorStructure: Equatable, Sendable {
    /// ε_it iid N(0, s²) with s = `noiseSD`.
    case iid
    /// Bai & Ng (2002) heteroskedastic errors: e_it = e¹_it + δ_t e²_it, δ_t = 1 for even t and 0
    /// for odd t, e¹, e² iid N(0, s²).
    case heteroskedastic
    /// Bai & Ng (2002) serially and cross-sectionally correlated errors:
    /// e_it = ρ e_{i,t−1} + v_it + b Σ_{0<|j|≤J} v_{i−j,t}, J = max(N/20, 10), v iid N(0, s²)
    /// (units beyond the panel's edges contribute nothing). The series starts at e_i,0 = v_i,0 + ….
    case correlated(rho: Double, b: Double)
  }

  public var n: Int
  public var t: Int
  public var r: Int
  public var factorKind: FactorKind
  /// The noise scale s. (Bai & Ng's signal-to-noise θ corresponds to s = √θ.)
  public var noiseSD: Double
  public var errors: ErrorStructure
  /// Grand mean μ.
  public var mu: Double
  /// When true, α_i ~ N(0, 0.5²) and ξ_t = 0.04 t + 0.35 sin(t/5) (the package example); else 0.
  public var additiveEffects: Bool
  /// Slopes β of the covariates; empty for no covariates. With covariates, X_itk follows Bai
  /// (2009): X_itk = 1 + λ_i'F_t + Σ_j λ_ij + Σ_j F_tj + η_itk, η ~ N(0, 1), so X is correlated with
  /// both the loadings and the factors.
  public var beta: [Double]

  /// The default preset (the package example the project started from): smooth factors,
  /// α_i ~ N(0, 0.5²), ξ_t = 0.04t + 0.35 sin(t/5), λ_i ~ N(0, I_r), ε ~ N(0, 0.1²), no covariates.
  public static func smoothExample(n: Int = 100, t: Int = 100, r: Int = 2, noiseSD: Double = 0.1) -> FactorPanel {
    FactorPanel(
      n: n, t: t, r: r, factorKind: .smooth, noiseSD: noiseSD, errors: .iid, mu: 0, additiveEffects: true, beta: [])
  }

  /// Bai & Ng (2002)-style design: Gaussian factors and loadings, no additive effects, noise scale √θ.
  public static func baiNg(
    n: Int, t: Int, r: Int, theta: Double? = nil, errors: ErrorStructure = .iid
  ) -> FactorPanel {
    FactorPanel(
      n: n, t: t, r: r, factorKind: .gaussian, noiseSD: (theta ?? Double(r)).squareRoot(), errors: errors, mu: 0,
      additiveEffects: false, beta: [])
  }

  /// Bai (2009)'s covariate design: r = 2 Gaussian factors, β = (1, 3), μ = 5, ε ~ N(0, 4).
  public static func bai2009(n: Int, t: Int) -> FactorPanel {
    FactorPanel(
      n: n, t: t, r: 2, factorKind: .gaussian, noiseSD: 2, errors: .iid, mu: 5, additiveEffects: false, beta: [1, 3])
  }

  public init(
    n: Int, t: Int, r: Int, factorKind: FactorKind, noiseSD: Double, errors: ErrorStructure, mu: Double,
    additiveEffects: Bool, beta: [Double]
  ) {
    self.n = n
    self.t = t
    self.r = r
    self.factorKind = factorKind
    self.noiseSD = noiseSD
    self.errors = errors
    self.mu = mu
    self.additiveEffects = additiveEffects
    self.beta = beta
  }

  /// Throws a `DesignError` naming the problem when the design cannot be drawn or estimated.
  public func validate() throws(DesignError) {
    guard n >= 2, t >= 2 else { throw DesignError("the panel needs N ≥ 2 and T ≥ 2 (got N = \(n), T = \(t))") }
    guard r >= 0 else { throw DesignError("the number of factors r must be ≥ 0 (got \(r))") }
    guard r < min(n, t) else {
      throw DesignError("the number of factors r = \(r) must be below min(N, T) = \(min(n, t))")
    }
    guard noiseSD.isFinite, noiseSD >= 0 else { throw DesignError("the noise sd must be a finite number ≥ 0") }
    if case .correlated(let rho, let b) = errors {
      guard abs(rho) < 1, b.isFinite else { throw DesignError("correlated errors need |ρ| < 1 and a finite b") }
    }
    guard mu.isFinite, beta.allSatisfy(\.isFinite) else { throw DesignError("μ and β must be finite") }
  }

  /// One draw of the panel.
  public struct Sample: Sendable {
    /// The observed panel, T×N.
    public var y: Matrix
    /// The noiseless signal Y − ε, T×N.
    public var signal: Matrix
    /// The covariates, each T×N (empty when there are none).
    public var covariates: [Matrix]
    /// The true factors F (T×r) and loadings Λ (N×r).
    public var factors: Matrix
    public var loadings: Matrix
  }

  /// Draws one panel. Order of draws from the stream: loadings, factors (Gaussian kind), α,
  /// covariate noise, errors; documented so a sample can be reproduced outside the package.
  public func draw(using rng: RandomStream) throws -> Sample {
    try validate()
    // Loadings Λ (N×r) and factors F (T×r).
    let loadings = Matrix(rows: n, cols: r, elements: rng.normals(n * r))
    var factors = Matrix(rows: t, cols: r)
    switch factorKind {
    case .gaussian:
      factors = Matrix(rows: t, cols: r, elements: rng.normals(t * r))
    case .smooth:
      let span = Double(t - 1)
      for k in 0..<r {
        let j = Double(k / 2)
        for s in 0..<t {
          let x = Double.pi * Double(s) / span
          factors[s, k] = k % 2 == 0 ? sin((2.4 + 1.2 * j) * x) : cos((1.8 + 1.2 * j) * x)
        }
      }
    }
    // Common component F Λ' (T×N) by gemm.
    var signal = r > 0 ? factors.multiplied(by: loadings, transposeOther: true) : Matrix(rows: t, cols: n)
    // Kept only for the covariates (a copy of FΛ' otherwise made by copy-on-write for nothing).
    let common: Matrix? = beta.isEmpty ? nil : signal
    if additiveEffects {
      let alpha = rng.normals(n, sd: 0.5)
      let xi = (0..<t).map { 0.04 * Double($0) + 0.35 * sin(Double($0) / 5) }
      signal.elements.withUnsafeMutableBufferPointer { y in
        for i in 0..<n { for s in 0..<t { y[s + i * t] += alpha[i] + xi[s] } }
      }
    }
    if mu != 0 { for k in signal.elements.indices { signal.elements[k] += mu } }
    // Covariates (Bai 2009): X_k = 1 + FΛ' + Σ_j λ_ij + Σ_j F_tj + η_k.
    var covariates: [Matrix] = []
    if !beta.isEmpty {
      let loadingSum = (0..<n).map { i in (0..<r).reduce(0.0) { $0 + loadings[i, $1] } }
      let factorSum = (0..<t).map { s in (0..<r).reduce(0.0) { $0 + factors[s, $1] } }
      let common = common!  // set whenever beta is non-empty
      for b in beta {
        var x = Matrix(rows: t, cols: n, elements: rng.normals(n * t))
        for i in 0..<n {
          for s in 0..<t { x.elements[s + i * t] += 1 + common.elements[s + i * t] + loadingSum[i] + factorSum[s] }
        }
        for k in signal.elements.indices { signal.elements[k] += b * x.elements[k] }
        covariates.append(x)
      }
    }
    // Y = signal + ε written into ε's buffer: no copy of the signal and no separate error panel.
    var elements = drawErrors(rng)
    signal.elements.withUnsafeBufferPointer { sp in
      elements.withUnsafeMutableBufferPointer { yp in
        for k in 0..<yp.count { yp[k] = sp[k] + yp[k] }
      }
    }
    let y = Matrix(rows: t, cols: n, elements: elements)
    return Sample(y: y, signal: signal, covariates: covariates, factors: factors, loadings: loadings)
  }

  /// The T×N error panel, column-major like Y.
  private func drawErrors(_ rng: RandomStream) -> [Double] {
    switch errors {
    case .iid:
      return rng.normals(n * t, sd: noiseSD)
    case .heteroskedastic:
      var e = rng.normals(n * t, sd: noiseSD)
      let e2 = rng.normals(n * t, sd: noiseSD)
      for i in 0..<n { for s in stride(from: 0, to: t, by: 2) { e[s + i * t] += e2[s + i * t] } }
      return e
    case .correlated(let rho, let b):
      let v = rng.normals(n * t, sd: noiseSD)
      let reach = max(n / 20, 10)
      var e = [Double](repeating: 0, count: n * t)
      for s in 0..<t {
        for i in 0..<n {
          var neighbours = 0.0
          for j in max(0, i - reach)...min(n - 1, i + reach) where j != i { neighbours += v[s + j * t] }
          let previous = s > 0 ? e[s - 1 + i * t] : 0
          e[s + i * t] = rho * previous + v[s + i * t] + b * neighbours
        }
      }
      return e
    }
  }
}
