import ArgumentParser
import AttnBenchCore
import Foundation

/// Lists the model presets `--model` accepts.
struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract:
            "List the model presets of --model: heads, K/V heads, head_dim, window, causal and the configuration each "
            + "comes from."
    )

    func run() throws {
        var lines = ["model\theads\tkv_heads\thead_dim\twindow\tcausal\tsource"]
        for m in ModelPreset.all {
            lines.append(
                [
                    m.name, "\(m.heads)", "\(m.keyValueHeads)", "\(m.headDimension)",
                    m.window.map(String.init) ?? "none",
                    "\(m.causal)", m.source,
                ].joined(separator: "\t"))
        }
        FileHandle.standardOutput.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    }
}
