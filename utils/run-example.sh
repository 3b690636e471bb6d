#!/usr/bin/env bash
#===- utils/run-example.sh - compile and run an example model ------------===#
#
# The main job: installs what is missing and builds (utils/build.sh), then
#   1. compiles the example to a GPU binary for sm_90a through
#      attn-to-nvvm-pipeline and shows the kernel it produced (PTX entry,
#      shared memory, and ptxas's register/spill report where ptxas exists);
#   2. runs the example with attn-runner and checks the result against a
#      float64 reference: on the GPU where a CUDA driver and device are
#      found, on the CPU otherwise;
#   3. compiles a whole model: writes a small Llama checkpoint (GQA with
#      cross-layer KV sharing, bf16, random weights, in the layout that
#      transformers' save_pretrained writes), builds its prefill graph with
#      attn-compile, runs it on the CPU with the checkpoint's weights, and
#      checks the logits and the greedy next token against a float64
#      implementation of the Llama math;
#   4. generates: the same model in f32 compiled with --generate, whose
#      @generate runs the prompt and then one token at a time through KV
#      caches carried from call to call, run on the CPU and checked token by
#      token against float64 greedy decoding recomputed without a cache;
#   5. compiles the same model ahead of time (attn-compile --emit=object),
#      links it with the runtime library and examples/generate/generate.c
#      (no MLIR or LLVM), runs the program, which reports prefill and
#      decode tokens per second, and checks its tokens the same way.
# Usage: utils/run-example.sh [examples/<model>.mlir]   (default: llama2 GQA)
#
#===----------------------------------------------------------------------===#
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
example=${1:-$root/examples/llama2_gqa.mlir}
"$root/utils/build.sh" >/dev/null

name=$(basename "$example" .mlir)
out="$build/examples"
mkdir -p "$out"
echo "== Compiling $example for sm_90a"
"$build/bin/attn-opt" "$example" --attn-to-nvvm-pipeline="format=isa" \
  > "$out/$name.nvvm.mlir"
python3 "$root/utils/extract-ptx.py" < "$out/$name.nvvm.mlir" > "$out/$name.ptx"
echo "   host module with gpu.binary: $out/$name.nvvm.mlir"
echo "   PTX: $out/$name.ptx ($(wc -l < "$out/$name.ptx") lines)"
grep -E '^\.(target|version)|^\.visible \.entry|^\.shared' "$out/$name.ptx" |
  sed 's/^/     /'
ptxas=$(command -v ptxas || echo /usr/local/cuda/bin/ptxas)
if [ -x "$ptxas" ]; then
  "$ptxas" -arch=sm_90a -v "$out/$name.ptx" -o "$out/$name.cubin" 2>&1 |
    grep -E 'registers|spill' | sed 's/^/     ptxas: /'
fi

echo "== Running $example with a float64 check"
"$build/bin/attn-runner" "$example" --seed=1 --check

echo "== Compiling a Llama model (GQA 4:2, CLA 2, bf16) with attn-compile"
model="$out/tiny-llama"
rm -rf "$model"
python3 "$root/test/Frontend/Inputs/make_llama.py" "$model" --init unit \
  --vocab 64 --layers 4 --cla 2 --dtype bfloat16
"$build/bin/attn-compile" "$model" --emit=summary | sed 's/^/     /'
"$build/bin/attn-compile" "$model" --emit=mlir --seq-len 8 -o "$out/tiny-llama.mlir"
echo "   prefill graph: $out/tiny-llama.mlir"
# A prompt whose greedy next token the float64 logits decide (their top two
# lie far more than the error bound apart), so that the check means something.
tokens=1,2,3,4,5,6,7,8
"$build/bin/attn-runner" "$out/tiny-llama.mlir" --target=cpu \
  --weights="$model" --tokens=$tokens --output="$out/tiny-llama.logits.npy"
python3 "$root/test/Frontend/Inputs/llama_reference.py" "$model" \
  "$out/tiny-llama.logits.npy" --tokens=$tokens

echo "== Generating 8 tokens through KV caches (the same model in f32)"
model32="$out/tiny-llama-f32"
rm -rf "$model32"
python3 "$root/test/Frontend/Inputs/make_llama.py" "$model32" --init unit \
  --vocab 64 --layers 4 --cla 2
"$build/bin/attn-compile" "$model32" --emit=mlir --seq-len 8 --generate 8 \
  -o "$out/tiny-llama-f32.mlir"
echo "   graph with @generate: $out/tiny-llama-f32.mlir"
"$build/bin/attn-runner" "$out/tiny-llama-f32.mlir" --entry=generate \
  --target=cpu --weights="$model32" --tokens=$tokens \
  --output="$out/tiny-llama-f32.tokens.npy" | tee "$out/generate.log"
awk '/^time:/ { printf "   %d prompt + 8 generated tokens in %.1f ms on the CPU (one call, naive loops)\n", 8, $2 }' \
  "$out/generate.log"
python3 "$root/test/Frontend/Inputs/llama_generate_reference.py" "$model32" \
  "$out/tiny-llama-f32.tokens.npy" --tokens=$tokens

echo "== Compiling the model ahead of time and generating through the C API"
clang=/usr/lib/llvm-22/bin/clang
"$build/bin/attn-compile" "$model32" --emit=object --seq-len 8 --generate 8 \
  -o "$out/tiny-llama-f32.o"
"$clang" -std=c99 -O2 -I"$root/include" "$root/examples/generate/generate.c" \
  "$out/tiny-llama-f32.o" "$build/lib/libattn_runtime.a" -lstdc++ -lm -ldl \
  -o "$out/generate"
echo "   model object: $out/tiny-llama-f32.o; program: $out/generate"
"$out/generate" "$model32" $tokens --output "$out/tiny-llama-f32.object.npy" |
  sed 's/^/     /'
python3 "$root/test/Frontend/Inputs/llama_generate_reference.py" "$model32" \
  "$out/tiny-llama-f32.object.npy" --tokens=$tokens
