/// The rest of a transformer layer around its attention, from the model's `config.json`: the
/// width of the residual stream, the MLP and how many layers and vocabulary entries there are.
/// `sweep --layer` times the layer's matrix products beside the attention so that a kernel's
/// speed-up can be read as the layer's.
public struct ModelLayer: Sendable, Codable, Hashable {
    /// `hidden_size` (`d_model`): the width of the residual stream.
    public let hiddenSize: Int
    /// `intermediate_size` (`ffn_dim`): the MLP's inner width.
    public let intermediateSize: Int
    public let mlp: MLPForm
    /// `num_hidden_layers` (`encoder_layers`).
    public let layers: Int
    /// `vocab_size`: the output head's rows.
    public let vocabularySize: Int

    public init(hiddenSize: Int, intermediateSize: Int, mlp: MLPForm, layers: Int, vocabularySize: Int) {
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.mlp = mlp
        self.layers = layers
        self.vocabularySize = vocabularySize
    }

    /// The MLP of a layer: gated (gate and up projections, their product through the
    /// activation, a down projection: three matrices, as Llama, Mistral, Qwen2, Phi-3 and Gemma 2
    /// have) or plain (up, activation, down: two matrices, as BERT and Whisper have).
    public enum MLPForm: String, Sendable, Codable, Hashable {
        case gatedSiLU = "gated-silu"
        case gatedGELU = "gated-gelu"
        case plainGELU = "gelu"

        public var isGated: Bool { self != .plainGELU }
    }

    /// One weight matrix of the layer: `inputs` → `outputs` (PyTorch's `Linear(inputs, outputs)`).
    public struct Projection: Sendable, Hashable {
        public let name: String
        public let inputs: Int
        public let outputs: Int

        public init(name: String, inputs: Int, outputs: Int) {
            self.name = name
            self.inputs = inputs
            self.outputs = outputs
        }

        public var weightCount: Int { inputs * outputs }
    }

    /// The layer's matrices for an attention of `heads` query heads and `keyValueHeads` K/V
    /// heads of `headDimension`, in the order a layer runs them: Q, K, V, the output projection,
    /// then the MLP. (Q and the output projection are hidden × heads·head_dim, which need not be
    /// hidden × hidden: Gemma 2's are not.)
    public func projections(heads: Int, keyValueHeads: Int, headDimension: Int) -> [Projection] {
        let attention = heads * headDimension
        let keyValue = keyValueHeads * headDimension
        var result = [
            Projection(name: "q", inputs: hiddenSize, outputs: attention),
            Projection(name: "k", inputs: hiddenSize, outputs: keyValue),
            Projection(name: "v", inputs: hiddenSize, outputs: keyValue),
            Projection(name: "o", inputs: attention, outputs: hiddenSize),
        ]
        if mlp.isGated { result.append(Projection(name: "gate", inputs: hiddenSize, outputs: intermediateSize)) }
        result.append(Projection(name: "up", inputs: hiddenSize, outputs: intermediateSize))
        result.append(Projection(name: "down", inputs: intermediateSize, outputs: hiddenSize))
        return result
    }

    /// The output head (the logits of the last position): hidden → vocabulary.
    public var outputHead: Projection { Projection(name: "head", inputs: hiddenSize, outputs: vocabularySize) }
}
