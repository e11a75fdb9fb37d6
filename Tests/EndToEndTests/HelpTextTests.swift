import XCTest

/// `quantscope help COMMAND` reads as prose: the argument parser wraps each source line on its own, so a
/// description written with hard line breaks comes out ragged ("… gets SPEC and 1-D\ntensors (norms, biases)\nare kept …").
final class HelpTextTests: XCTestCase {
    static let commands = [[], ["explore"], ["inspect"], ["eval"], ["plan"], ["plan", "init"], ["plan", "show"], ["plan", "validate"],
                           ["plan", "diff"], ["export"], ["apply"]]

    func testDescriptionsWrapAsParagraphsWithinEightyColumns() throws {
        for command in Self.commands {
            let result = try Binary.run(["help"] + command)
            XCTAssertEqual(result.status, 0, "help \(command): \(result.stderr)")
            // The overview and discussion: everything before the usage line.
            let prose = result.stdout.components(separatedBy: "\nUSAGE:")[0]
            XCTAssertTrue(prose.hasPrefix("OVERVIEW: "), "help \(command): \(prose)")
            for paragraph in prose.components(separatedBy: "\n\n") {
                let lines = paragraph.split(separator: "\n", omittingEmptySubsequences: false)
                for (i, line) in lines.enumerated() {
                    XCTAssertLessThanOrEqual(line.count, 80, "help \(command): line too long: \(line)")
                    // A line that ends well short of the width although the next word would have fitted.
                    if i + 1 < lines.count, let nextWord = lines[i + 1].split(separator: " ").first {
                        XCTAssertGreaterThanOrEqual(line.count + 1 + nextWord.count, 80, "help \(command): ragged line break after \"\(line)\"")
                    }
                }
            }
        }
    }
}
