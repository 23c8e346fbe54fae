import ArgumentParser

extension StudyCommand {
  struct List: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the studies with their aims, factors and methods.")

    @Flag(name: .shortAndLong, help: "Also show each study's factors, estimands and methods.")
    var verbose = false

    func run() {
      let studies = StudyCommandLine.studies
      let width = studies.map(\.name.count).max() ?? 0
      for s in studies {
        print(s.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + s.aim)
        guard verbose else { continue }
        for f in s.factors { print("    factor   \(f.name) = \(f.values.joined(separator: ","))\(f.help.isEmpty ? "" : "  (\(f.help))")") }
        for e in s.estimands { print("    estimand \(e.name) [\(e.kind.rawValue)]\(e.help.isEmpty ? "" : "  \(e.help)")") }
        print("    methods  \(s.methodNames.joined(separator: ", "))")
      }
    }
  }
}
