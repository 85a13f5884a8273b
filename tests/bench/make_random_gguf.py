#!/usr/bin/env python3
"""Writes a GGUF v3 model with the real shapes of TinyLlama-1.1B (llama architecture, 22 layers,
2048 wide, 32 heads / 4 KV heads, FFN 5632, 32,000-token vocabulary) and random weights, for
timing llama.cpp where no real weights can be fetched: its speed does not depend on the weights'
values. The tokenizer metadata (llama SPM vocabulary: tokens, scores, token types, special ids)
is copied verbatim from a vocab-only GGUF such as ../shared/fixtures/gguf/ggml-vocab-llama-spm.gguf.

Every 2-D weight is TYPE (a "pure" file: llama-quantize --pure would also keep token_embd and
output in TYPE); norms are F32. Block layouts (ggml src/ggml-common.h): Q4_0 = f16 scale d +
16 bytes of 32 4-bit values (18 bytes per 32 weights); Q8_0 = f16 d + 32 int8 (34 bytes per 32).

Usage: make_random_gguf.py VOCAB.gguf OUT.gguf {q4_0,q8_0,f16}
"""
import struct
import sys

import numpy as np

# GGUF metadata value types (gguf-format.md).
U8, I8, U16, I16, U32, I32, F32, BOOL, STRING, ARRAY, U64, I64, F64 = range(13)
SCALAR_SIZE = {U8: 1, I8: 1, U16: 2, I16: 2, U32: 4, I32: 4, F32: 4, BOOL: 1, U64: 8, I64: 8,
               F64: 8}
# ggml_type ids and file types (llama_ftype: ALL_F32 0, MOSTLY_F16 1, MOSTLY_Q4_0 2, MOSTLY_Q8_0 7).
GGML_F32, GGML_F16, GGML_Q4_0, GGML_Q8_0 = 0, 1, 2, 8
TYPES = {"f16": (GGML_F16, 1), "q4_0": (GGML_Q4_0, 2), "q8_0": (GGML_Q8_0, 7)}
ALIGNMENT = 32

# TinyLlama/TinyLlama-1.1B-Chat-v1.0 config.json: hidden_size 2048, intermediate_size 5632,
# num_hidden_layers 22, num_attention_heads 32, num_key_value_heads 4, vocab_size 32000,
# max_position_embeddings 2048, rms_norm_eps 1e-5, rope_theta 10000, tie_word_embeddings false.
LAYERS, HIDDEN, HEADS, KV_HEADS, FFN, VOCAB, CONTEXT = 22, 2048, 32, 4, 5632, 32000, 2048


def s(text):
    b = text.encode()
    return struct.pack("<Q", len(b)) + b


def kv(key, vtype, payload):
    return s(key) + struct.pack("<I", vtype) + payload


def read_value(buf, pos, vtype):
    """Returns the position just past one value of type vtype starting at pos."""
    if vtype in SCALAR_SIZE:
        return pos + SCALAR_SIZE[vtype]
    if vtype == STRING:
        (n,) = struct.unpack_from("<Q", buf, pos)
        return pos + 8 + n
    if vtype == ARRAY:
        etype, count = struct.unpack_from("<IQ", buf, pos)
        pos += 12
        if etype in SCALAR_SIZE:
            return pos + SCALAR_SIZE[etype] * count
        for _ in range(count):
            pos = read_value(buf, pos, etype)
        return pos
    raise ValueError(f"unknown GGUF value type {vtype}")


def tokenizer_kvs(vocab_path):
    """The raw bytes of every tokenizer.* key-value pair of a GGUF file, and their count."""
    with open(vocab_path, "rb") as f:
        buf = f.read()
    if buf[:4] != b"GGUF":
        raise SystemExit(f"{vocab_path}: not a GGUF file")
    _, _, n_kv = struct.unpack_from("<IQQ", buf, 4)
    pos, out, count = 24, b"", 0
    for _ in range(n_kv):
        start = pos
        (klen,) = struct.unpack_from("<Q", buf, pos)
        key = buf[pos + 8:pos + 8 + klen].decode()
        pos += 8 + klen
        (vtype,) = struct.unpack_from("<I", buf, pos)
        pos = read_value(buf, pos + 4, vtype)
        if key.startswith("tokenizer."):
            out += buf[start:pos]
            count += 1
    return out, count


