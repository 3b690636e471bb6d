#!/usr/bin/env python3
"""Writes a tiny Llama checkpoint directory as transformers' save_pretrained
does (config.json plus safetensors), with switches to break it in one way at
a time, so that each attn-compile diagnostic can be tested.

Only the standard library is used: safetensors files are an 8-byte
little-endian header length, a JSON header and the raw tensor bytes, written
here by hand. Weights are seeded random numbers: N(0, 0.02) everywhere by
default, or with --init unit at the scales of a trained model's activations
(embeddings N(0, 1), norm weights N(1, 0.1), projections N(0, 1/in_features)),
so that attention scores are O(1) and a test that runs the model sees RoPE,
the causal mask and the head grouping in its logits.
"""

import argparse
import json
import os
import random
import struct

DTYPES = {"float32": "F32", "float16": "F16", "bfloat16": "BF16"}
BYTES = {"F32": 4, "F16": 2, "BF16": 2, "F64": 8, "I8": 1}


def parse_shape(text):
    return [int(d) for d in text.split(",")] if text else []


def init_scale(init, name, shape):
    """(mean, std) of the tensor's values under --init."""
    if init == "tiny":
        return 0.0, 0.02
    if name.endswith("norm.weight"):
        return 1.0, 0.1
    if "proj" in name:
        return 0.0, shape[-1] ** -0.5
    return 0.0, 1.0


def tensor_bytes(rng, dtype, count, mean=0.0, std=0.02):
    values = [rng.gauss(mean, std) for _ in range(count)]
    if dtype == "F32":
        return struct.pack("<%df" % count, *values)
    if dtype == "F16":
        return struct.pack("<%de" % count, *values)
    if dtype == "BF16":
        # bfloat16 is the upper half of the float32 encoding.
        words = struct.unpack("<%dI" % count, struct.pack("<%df" % count, *values))
        return struct.pack("<%dH" % count, *[w >> 16 for w in words])
    # Other dtypes only need the right size; an unknown one gets 1 byte.
    return bytes(rng.randrange(256) for _ in range(count * BYTES.get(dtype, 1)))


def llama_tensors(a, head_dim):
    """The standard tensor names and [out, in] shapes for the arguments."""
    h, q, kv = a.hidden, a.heads * head_dim, a.kv_heads * head_dim
    out = [("model.embed_tokens.weight", [a.vocab, h])]
    for i in range(a.layers):
        p = "model.layers.%d." % i
        out.append((p + "input_layernorm.weight", [h]))
        out.append((p + "self_attn.q_proj.weight", [q, h]))
        if i % a.cla == 0:  # CLA: only a group's first layer has K and V
            out.append((p + "self_attn.k_proj.weight", [kv, h]))
            out.append((p + "self_attn.v_proj.weight", [kv, h]))
        out.append((p + "self_attn.o_proj.weight", [h, q]))
        out.append((p + "post_attention_layernorm.weight", [h]))
        out.append((p + "mlp.gate_proj.weight", [a.inter, h]))
        out.append((p + "mlp.up_proj.weight", [a.inter, h]))
        out.append((p + "mlp.down_proj.weight", [h, a.inter]))
    out.append(("model.norm.weight", [h]))
    if not a.tied:
        out.append(("lm_head.weight", [a.vocab, h]))
    return out


