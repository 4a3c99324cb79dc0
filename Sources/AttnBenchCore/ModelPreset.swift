import AttentionKernels

/// Attention shapes of public models, from their published configurations (`config.json` on
/// the Hugging Face Hub; fields named beside each row). `sweep --model` and `maxlen --model`
/// take heads, K/V heads, head dimension, window and causal from here, and `--dtype model` the
/// element type the model is published in (its `torch_dtype`); explicit flags win.
///
/// Windows use attnbench's convention: query position i sees keys i − W < j ≤ i, the W most
/// recent keys including its own; the `sliding_window` value of a config is taken as W.
public struct ModelPreset: Sendable, Equatable {
    public let name: String
    public let heads: Int
    public let keyValueHeads: Int
    public let headDimension: Int
    public let window: Int?
    public let causal: Bool
    /// The element type of the published weights (`torch_dtype`; fp32 where the config has none).
    public let elementType: ElementType
    /// The rest of the layer (`sweep --layer`); nil where attnbench does not model it.
    public let layer: ModelLayer?
    /// The configuration it comes from and the fields read.
    public let source: String

    public static let all: [ModelPreset] = [
        ModelPreset(
            name: "bert-base", heads: 12, keyValueHeads: 12, headDimension: 64, window: nil, causal: false,
            elementType: .f32,
            layer: ModelLayer(
                hiddenSize: 768, intermediateSize: 3072, mlp: .plainGELU, layers: 12, vocabularySize: 30522),
            source:
                "google-bert/bert-base-uncased config.json: num_attention_heads 12, hidden_size 768 (encoder, "
                + "bidirectional); "
                + "intermediate_size 3072, num_hidden_layers 12, vocab_size 30522, hidden_act gelu"
                + "; no torch_dtype field (fp32)"
        ),
        ModelPreset(
            name: "whisper-small", heads: 12, keyValueHeads: 12, headDimension: 64, window: nil, causal: false,
            elementType: .f32,
            layer: ModelLayer(
                hiddenSize: 768, intermediateSize: 3072, mlp: .plainGELU, layers: 12, vocabularySize: 51865),
            source:
                "openai/whisper-small config.json: encoder_attention_heads 12, d_model 768, max_source_positions 1500 "
                + "(encoder self-attention); "
                + "encoder_ffn_dim 3072, encoder_layers 12, vocab_size 51865, activation_function gelu"
                + "; torch_dtype float32"
        ),
        ModelPreset(
            name: "whisper-small-decoder", heads: 12, keyValueHeads: 12, headDimension: 64, window: nil, causal: true,
            elementType: .f32,
            layer: nil,
            source:
                "openai/whisper-small config.json: decoder_attention_heads 12, d_model 768, max_target_positions 448 "
                + "(decoder self-attention); no layer: its cross-attention is not modelled"
                + "; torch_dtype float32"
        ),
        ModelPreset(
            name: "llama-3-8b", heads: 32, keyValueHeads: 8, headDimension: 128, window: nil, causal: true,
            elementType: .bf16,
            layer: ModelLayer(
                hiddenSize: 4096, intermediateSize: 14336, mlp: .gatedSiLU, layers: 32, vocabularySize: 128256),
            source:
                "meta-llama/Meta-Llama-3-8B config.json: num_attention_heads 32, num_key_value_heads 8, hidden_size "
                + "4096; "
                + "intermediate_size 14336, num_hidden_layers 32, vocab_size 128256, hidden_act silu"
                + "; torch_dtype bfloat16"
        ),
        ModelPreset(
            name: "llama-3-70b", heads: 64, keyValueHeads: 8, headDimension: 128, window: nil, causal: true,
            elementType: .bf16,
            layer: ModelLayer(
                hiddenSize: 8192, intermediateSize: 28672, mlp: .gatedSiLU, layers: 80, vocabularySize: 128256),
            source:
                "meta-llama/Meta-Llama-3-70B config.json: num_attention_heads 64, num_key_value_heads 8, hidden_size "
                + "8192; "
                + "intermediate_size 28672, num_hidden_layers 80, vocab_size 128256, hidden_act silu"
                + "; torch_dtype bfloat16"
        ),
        ModelPreset(
            name: "mistral-7b", heads: 32, keyValueHeads: 8, headDimension: 128, window: 4096, causal: true,
            elementType: .bf16,
            layer: ModelLayer(
                hiddenSize: 4096, intermediateSize: 14336, mlp: .gatedSiLU, layers: 32, vocabularySize: 32000),
            source:
                "mistralai/Mistral-7B-v0.1 config.json: num_attention_heads 32, num_key_value_heads 8, hidden_size "
                + "4096, sliding_window 4096; "
                + "intermediate_size 14336, num_hidden_layers 32, vocab_size 32000, hidden_act silu"
                + "; torch_dtype bfloat16"
        ),
        ModelPreset(
            name: "gemma-2-9b", heads: 16, keyValueHeads: 8, headDimension: 256, window: 4096, causal: true,
            elementType: .bf16,
            layer: ModelLayer(
                hiddenSize: 3584, intermediateSize: 14336, mlp: .gatedGELU, layers: 42, vocabularySize: 256000),
            source:
                "google/gemma-2-9b config.json: num_attention_heads 16, num_key_value_heads 8, head_dim 256, "
                + "sliding_window 4096 (the local layers, every other one; logit soft-capping not modelled); "
                + "hidden_size 3584, intermediate_size 14336, num_hidden_layers 42, vocab_size 256000, "
                + "hidden_activation gelu_pytorch_tanh"
                + "; torch_dtype bfloat16 (as google/gemma-2-9b-it config.json publishes it)"
        ),
        ModelPreset(
            name: "gemma-2-9b-global", heads: 16, keyValueHeads: 8, headDimension: 256, window: nil, causal: true,
            elementType: .bf16,
            layer: ModelLayer(
                hiddenSize: 3584, intermediateSize: 14336, mlp: .gatedGELU, layers: 42, vocabularySize: 256000),
            source:
                "google/gemma-2-9b config.json: num_attention_heads 16, num_key_value_heads 8, head_dim 256 (the "
                + "global layers); "
                + "hidden_size 3584, intermediate_size 14336, num_hidden_layers 42, vocab_size 256000, "
                + "hidden_activation gelu_pytorch_tanh"
                + "; torch_dtype bfloat16 (as google/gemma-2-9b-it config.json publishes it)"
        ),
        ModelPreset(
            name: "qwen2-7b", heads: 28, keyValueHeads: 4, headDimension: 128, window: nil, causal: true,
            elementType: .bf16,
            layer: ModelLayer(
                hiddenSize: 3584, intermediateSize: 18944, mlp: .gatedSiLU, layers: 28, vocabularySize: 152064),
            source:
                "Qwen/Qwen2-7B config.json: num_attention_heads 28, num_key_value_heads 4, hidden_size 3584 "
                + "(use_sliding_window false); "
                + "intermediate_size 18944, num_hidden_layers 28, vocab_size 152064, hidden_act silu"
                + "; torch_dtype bfloat16"
        ),
        ModelPreset(
            name: "phi-3-mini", heads: 32, keyValueHeads: 32, headDimension: 96, window: 2047, causal: true,
            elementType: .bf16,
            layer: ModelLayer(
                hiddenSize: 3072, intermediateSize: 8192, mlp: .gatedSiLU, layers: 32, vocabularySize: 32064),
            source:
                "microsoft/Phi-3-mini-4k-instruct config.json: num_attention_heads 32, num_key_value_heads 32, "
                + "hidden_size 3072, sliding_window 2047; "
                + "intermediate_size 8192, num_hidden_layers 32, vocab_size 32064, hidden_act silu"
                + "; torch_dtype bfloat16"
        ),
    ]

    public static func named(_ name: String) -> ModelPreset? {
        all.first { $0.name == name.lowercased() }
    }
}
