#!/usr/bin/env python3
"""Writes a sparse GGUF v3 file for the start-up benchmark: a Qwen2-72B-shaped header (80 layers,
8192 wide, 64 heads / 8 KV heads) with a 152,064-token vocabulary and its merges, tensor infos
for every weight, and a file size of 100 GB of which only the header is on disk (the tensor data
is a hole). Usage: make_sparse_gguf.py OUT.gguf"""
import struct
import sys

U32, I32, F32, BOOL, STRING, ARRAY, U64 = 4, 5, 6, 7, 8, 9, 10
Q4_K, Q8_0, F32_T = 12, 8, 0


def s(text):
    b = text.encode()
    return struct.pack("<Q", len(b)) + b


def kv(key, vtype, payload):
    return s(key) + struct.pack("<I", vtype) + payload


def main():
    out = sys.argv[1]
    layers, hidden, heads, kv_heads, ffn, vocab = 80, 8192, 64, 8, 29568, 152064
    meta = [
        kv("general.architecture", STRING, s("qwen2")),
        kv("general.name", STRING, s("bench-qwen2-72b")),
        kv("general.file_type", U32, struct.pack("<I", 15)),
        kv("qwen2.block_count", U32, struct.pack("<I", layers)),
        kv("qwen2.context_length", U32, struct.pack("<I", 32768)),
        kv("qwen2.embedding_length", U32, struct.pack("<I", hidden)),
        kv("qwen2.feed_forward_length", U32, struct.pack("<I", ffn)),
        kv("qwen2.attention.head_count", U32, struct.pack("<I", heads)),
        kv("qwen2.attention.head_count_kv", U32, struct.pack("<I", kv_heads)),
        kv("qwen2.rope.freq_base", F32, struct.pack("<f", 1e6)),
        kv("qwen2.attention.layer_norm_rms_epsilon", F32, struct.pack("<f", 1e-6)),
        kv("tokenizer.ggml.model", STRING, s("gpt2")),
    ]
    tokens = b"".join(s(f"tok{i}") for i in range(vocab))
    meta.append(kv("tokenizer.ggml.tokens", ARRAY, struct.pack("<IQ", STRING, vocab) + tokens))
    meta.append(kv("tokenizer.ggml.token_type", ARRAY,
                   struct.pack("<IQ", I32, vocab) + struct.pack("<i", 1) * vocab))
    merges = b"".join(s(f"t{i} k{i}") for i in range(151387))
    meta.append(kv("tokenizer.ggml.merges", ARRAY, struct.pack("<IQ", STRING, 151387) + merges))

    tensors = []

    def tensor(name, dims, ttype):
        tensors.append((name, dims, ttype))

    tensor("token_embd.weight", [hidden, vocab], Q4_K)
    for i in range(layers):
        p = f"blk.{i}."
        tensor(p + "attn_norm.weight", [hidden], F32_T)
        tensor(p + "attn_q.weight", [hidden, hidden], Q4_K)
        tensor(p + "attn_k.weight", [hidden, hidden // heads * kv_heads], Q4_K)
        tensor(p + "attn_v.weight", [hidden, hidden // heads * kv_heads], Q4_K)
        tensor(p + "attn_output.weight", [hidden, hidden], Q4_K)
        tensor(p + "ffn_norm.weight", [hidden], F32_T)
        tensor(p + "ffn_gate.weight", [hidden, ffn], Q4_K)
        tensor(p + "ffn_up.weight", [hidden, ffn], Q4_K)
        # 29568 is no multiple of 256: llama.cpp falls back to a 32-wide type for this one.
        tensor(p + "ffn_down.weight", [ffn, hidden], Q8_0)
    tensor("output_norm.weight", [hidden], F32_T)
    tensor("output.weight", [hidden, vocab], Q4_K)

    def nbytes(dims, ttype):
        n = 1
        for d in dims:
            n *= d
        return {F32_T: n * 4, Q8_0: n // 32 * 34, Q4_K: n // 256 * 144}[ttype]

    infos = []
    offset = 0
    for name, dims, ttype in tensors:
        infos.append(s(name) + struct.pack("<I", len(dims)) +
                     b"".join(struct.pack("<Q", d) for d in dims) +
                     struct.pack("<IQ", ttype, offset))
        offset += (nbytes(dims, ttype) + 31) // 32 * 32
    header = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(meta)) + b"".join(meta) + b"".join(infos)
    header += b"\0" * ((-len(header)) % 32)
    size = max(len(header) + offset, 100 * 10**9)
    with open(out, "wb") as f:
        f.write(header)
        f.truncate(size)


if __name__ == "__main__":
    main()
