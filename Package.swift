// swift-tools-version: 6.1
import PackageDescription

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
    .target(name: "LinearAlgebra", dependencies: ["COpenBLAS", "CLAPACKE"]),
    .target(name: "RandomStreams", dependencies: ["CGSL", "LinearAlgebra"]),
    .target(name: "NumericalMethods", dependencies: ["CGSL", "LinearAlgebra"]),
    .target(name: "DataGeneration", dependencies: ["LinearAlgebra", "RandomStreams"]),
    .target(name: "Estimators", dependencies: ["LinearAlgebra", "NumericalMethods", "RandomStreams"]),
    .target(
      name: "ReplicateEngine",
      dependencies: ["LinearAlgebra", "RandomStreams", "NumericalMethods", "DataGeneration", "Estimators"]),
    .target(
      name: "Studies",
      dependencies: ["ReplicateEngine", "DataGeneration", "Estimators", "LinearAlgebra", "RandomStreams"],
      path: "Studies"),
    .target(
      name: "ResultStore",
      dependencies: ["ReplicateEngine", .product(name: "GRDB", package: "GRDB.swift")]),
    .target(name: "StudyRunner", dependencies: ["ReplicateEngine", "ResultStore"]),
    .target(
      name: "StudyCommandLine",
      dependencies: ["ReplicateEngine", "StudyRunner", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
    .target(
      name: "SimStudy",
      dependencies: [
        "DataGeneration", "Estimators", "LinearAlgebra", "NumericalMethods", "RandomStreams", "ReplicateEngine",
        "ResultStore", "StudyCommandLine", "StudyRunner", "Studies",
      ]),
    .executableTarget(name: "StudyCLI", dependencies: ["SimStudy"]),

    // MARK: Implementation details (C shims; not API)
    .systemLibrary(
      name: "CGSL", pkgConfig: "openblas", providers: [.apt(["libgsl-dev", "libopenblas-dev"])]),
    .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
    .systemLibrary(name: "CLAPACKE", providers: [.apt(["liblapacke-dev"])]),

    // MARK: Test support
    .target(name: "TestSupport", dependencies: ["LinearAlgebra", "RandomStreams", "Estimators", "ReplicateEngine"], path: "Tests/TestSupport"),

    // MARK: Tests
    .testTarget(name: "LinearAlgebraTests", dependencies: ["LinearAlgebra", "TestSupport"]),
    .testTarget(name: "RandomStreamsTests", dependencies: ["RandomStreams", "TestSupport"]),
    .testTarget(name: "DataGenerationTests", dependencies: ["DataGeneration", "TestSupport"]),
    .testTarget(name: "ReplicateEngineTests", dependencies: ["ReplicateEngine", "Estimators", "RandomStreams", "TestSupport"]),
    .testTarget(name: "ResultStoreTests", dependencies: ["ResultStore", "StudyRunner", "ReplicateEngine", "Estimators", "TestSupport"]),
    .testTarget(name: "StudiesTests", dependencies: ["Studies", "StudyCommandLine", "ReplicateEngine", "Estimators", "TestSupport"]),
    .testTarget(name: "StudyCLITests", dependencies: ["SimStudy", "TestSupport"]),
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
      dependencies: ["Estimators", "DataGeneration", "NumericalMethods", "LinearAlgebra", "Studies", "ReplicateEngine", "TestSupport"]),
  ]
)
