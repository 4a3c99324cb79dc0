import ArgumentParser
import AttnBenchCore
import Foundation

/// Lists the model presets `--model` accepts.
struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract:
            "List the model presets of --model: heads, K/V heads, head_dim, window, causal, the published element "
            + "type (torch_dtype, which --dtype model takes), the layer around the "
            + "attention (--layer: hidden and MLP sizes, MLP form, layers, vocabulary) and the configuration each "
            + "comes from."
    )

    func run() throws {
        var lines = [
            "model\theads\tkv_heads\thead_dim\twindow\tcausal\tdtype\thidden_size\tintermediate_size\tmlp\tlayers"
                + "\tvocab_size\tsource"
        ]
        for m in ModelPreset.all {
            let layer =
                m.layer.map {
                    [
                        "\($0.hiddenSize)", "\($0.intermediateSize)", $0.mlp.rawValue, "\($0.layers)",
                        "\($0.vocabularySize)",
                    ]
                } ?? Array(repeating: "none", count: 5)
            lines.append(
                ([
                    m.name, "\(m.heads)", "\(m.keyValueHeads)", "\(m.headDimension)",
                    m.window.map(String.init) ?? "none", "\(m.causal)", m.elementType.rawValue,
                ] + layer + [m.source]).joined(separator: "\t"))
        }
        FileHandle.standardOutput.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    }
}
