// swift-tools-version: 6.1
import PackageDescription

// `swift run study …` builds in debug, and unoptimised Swift runs the numerical code several times
// slower than a release build. So the modules that do the numbers are compiled optimised in debug
// builds of this package too. SwiftPM refuses unsafe flags in a package depended on by version,
// so they are left out when this manifest is read as a dependency (a checkout under .build/).
let checkedOutAsDependency = ["/.build/checkouts/", "/SourcePackages/checkouts/"].contains {
  Context.packageDirectory.contains($0)
}
let optimisedInDebug: [SwiftSetting] = checkedOutAsDependency ? [] : [.unsafeFlags(["-O"], .when(configuration: .debug))]
let optimisedCInDebug: [CSetting] = checkedOutAsDependency ? [] : [.unsafeFlags(["-O2"], .when(configuration: .debug))]

let package = Package(
  name: "SimStudy",
  platforms: [.macOS(.v15)],
  products: [
    .executable(name: "study", targets: ["StudyCLI"]),
    // `import SimStudy`: everything a study author needs, the command line as a library included.
    .library(name: "SimStudy", targets: ["SimStudy"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
  ],
  targets: [
    // MARK: Public modules
    .target(name: "LinearAlgebra", dependencies: ["COpenBLAS", "CLAPACKE"], swiftSettings: optimisedInDebug),
    .target(name: "RandomStreams", dependencies: ["CGSL", "LinearAlgebra"], swiftSettings: optimisedInDebug),
    .target(name: "NumericalMethods", dependencies: ["CGSL", "LinearAlgebra"], swiftSettings: optimisedInDebug),
    .target(name: "DataGeneration", dependencies: ["LinearAlgebra", "RandomStreams"], swiftSettings: optimisedInDebug),
    .target(name: "Sampling", dependencies: ["RandomStreams", "NumericalMethods", "CKernels"], swiftSettings: optimisedInDebug),
    .target(
      name: "Estimators", dependencies: ["LinearAlgebra", "NumericalMethods", "RandomStreams", "Sampling", "CKernels"],
      swiftSettings: optimisedInDebug),
    .target(
      name: "ReplicateEngine",
      dependencies: ["LinearAlgebra", "RandomStreams", "NumericalMethods", "DataGeneration", "Estimators"],
      swiftSettings: optimisedInDebug),
    .target(
      name: "Studies",
      dependencies: ["ReplicateEngine", "DataGeneration", "Estimators", "LinearAlgebra", "RandomStreams"],
      path: "Studies", swiftSettings: optimisedInDebug),
    .target(
      name: "ResultStore",
      dependencies: ["ReplicateEngine", .product(name: "GRDB", package: "GRDB.swift")]),
    .target(name: "StudyRunner", dependencies: ["ReplicateEngine", "ResultStore", "Estimators"]),
    .target(
      name: "StudyCommandLine",
      dependencies: ["ReplicateEngine", "StudyRunner", "Estimators", "CAllocator", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
    .target(
      name: "SimStudy",
      dependencies: [
        "DataGeneration", "Estimators", "LinearAlgebra", "NumericalMethods", "RandomStreams", "ReplicateEngine",
        "ResultStore", "Sampling", "StudyCommandLine", "StudyRunner", "Studies",
      ]),
    .executableTarget(name: "StudyCLI", dependencies: ["SimStudy"]),

    // MARK: Implementation details (C shims; not API)
    .systemLibrary(
      name: "CGSL", pkgConfig: "openblas", providers: [.apt(["libgsl-dev", "libopenblas-dev"])]),
    .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
    .systemLibrary(name: "CLAPACKE", providers: [.apt(["liblapacke-dev"])]),
    .systemLibrary(name: "CAllocator"),
    // Vectorised kernels (the logit family's passes, exp / log1p sums for PSIS-LOO) with run-time
    // dispatch to AVX-512 / AVX2 (Sources/CKernels/Logit.c).
    .target(name: "CKernels", cSettings: optimisedCInDebug),

    // MARK: Test support
    .target(name: "TestSupport", dependencies: ["LinearAlgebra", "RandomStreams", "Estimators", "ReplicateEngine"], path: "Tests/TestSupport"),

    // MARK: Tests
    .testTarget(name: "LinearAlgebraTests", dependencies: ["LinearAlgebra", "TestSupport"]),
    .testTarget(name: "RandomStreamsTests", dependencies: ["RandomStreams", "TestSupport"]),
    .testTarget(name: "DataGenerationTests", dependencies: ["DataGeneration", "TestSupport"]),
    .testTarget(name: "ReplicateEngineTests", dependencies: ["ReplicateEngine", "Estimators", "RandomStreams", "TestSupport"]),
    .testTarget(name: "ResultStoreTests", dependencies: ["ResultStore", "StudyRunner", "ReplicateEngine", "Estimators", "TestSupport"]),
    .testTarget(name: "StudiesTests", dependencies: ["Studies", "StudyCommandLine", "ReplicateEngine", "Estimators", "TestSupport"]),
    .testTarget(name: "StudyCLITests", dependencies: ["SimStudy", "StudyCommandLine", "TestSupport"]),
    .testTarget(name: "SamplingTests", dependencies: ["Sampling", "RandomStreams", "TestSupport"]),
    .testTarget(name: "EstimatorsTests", dependencies: ["Estimators", "LinearAlgebra", "RandomStreams", "TestSupport"]),
    .testTarget(
      name: "CrossedEffectsTests",
      dependencies: [
        "Estimators", "DataGeneration", "NumericalMethods", "LinearAlgebra", "RandomStreams", "Studies",
        "ReplicateEngine", "TestSupport",
      ]),
    .testTarget(
      name: "GroupedSlopesTests",
      dependencies: ["Estimators", "DataGeneration", "LinearAlgebra", "RandomStreams", "ReplicateEngine", "Studies", "TestSupport"]),
    .testTarget(
      name: "BinaryChoiceTests",
      dependencies: [
        "Estimators", "DataGeneration", "NumericalMethods", "LinearAlgebra", "RandomStreams", "Sampling", "Studies",
        "ReplicateEngine", "TestSupport", "CKernels",
      ]),
  ]
)
