"""A tiny llama model and byte-level BPE tokenizer built in code (milliseconds), for HF backend tests."""

from __future__ import annotations

from typing import Any

CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)

CORPUS = [
    "You are a critic. Review the plan and answer with a verdict.",
    'The answer is {"verdict": "accept", "score": 3, "ok": true} or {"content": "hello"}.',
    "Paris is the capital of France. The weather is sunny today.",
    "system user assistant tool name arguments content reply plan step",
] * 4

SPECIALS = ["<pad>", "<|im_start|>", "<|im_end|>"]


def tiny_tokenizer() -> Any:
    """A byte-level BPE tokenizer (every string encodes) with a chat template and a pad token."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=SPECIALS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(CORPUS, trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token="<pad>", eos_token="<|im_end|>", bos_token="<|im_start|>"
    )
    fast.chat_template = CHAT_TEMPLATE
    return fast


def tiny_llama(tokenizer: Any, *, seed: int = 0, layers: int = 2) -> Any:
    """A randomly initialised float32 llama sized for milliseconds per token."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        initializer_range=0.5,  # large random weights: the answer depends visibly on the prompt
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config).eval()
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    return model


def _permute(weights: Any, n_head: int) -> Any:
    """llama.cpp's q/k row order (transformers undoes it when it loads a llama GGUF)."""
    rows = weights.shape[0]
    return weights.reshape(n_head, 2, rows // n_head // 2, *weights.shape[1:]).swapaxes(1, 2).reshape(weights.shape)


def write_tiny_gguf(model: Any, tokenizer: Any, path: Any) -> None:
    """Write ``model`` + ``tokenizer`` as a float32 llama GGUF file with ``gguf.GGUFWriter``."""
    import json

    import gguf

    cfg = model.config
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_context_length(cfg.max_position_embeddings)
    writer.add_embedding_length(cfg.hidden_size)
    writer.add_block_count(cfg.num_hidden_layers)
    writer.add_feed_forward_length(cfg.intermediate_size)
    writer.add_head_count(cfg.num_attention_heads)
    writer.add_head_count_kv(cfg.num_key_value_heads)
    writer.add_layer_norm_rms_eps(cfg.rms_norm_eps)
    writer.add_rope_freq_base(float(getattr(cfg, "rope_theta", None) or 10000.0))
    writer.add_vocab_size(cfg.vocab_size)
    state = json.loads(tokenizer.backend_tokenizer.to_str())
    vocab = sorted(tokenizer.get_vocab().items(), key=lambda kv: kv[1])
    specials = set(SPECIALS)
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("default")
    writer.add_token_list([tok for tok, _ in vocab])
    writer.add_token_types([3 if tok in specials else 1 for tok, _ in vocab])
    merges = state["model"]["merges"]
    writer.add_token_merges([m if isinstance(m, str) else " ".join(m) for m in merges])
    writer.add_bos_token_id(tokenizer.bos_token_id)
    writer.add_eos_token_id(tokenizer.eos_token_id)
    writer.add_pad_token_id(tokenizer.pad_token_id)
    writer.add_chat_template(CHAT_TEMPLATE)
    names = {
        "self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k", "self_attn.v_proj": "attn_v",
        "self_attn.o_proj": "attn_output", "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up",
        "mlp.down_proj": "ffn_down", "input_layernorm": "attn_norm", "post_attention_layernorm": "ffn_norm",
    }
    for key, tensor in model.state_dict().items():
        array = tensor.detach().float().numpy()
        if key == "model.embed_tokens.weight":
            writer.add_tensor("token_embd.weight", array)
        elif key == "model.norm.weight":
            writer.add_tensor("output_norm.weight", array)
        elif key == "lm_head.weight":
            writer.add_tensor("output.weight", array)
        else:
            _, _, layer, *rest = key.split(".")
            part = ".".join(rest[:-1])
            if part == "self_attn.q_proj":
                array = _permute(array, cfg.num_attention_heads)
            elif part == "self_attn.k_proj":
                array = _permute(array, cfg.num_key_value_heads)
            writer.add_tensor(f"blk.{layer}.{names[part]}.weight", array)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
