import ArgumentParser
import Foundation
import QuantCore

@main
struct Quantscope: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantscope",
        abstract: "Explore how a model's weights survive quantisation.",
        discussion: """
        Reads safetensors (single files, shard folders or index files), GGUF v2/v3 and NumPy .npy/.npz. \
        Without a MODEL argument the bundled sample model is used.
        """,
        version: "0.1.0",
        subcommands: [Explore.self, Inspect.self, Eval.self, PlanCommand.self, Export.self, Apply.self],
        defaultSubcommand: Explore.self
    )
}