def write_safetensors(path, tensors, rng, a):
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name, dtype, shape in tensors:
        count = 1
        for d in shape:
            count *= d
        blob = tensor_bytes(rng, dtype, count, *init_scale(a.init, name, shape))
        end = offset + len(blob)
        begin = offset
        if name in a.bad_offsets:
            end -= BYTES.get(dtype, 1)
        if name in a.alias:  # point at the bytes of the file's first tensor
            begin, end = 0, len(blob)
        header[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [begin, end]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # the reference writer aligns the data
    length = len(text) if a.header_len is None else a.header_len
    data = struct.pack("<Q", length) + text + b"".join(blobs)
    if a.truncate:
        data = data[:-a.truncate]
    with open(path, "wb") as f:
        f.write(data)
    return offset


def set_path(obj, dotted, value):
    keys = dotted.split(".")
    for k in keys[:-1]:
        obj = obj.setdefault(k, {})
    if value is None:
        obj.pop(keys[-1], None)
    else:
        obj[keys[-1]] = value


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("out")
    ap.add_argument("--spelling", choices=["4", "5"], default="4",
                    help="transformers 4.x or 5.x config keys")
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--kv-heads", type=int, default=2)
    ap.add_argument("--layers", type=int, default=3)
    ap.add_argument("--inter", type=int, default=128)
    ap.add_argument("--vocab", type=int, default=32)
    ap.add_argument("--head-dim", type=int, help="written as head_dim")
    ap.add_argument("--dtype", choices=sorted(DTYPES), default="float32")
    ap.add_argument("--tied", action="store_true")
    ap.add_argument("--init", choices=["tiny", "unit"], default="tiny",
                    help="weight scales (see above)")
    ap.add_argument("--cla", type=int, default=1,
                    help="cla_sharing_factor (written when not 1)")
    ap.add_argument("--shards", type=int, default=1,
                    help="more than 1 writes the index.json form")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=JSON",
                    help="set a (dotted) config key after the defaults")
    ap.add_argument("--unset", action="append", default=[], metavar="KEY")
    ap.add_argument("--drop", action="append", default=[], metavar="TENSOR")
    ap.add_argument("--add", action="append", default=[], metavar="TENSOR=SHAPE")
    ap.add_argument("--shape", action="append", default=[], metavar="TENSOR=SHAPE")
    ap.add_argument("--tensor-dtype", action="append", default=[],
                    metavar="TENSOR=DTYPE", help="a safetensors dtype")
    ap.add_argument("--bad-offsets", action="append", default=[],
                    metavar="TENSOR", help="end offset one element short")
    ap.add_argument("--alias", action="append", default=[], metavar="TENSOR",
                    help="offsets that start at 0, over the first tensor")
    ap.add_argument("--index-extra", action="append", default=[],
                    metavar="TENSOR=FILE", help="a weight_map entry to add")
    ap.add_argument("--truncate", type=int, default=0,
                    help="cut this many bytes off the end of the first file")
    ap.add_argument("--header-len", type=int,
                    help="header length to write instead of the real one")
    a = ap.parse_args()

    head_dim = a.head_dim or a.hidden // a.heads
    config = {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "hidden_size": a.hidden,
        "intermediate_size": a.inter,
        "num_attention_heads": a.heads,
        "num_key_value_heads": a.kv_heads,
        "num_hidden_layers": a.layers,
        "vocab_size": a.vocab,
        "max_position_embeddings": 128,
        "rms_norm_eps": 1e-5,
        "hidden_act": "silu",
        "tie_word_embeddings": a.tied,
        "attention_bias": False,
        "mlp_bias": False,
    }
    if a.head_dim:
        config["head_dim"] = a.head_dim
    if a.spelling == "4":
        config.update(rope_theta=10000.0, rope_scaling=None,
                      torch_dtype=a.dtype, transformers_version="4.46.0")
    else:
        config.update(rope_parameters={"rope_theta": 10000.0,
                                       "rope_type": "default"},
                      dtype=a.dtype, transformers_version="5.0.0")
    if a.cla != 1:
        config["cla_sharing_factor"] = a.cla
    for item in a.set:
        key, value = item.split("=", 1)
        set_path(config, key, json.loads(value))
    for key in a.unset:
        set_path(config, key, None)

    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)

    dtype = DTYPES[a.dtype]
    shapes = dict(item.split("=", 1) for item in a.shape)
    dtypes = dict(item.split("=", 1) for item in a.tensor_dtype)
    tensors = []
    for name, shape in llama_tensors(a, head_dim):
        if name in a.drop:
            continue
        if name in shapes:
            shape = parse_shape(shapes[name])
        tensors.append((name, dtypes.get(name, dtype), shape))
    for item in a.add:
        name, shape = item.split("=", 1)
        tensors.append((name, dtype, parse_shape(shape)))

    rng = random.Random(0)
    if a.shards == 1:
        write_safetensors(os.path.join(a.out, "model.safetensors"), tensors,
                          rng, a)
        return
    # Contiguous slices, as save_pretrained's size-based splitting gives.
    per = -(-len(tensors) // a.shards)
    weight_map, total = {}, 0
    for s in range(a.shards):
        name = "model-%05d-of-%05d.safetensors" % (s + 1, a.shards)
        part = tensors[s * per:(s + 1) * per]
        total += write_safetensors(os.path.join(a.out, name), part, rng, a)
        a.truncate, a.header_len = 0, None  # damage the first file only
        for t in part:
            weight_map[t[0]] = name
    for item in a.index_extra:
        tensor, name = item.split("=", 1)
        weight_map[tensor] = name
    with open(os.path.join(a.out, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map},
                  f, indent=2)


if __name__ == "__main__":
    main()