def random_tensor(rng, n, ggml_type):
    """Bytes of n random weights of ggml_type (values of a trained model's magnitude)."""
    if ggml_type == GGML_F32:
        return np.ones(n, dtype="<f4").tobytes()
    if ggml_type == GGML_F16:
        return (rng.standard_normal(n, dtype=np.float32) * 0.02).astype("<f2").tobytes()
    width = {GGML_Q4_0: 16, GGML_Q8_0: 32}[ggml_type]
    blocks = np.zeros(n // 32, dtype=[("d", "<f2"), ("qs", "u1", (width,))])
    blocks["d"] = np.float16(0.002 if ggml_type == GGML_Q4_0 else 0.0002)
    blocks["qs"] = rng.integers(0, 256, size=(n // 32, width), dtype=np.uint8)
    return blocks.tobytes()


def main():
    if len(sys.argv) != 4 or sys.argv[3] not in TYPES:
        raise SystemExit(__doc__)
    vocab_path, out_path, type_name = sys.argv[1:]
    weight_type, file_type = TYPES[type_name]
    tok_bytes, tok_count = tokenizer_kvs(vocab_path)
    arch = "llama"
    meta = [
        kv("general.architecture", STRING, s(arch)),
        kv("general.name", STRING, s(f"random-tinyllama-1.1b-{type_name}")),
        kv("general.file_type", U32, struct.pack("<I", file_type)),
        kv("general.quantization_version", U32, struct.pack("<I", 2)),
        kv(f"{arch}.block_count", U32, struct.pack("<I", LAYERS)),
        kv(f"{arch}.context_length", U32, struct.pack("<I", CONTEXT)),
        kv(f"{arch}.embedding_length", U32, struct.pack("<I", HIDDEN)),
        kv(f"{arch}.feed_forward_length", U32, struct.pack("<I", FFN)),
        kv(f"{arch}.attention.head_count", U32, struct.pack("<I", HEADS)),
        kv(f"{arch}.attention.head_count_kv", U32, struct.pack("<I", KV_HEADS)),
        kv(f"{arch}.rope.dimension_count", U32, struct.pack("<I", HIDDEN // HEADS)),
        kv(f"{arch}.rope.freq_base", F32, struct.pack("<f", 10000.0)),
        kv(f"{arch}.attention.layer_norm_rms_epsilon", F32, struct.pack("<f", 1e-5)),
        kv(f"{arch}.vocab_size", U32, struct.pack("<I", VOCAB)),
    ]
    kv_dim = HIDDEN // HEADS * KV_HEADS
    tensors = [("token_embd.weight", [HIDDEN, VOCAB], weight_type)]
    for i in range(LAYERS):
        p = f"blk.{i}."
        tensors += [
            (p + "attn_norm.weight", [HIDDEN], GGML_F32),
            (p + "attn_q.weight", [HIDDEN, HIDDEN], weight_type),
            (p + "attn_k.weight", [HIDDEN, kv_dim], weight_type),
            (p + "attn_v.weight", [HIDDEN, kv_dim], weight_type),
            (p + "attn_output.weight", [HIDDEN, HIDDEN], weight_type),
            (p + "ffn_norm.weight", [HIDDEN], GGML_F32),
            (p + "ffn_gate.weight", [HIDDEN, FFN], weight_type),
            (p + "ffn_up.weight", [HIDDEN, FFN], weight_type),
            (p + "ffn_down.weight", [FFN, HIDDEN], weight_type),
        ]
    tensors += [("output_norm.weight", [HIDDEN], GGML_F32),
                ("output.weight", [HIDDEN, VOCAB], weight_type)]

    def nbytes(dims, ttype):
        n = int(np.prod(dims))
        return {GGML_F32: n * 4, GGML_F16: n * 2, GGML_Q4_0: n // 32 * 18,
                GGML_Q8_0: n // 32 * 34}[ttype]

    infos, offset = [], 0
    for name, dims, ttype in tensors:
        infos.append(s(name) + struct.pack("<I", len(dims)) +
                     b"".join(struct.pack("<Q", d) for d in dims) + struct.pack("<IQ", ttype, offset))
        offset += (nbytes(dims, ttype) + ALIGNMENT - 1) // ALIGNMENT * ALIGNMENT
    header = (b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(meta) + tok_count) +
              b"".join(meta) + tok_bytes + b"".join(infos))
    header += b"\0" * ((-len(header)) % ALIGNMENT)
    rng = np.random.default_rng(14)
    with open(out_path, "wb") as f:
        f.write(header)
        for _, dims, ttype in tensors:
            data = random_tensor(rng, int(np.prod(dims)), ttype)
            f.write(data + b"\0" * ((-len(data)) % ALIGNMENT))
    params = sum(int(np.prod(d)) for _, d, _ in tensors)
    print(f"{out_path}: {len(tensors)} tensors, {params / 1e9:.3f} B parameters, "
          f"{len(header) + offset} bytes")


if __name__ == "__main__":
    main()
