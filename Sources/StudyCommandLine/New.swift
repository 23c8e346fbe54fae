import ArgumentParser
import Foundation
import ReplicateEngine

extension StudyCommand {
  struct New: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Write a commented, runnable study file to start a new study from.",
      discussion: """
        In the SimStudy repository the file goes to Studies/ and is added to Catalogue.studies. In \
        your own package it goes to Sources/<this command's name>/ (or --to DIR); pass the value it \
        defines to StudyCommandLine.main(studies:).
        """)

    @Argument(help: "The study's name: lower-case letters, digits and '-', starting with a letter (e.g. my-study).")
    var name: String

    @Option(help: "The folder to write the file to.")
    var to: String?

    func validate() throws {
      guard StudyTemplate.isValidName(name) else {
        throw ValidationError("'\(name)' cannot name a study: use lower-case letters, digits and '-', starting with a letter (e.g. my-study).")
      }
      guard !StudyCommandLine.reservedNames.contains(name) else {
        throw ValidationError("'\(name)' is a subcommand of this command; choose another name.")
      }
      guard !StudyCommandLine.studies.contains(where: { $0.name == name }) else {
        throw ValidationError("a study named '\(name)' exists already; choose another name.")
      }
    }

    func run() throws {
      let fm = FileManager.default
      let catalogue = URL(fileURLWithPath: "Studies/Catalogue.swift")
      let inRepository = to == nil && fm.fileExists(atPath: catalogue.path)
      let folder: URL
      if let to {
        folder = URL(fileURLWithPath: to)
      } else if inRepository {
        folder = URL(fileURLWithPath: "Studies")
      } else {
        let sources = URL(fileURLWithPath: "Sources").appendingPathComponent(StudyCommandLine.commandName)
        guard fm.fileExists(atPath: sources.path) else {
          throw StudyError.invalidArgument("say where to write the study file with --to DIR (no Sources/\(StudyCommandLine.commandName)/ here).")
        }
        folder = sources
      }
      var isDirectory: ObjCBool = false
      guard fm.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
        throw StudyError.invalidArgument("\(folder.path) is not a folder; create it or pass another --to DIR.")
      }
      let file = folder.appendingPathComponent(StudyTemplate.fileName(name))
      guard !fm.fileExists(atPath: file.path) else {
        throw StudyError.invalidArgument("\(file.path) exists already; nothing was written.")
      }
      let imports = inRepository ? ["Estimators", "ReplicateEngine"] : ["SimStudy"]
      do {
        try Data(StudyTemplate.render(name: name, imports: imports, command: StudyCommandLine.commandName).utf8).write(to: file, options: .withoutOverwriting)
      } catch {
        throw StudyError.invalidArgument("cannot write \(file.path): check that the folder is writable.")
      }
      print("wrote \(file.path), defining \(StudyTemplate.identifier(name))")
      if inRepository {
        try register(StudyTemplate.identifier(name), in: catalogue)
        print("added \(StudyTemplate.identifier(name)) to \(catalogue.path); run it with: swift run study \(name) --reps 200")
      } else {
        print("next: pass \(StudyTemplate.identifier(name)) to StudyCommandLine.main(studies: [...]) and run: swift run \(StudyCommandLine.commandName) \(name) --reps 200")
      }
    }

    /// Appends `identifier` to the `studies` array of Studies/Catalogue.swift.
    private func register(_ identifier: String, in catalogue: URL) throws {
      let marker = "public static let studies: [Study] = ["
      guard var text = try? String(contentsOf: catalogue, encoding: .utf8), let start = text.range(of: marker),
        let end = text[start.upperBound...].firstIndex(of: "]")
      else {
        throw StudyError.invalidArgument("could not find the studies list in \(catalogue.path); add \(identifier) to it by hand.")
      }
      text.insert(contentsOf: ", \(identifier)", at: end)
      try Data(text.utf8).write(to: catalogue, options: .atomic)
    }
  }
}
