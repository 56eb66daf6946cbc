import Foundation
import Testing
import _TestSupport

/// Runs the built `vhdedit` binary.
enum CLI {
    static var binary: String {
        // swift test builds the executable beside the test runner.
        if let explicit = ProcessInfo.processInfo.environment["VHDEDIT_BINARY"] { return explicit }
        let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        return runner.deletingLastPathComponent().appendingPathComponent("vhdedit").path
    }
    static func run(_ arguments: [String]) throws -> ExternalTool.Result {
        try ExternalTool.run([binary] + arguments)
    }
}

@Suite struct HelpTests {
    @Test func helpNamesTheTool() throws {
        let result = try CLI.run(["--help"])
        #expect(result.status == 0)
        #expect(result.output.contains("USAGE: vhdedit"))
    }
}
