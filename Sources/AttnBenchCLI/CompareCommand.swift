import ArgumentParser

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "compare", abstract: "Compare two sweep CSVs (not yet implemented).")
    func run() throws { throw UserError("compare: not implemented yet") }
}
