// swift-tools-version: 6.1
import PackageDescription

// An example of a study package of your own built on SimStudy: a library with the DGP, the
// estimators and the `Study` value, a `my-studies` command that runs it, and its tests.
//
// SimStudy is a path dependency on the repository root. SwiftPM names a path dependency after the
// last component of its path (the folder the repository was cloned into: "SimStudy", "main", a CI
// checkout …), so `.package(path: "../..")` with `.product(name: "SimStudy", package: "SimStudy")`
// breaks in any clone whose folder is called otherwise ("unknown package 'SimStudy'"). Giving the
// dependency a name — `.package(name: "SimStudy", path:)`, not deprecated for local packages,
// unlike `package(name:url:…)` — lets the targets refer to it by that name whatever the folder is.
// In your own project, depend on SimStudy by URL or by the path of your checkout in the same way.
let package = Package(
  name: "DynamicPanel",
  platforms: [.macOS(.v15)],
  products: [
    .library(name: "DynamicPanel", targets: ["DynamicPanel"]),
    .executable(name: "my-studies", targets: ["my-studies"]),
  ],
  dependencies: [
    .package(name: "SimStudy", path: "../.."),
  ],
  targets: [
    .target(name: "DynamicPanel", dependencies: [.product(name: "SimStudy", package: "SimStudy")]),
    .executableTarget(
      name: "my-studies", dependencies: ["DynamicPanel", .product(name: "SimStudy", package: "SimStudy")]),
    .testTarget(
      name: "DynamicPanelTests", dependencies: ["DynamicPanel", .product(name: "SimStudy", package: "SimStudy")]),
  ]
)
