//===- Passes.td - attn dialect passes ---------------------*- tablegen -*-===//
//
// Passes over the attn dialect. Each pass lives in its own file under
// lib/Dialect/Attn/Transforms and has its own lit test.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_TRANSFORMS_PASSES_TD
#define ATTN_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def RaiseAttentionPass : Pass<"attn-raise-attention"> {
  let summary = "Raise attention written in upstream ops to attn.attention";
  let description = [{
    Replaces scaled dot-product attention spelled in upstream `linalg`,
    `tensor`, `arith` and `math` ops, as a frontend such as torch-mlir emits
    it for `softmax(Q @ K.transpose(2, 3) * scale + mask) @ V`, with one
    `attn.attention` in the `bhsd` layout. Q, K, V and the result are
    `[B, H, S, D]`. The chain is matched from P·V backwards:

    * **P·V and Q·Kᵀ**: a float matmul batched over `[B, H]`, starting from
      zero (a `linalg.fill` or a splat constant), with payload `acc + a * b`
      (operands possibly `arith.extf`'d), spelled either
      - as one rank-4 linalg op: `linalg.generic` (or `linalg.contract`)
        with maps `(b, h, m, n, k) -> [b, h, m, k], [b, h, n, k] or
        [b, h, k, n], [b, h, m, n]`, loops in any order; or
      - as `linalg.batch_matmul` (or any rank-3 linalg op of that form,
        also with a transposed `indexing_maps` B) on `tensor.collapse_shape
        [[0, 1], [2], [3]]` of rank-4 operands, whose result is
        `tensor.expand_shape [[0, 1], [2], [3]]`, the three reshapes
        splitting `B*H` into the same static `B` and `H`.

      A second operand `[B, H, D, Sk]` (Kᵀ, or Vᵀ for a transposed P·V) is
      read through the `linalg.transpose` `[0, 1, 3, 2]` that produced it,
      or transposed back with one.
    * **scale**: multiplications and divisions by constants (a scalar
      `arith.constant`, a splat tensor constant, or a `linalg.fill` of a
      constant); their product becomes `scale`. No scale means `scale =
      1.0`. The scale is always written out, even when it equals the
      default `1 / sqrt(D)`.
    * **mask**: an optional `arith.addf` of a float tensor after the
      scaling, read as `[B|1, H|1, Sq, Sk]` (a unit extent read at index 0
      is broadcast), `[H, Sq, Sk]` or `[Sq, Sk]`; lower ranks are reshaped
      to rank 4 with `tensor.expand_shape`. A causal mask stays a general
      mask: it is not turned into `causal`.
    * **softmax** over the last dimension: `linalg.softmax dimension(3)`,
      or decomposed: a max reduction (from `-inf` or the lowest finite
      value), `exp(x - max)` in one elementwise op or two, a sum reduction
      from zero, and the division; reductions are `linalg.reduce` or
      `linalg.generic`, with or without a kept unit dimension.
    * **casts**: `arith.extf` / `arith.truncf` before and after the softmax
      (`.float()` and `.type_as(xq)`) are absorbed.

    Scale, mask and casts may be separate elementwise ops (`linalg.generic`
    or named ones such as `linalg.div` and `linalg.add`) or fused into
    fewer generics; each reads the scores in place.

    Every matched intermediate must be used only by the chain, and Q, K, V
    and the result must share one element type; otherwise the chain is
    left alone, as is anything else: a softmax over another dimension, a
    non-constant scale, a mask the scale applies to, matmuls whose
    reshapes split `B*H` differently, a contraction whose payload is not a
    multiply-add. The pass emits no diagnostics.

    The raised op rounds differently: it computes scores and softmax in f32
    whatever the intermediate types were, and a row whose every score is
    `-inf` gives zeros instead of NaN. Run `attn-fuse-repeat-kv` after it to
    fold llama2's repeat_kv and transposes into the new op.
  }];
  let dependentDialects = ["::mlir::attn::AttnDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

def FuseRepeatKVPass : Pass<"attn-fuse-repeat-kv"> {
  let summary = "Fold repeat_kv into attention so the repeated K/V never exists";
  let description = [{
    Attention whose key and value come through `attn.repeat_kv` (by the same
    factor) becomes grouped attention over the un-repeated key and value: a
    query head `h` that read repeated head `h floordiv g` now reads KV head
    `h floordiv (g * n_rep)`, which is the same data.

    The pass sees through what the llama2 code wraps around the helper:

    * `linalg.transpose` with permutation `[0, 2, 1, 3]` between
      `repeat_kv` and the attention (llama2's `.transpose(1, 2)`). When the
      query, key and value of a `bhsd` attention are all such transposes, the
      transposes fold into the layout instead (`bshd`) and the result is
      transposed back, which cancels llama2's final `.transpose(1, 2)`.
    * the expansion written in upstream ops: `tensor.collapse_shape` of a
      `linalg.broadcast` that adds a dimension after the KV-head dimension
      (`x[:, :, :, None, :].expand(...).reshape(...)`) is recognised as
      `attn.repeat_kv` first.

    Attention whose key and value are repeated by different factors, or only
    one of them, is left alone.
  }];
  let dependentDialects = ["::mlir::attn::AttnDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

def CheckLoweredPass : Pass<"attn-check-lowered", "::mlir::ModuleOp"> {
  let summary = "Fail with a reason on any attn op a pipeline cannot lower";
  let description = [{
    The pipelines run this before bufferization. Whatever `attn` op is left
    by then has no lowering in that pipeline, and bufferization would only
    say `op was not bufferized`; this pass says which op and why instead:

    * `attn.repeat_kv` whose result is used by something other than the
      key or value of an attention that `attn-fuse-repeat-kv` can fold it
      into: the repeat has no lowering of its own (the project never
      materialises the repeated K/V).
    * `attn.cache.*` ops: both pipelines lower them with
      `attn-lower-kv-cache` first, so one left here was not lowered.
    * any other `attn` op: named, with the pipeline's stage.
  }];
}

def CopiesToLinalgPass : Pass<"attn-copies-to-linalg"> {
  let summary = "Rewrite memref.copy as linalg.copy, for host loops";
  let description = [{
    The CPU pipeline runs this after bufferization, before
    `convert-linalg-to-loops`. A `memref.copy` between buffers that are not
    both contiguous (an append into a cache of batch 2 or more writes a
    strided slice) lowers to a call of `memrefCopy` from the MLIR C runner
    utilities; as a `linalg.copy` it becomes loops, and the compiled code
    needs no library beyond libc. Copies between contiguous buffers, which
    lower to one `memcpy`, are left alone.

    ```mlir
    memref.copy %a, %b : memref<2x16x8x64xf16> to memref<2x16x8x64xf16, strided<[...]>>
    // becomes
    linalg.copy ins(%a : memref<2x16x8x64xf16>)
                outs(%b : memref<2x16x8x64xf16, strided<[...]>>)
    ```
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def TileAttentionPass : Pass<"attn-tile-attention"> {
  let summary = "Rewrite attention as the FlashAttention-2 blockwise algorithm";
  let description = [{
    Replaces every `attn.attention` with FlashAttention-2 on memrefs: for each
    batch, KV head and tile of `q-tile` query positions (an `scf.parallel`),
    the pass walks the KV sequence `kv-tile` keys at a time, keeping for every
    query row a running max and sum and rescaling its accumulator, so the
    `Sq x Sk` score matrix never exists.

    * GQA packing: the rows of a tile are the q-tile rows of every query head
      of the KV head's group, so each K/V tile is loaded once for the group.
    * Causal and sliding-window attention skip the KV tiles that lie
      entirely outside every row's range; inside a tile, each row visits only
      its own range, so only tiles crossing a boundary do any masking.
    * Lengths that are not multiples of the tile sizes are handled by
      bounds, never by padding.

    Inputs enter through `bufferization.to_buffer` and the result leaves
    through `bufferization.to_tensor`, so the surrounding tensor IR is
    bufferized as usual afterwards. This form is the semantic reference: the
    CPU pipeline lowers it to LLVM as it is.
  }];
  let options = [
    Option<"qTile", "q-tile", "int64_t",
           /*default=*/"::mlir::attn::kDefaultQTile",
           "Query positions per tile">,
    Option<"kvTile", "kv-tile", "int64_t",
           /*default=*/"::mlir::attn::kDefaultCPUKVTile",
           "Keys per KV tile">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::bufferization::BufferizationDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect"];
}

def LowerKVCachePass : Pass<"attn-lower-kv-cache", "::mlir::ModuleOp"> {
  let summary = "Lower KV cache ops to tensors, with run-time bounds checks";
  let description = [{
    Replaces each `!attn.kv_cache<BxHxCxDxT>` value by two tensors, keys and
    values, stored `[B, C, H, D]` (the token-major layout llama2's `xk` and
    `xv` have), so that:

    * `attn.cache.create` becomes two zero-filled tensors;
    * `attn.cache.append` becomes `tensor.insert_slice` of the new keys and
      values at `[0, position, 0, 0]`;
    * `attn.cache.attend` becomes `attn.attention` of the query over the
      `[0, length)` prefix of both (`tensor.extract_slice`), with the same
      `scale`, `causal` and `window`, and its per-sequence `lengths` as the
      attention's `kv_lengths`.

    Positions and lengths the verifiers could not check are checked at run
    time: an append with `position < 0` or `position + T > capacity`, an
    attend with `length` outside `[0, capacity]`, or one whose `lengths`
    hold a value outside `[0, length]`, writes and reads nothing out of
    bounds; instead it calls `attnKVCacheError(op, a, b, c)` (declared by
    the pass): `op` 0 for append (position, T, capacity), 1 for attend
    (length, 0, capacity), 2 for a sequence's length (sequence, its length,
    length), which the runtime turns into an error naming the numbers. The
    append then leaves the cache unchanged and the attend reads no key.

    A quantized cache (`!attn.kv_cache<BxHxCxDxi8, scales = f32>`, or
    `f8E4M3FN` codes) becomes four tensors: the codes of keys and values
    `[B, C, H, D]` and their scales `[B, C, H]`, all zero when created.
    An append quantizes its keys and values per token and KV head
    (KVQuant), with `linalg.generic` ops computing in f32:

    * `scale = max_d |x[b, t, h, d]| / QMAX`, rounded to the scale type
      (QMAX is 127 for i8, 448 for f8E4M3FN); a row of zeros gets scale 1;
    * `code = clamp(x / scale, -QMAX, QMAX)`, rounded to the nearest even
      integer for i8 (symmetric: -128 is never written) or `arith.truncf`
      to f8E4M3FN,

    and inserts codes and scales under the same bounds guard. An attend
    passes the `[0, length)` prefix of codes and scales to `attn.attention
    ... scales(...)`, which dequantizes where it reads them: no float copy
    of the cache is made.

    A cache may be carried by structured control flow: through `scf.for`
    iter_args and results (a decode loop), `scf.if` results and `scf.while`;
    it becomes two (or four) carried tensors there (a 1:N type conversion).
    A cache may also cross a function boundary, so that it lives across
    calls: an argument or result of cache type becomes its tensors, in
    function signatures, declarations, `func.call` and `func.return`, and
    bufferization then keeps the cache in the caller's buffers (each call
    appends in place). The cross-layer checks of the cache ops do not follow
    a cache through a call. A cache used by any other op (unstructured
    control flow, say) is rejected with an error.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect"];
}

def ExpandF8E4M3FNPass : Pass<"attn-expand-f8e4m3fn"> {
  let summary = "Expand f8E4M3FN conversions into integer arithmetic";
  let description = [{
    LLVM has no fp8 type, and `convert-arith-to-llvm` leaves `arith.extf`
    and `arith.truncf` of `f8E4M3FN` unconverted. The CPU pipeline runs this
    pass before it, so that fp8 KV caches run: the conversions become
    `arith.bitcast` to `i8` and integer and f32 arithmetic, and `f8E4M3FN`
    constants become `i8` constants bitcast back.

    * `arith.extf` from f8E4M3FN (to f16, bf16, f32 or f64) is exact:
      `(8 + m) * 2^(e - 10)`, or `m * 2^-9` for a subnormal, and NaN for
      the codes `0x7f` and `0xff`.
    * `arith.truncf` to f8E4M3FN (from f16, bf16 or f32) rounds to nearest
      even as APFloat does: magnitudes that round past 448 and NaN become
      NaN (the type has no infinity). An f64 source is left alone (it would
      round twice through f32).
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect"];
}

def PlanKVCachePass : Pass<"attn-plan-kv-cache", "::mlir::ModuleOp"> {
  let summary = "Assign CLA-shared KV cache buffers, check the sharing, report bytes";
  let description = [{
    Plans the KV caches of every function that uses them, taking the
    function as one model: a stack of layers `0 .. L-1`, each attending
    over a cache that its cross-layer attention (CLA) group shares. The
    groups are the `attn.cache.create` ops (`first_layer`, `sharing`); the
    first layer of a group writes the cache with `attn.cache.append` and
    every layer of the group reads it with `attn.cache.attend`. With one
    sharing factor `s`, the groups tile the layers, so the model keeps
    `ceil(L / s)` caches.

    **Buffers.** Each cache becomes one buffer, numbered in layer order and
    recorded on its create op as `attn.buffer = N`. Consumers read the
    producer's cache value itself, so they attend to the producer's buffer
    without a copy; the pass checks that an in-place update is possible,
    which is what makes that true after bufferization.

    **Checks**, each an error that names the op, the layers and the numbers
    (beyond what the op verifiers check one op at a time):

    * every `attn.cache.append` and `attn.cache.attend` names its `layer`;
    * caches are made by `attn.cache.create` or `attn.cache.append` and used
      only by appends and attends, all in the block of their create;
    * one writer per cache: no two appends write the same state of a cache
      (the second would need a copy);
    * consumers after producers: no attend reads a state of a cache that a
      later append already overwrote (the read would need a copy);
    * groups do not overlap, each is written and read, no layer reads two
      caches, and every layer from 0 to the last one reads a cache;
    * shapes agree: all caches of a model have one batch, and the sequence
      length fits every cache's capacity.

    **Report.** For a cache of `kv_heads` heads of `head_dim` elements of
    `bytes_per_element` bytes, one token takes `2 x kv_heads x head_dim x
    bytes_per_element` bytes (keys and values); the model's KV bytes per
    token are the sum over its caches, which for uniform layers is `2 x
    kv_heads x head_dim x bytes_per_element x (layers that keep their own
    KV)`. The pass reports, per sequence of the batch:

    * KV bytes per token;
    * cache bytes per sequence at `seq-len` tokens (the caches' common
      capacity when `seq-len` is 0);
    * the largest batch whose caches fit the memory budget
      (`budget-bytes`, or `budget-gib` GiB of 2^30 bytes; 80 GiB when
      neither is given): `floor(budget / bytes per sequence)`.

    `report=remarks` (the default) gives one remark per buffer on its create
    op and one per model on its function; `report=json` prints one JSON
    object instead, with the models in module order and the buffers in
    layer order, to stdout or to `report-file`; `report=none` only assigns
    and checks. All arithmetic is on 64-bit integers, and an overflow is an
    error, never a wrapped number. On the MQA-CLA2 example (the model's
    remark, wrapped here):

    ```
    $ attn-opt examples/cla1b_mqa_cla2.mlir --attn-plan-kv-cache -o /dev/null
    ...: remark: 20 layers keep 10 KV caches (sharing 2: ceil(20 / 2) = 10):
      5120 KV bytes per token, 10485760 bytes per sequence at 2048 tokens;
      a budget of 85899345920 bytes (80 GiB) fits a batch of 8192
    ```

    The element types are those of the cache type: bf16 and f16 (2 bytes),
    f32 (4) and f64 (8), and 1 for the quantized caches (i8, f8E4M3FN),
    whose per-token, per-head scales are reported as a figure of their own
    (2 x kv_heads x bytes per scale per token), beside the element bytes of
    the formula above, and counted in the bytes per sequence.
  }];
  let options = [
    Option<"report", "report", "std::string", /*default=*/"\"remarks\"",
           "How to report the plan: remarks, json or none">,
    Option<"seqLen", "seq-len", "int64_t", /*default=*/"0",
           "Tokens per sequence for the per-sequence and batch figures "
           "(0: the caches' capacity)">,
    Option<"budgetBytes", "budget-bytes", "int64_t", /*default=*/"0",
           "Memory budget for the caches, in bytes (0: use budget-gib)">,
    Option<"budgetGiB", "budget-gib", "int64_t", /*default=*/"0",
           "Memory budget for the caches, in GiB of 2^30 bytes (0: 80 GiB)">,
    Option<"reportFile", "report-file", "std::string", /*default=*/"\"-\"",
           "Where report=json writes its object: a file, or - for stdout">,
  ];
}

def FuseElementwisePass : Pass<"attn-fuse-elementwise"> {
  let summary = "Fuse chains of elementwise linalg ops, leaving named ops named";
  let description = [{
    The pipelines run this before bufferization. A model graph's chains of
    elementwise ops (RMSNorm's square, scale and weight, RoPE's rotation,
    SwiGLU, the residual adds) become one `linalg.generic` each: one loop
    nest on the CPU, one kernel on the GPU, instead of one per op. Reshapes
    between them are folded by expanding the ops' iteration spaces, as
    upstream `linalg-fuse-elementwise-ops` does. A producer fuses when all
    its uses are in the one consumer: RoPE reads each element of the
    projection's truncated output and its partner, and recomputes the
    truncation for each rather than wait for a kernel of its own.

    Unlike that pass, it never touches a named op (`linalg.matmul`,
    `linalg.fill`): a projection whose result is reshaped into heads would
    otherwise become a 5-D `linalg.generic`, which `attn-matmul-to-gpu` no
    longer recognises, so the projection would run one thread per output
    element instead of as a coalesced warp kernel or a cuBLAS call.

    ```mlir
    %p = linalg.matmul ins(%x, %w : tensor<1x64xbf16>, tensor<64x64xbf16>)
                       outs(%z : tensor<1x64xf32>) -> tensor<1x64xf32>
    %h = tensor.expand_shape %p [[0], [1, 2]] output_shape [1, 4, 16]
        : tensor<1x64xf32> into tensor<1x4x16xf32>
    // %p stays a linalg.matmul; an elementwise op on %h fuses with the
    // elementwise ops around it.
    ```
  }];
  let dependentDialects = ["::mlir::affine::AffineDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

#endif // ATTN_TRANSFORMS_PASSES_TD
