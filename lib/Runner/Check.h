//===- Check.h - attn-runner: the attention --check verifies ----*- C++ -*-===//
//
// Recovers, for each result of the entry, the attention that computes it in
// terms of entry arguments, so that Reference.cpp can judge the result
// (--check) and Benchmark.cpp can count its work (--benchmark). For an
// attn.cache.attend, the reference replays the appends that wrote the cache,
// oldest first, into a zeroed cache, a loop's body once per iteration with
// its induction variable bound, and reads the first `length` positions as
// key and value.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_LIB_RUNNER_CHECK_H
#define ATTN_LIB_RUNNER_CHECK_H

#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "attn/Runner/Reference.h"
#include "attn/Runner/Runner.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include <optional>
#include <string>
#include <vector>

namespace mlir::attn::runner {

/// An attention the entry returns, in terms of entry arguments.
struct CheckedAttention {
  AttentionProblem problem;
  /// The entry result it computes, and the arguments of its operands, as
  /// numbered once the entry's KV caches are lowered to tensors.
  unsigned result = 0;
  unsigned query, key, value;
  std::optional<unsigned> mask;
  /// The argument that holds per-sequence key lengths, if any.
  std::optional<unsigned> kvLengths;
  /// The op, so that an attention returned twice is counted once by
  /// --benchmark.
  Operation *op;
  /// For an attn.cache.attend: the appends that wrote the cache, oldest
  /// first, each with the argument numbers of its keys and values and its
  /// position; the reference replays them into a zeroed cache and reads
  /// the first `length` positions as key and value.
  struct Append {
    unsigned keys, values;
    Value position;
    /// The scf.for whose body holds the append, if any. A loop's appends
    /// are consecutive, in the order of its body, which the reference
    /// replays once per iteration.
    scf::ForOp loop;
  };
  std::optional<SmallVector<Append>> appends;
  /// One append as the reference replays it: its keys, values and position
  /// in one call and iteration.
  struct Write {
    unsigned keys, values;
    int64_t at;
  };
  /// The writes of every call the reference replays, in order, unrolled
  /// from `appends` before the run, which lowers the module (and with it
  /// the positions and loop bounds) away.
  SmallVector<Write> writes;
  /// Whether the cache is one the entry takes, which --steps feeds from
  /// call to call (the reference then replays every call's appends), rather
  /// than one it creates afresh in each call.
  bool cacheTaken = false;
  Value length;
  /// The length in the last call.
  std::optional<int64_t> lengthValue;
  KVCacheType cacheType;
  /// For a quantized cache: its codes' and scales' element types, with
  /// which the replay quantizes what it appends.
  std::optional<std::pair<ElementType, ElementType>> quantized;
};

/// A loop's induction variable, bound to the value it has in the iteration
/// whose body is being replayed.
struct InductionBinding {
  Value var;
  int64_t value = 0;
};

/// The value of an index computed from integer constants and integer
/// arguments of `entry` (and the bound induction variable `iv`, if any)
/// with addi, subi, muli and index_cast, given the arguments' values
/// (argument i of `entry` is `inputs[argMap[i]]`, or `inputs[i]` without a
/// map) in call `step` of a --steps run, which adds `step` to each; nullopt
/// for anything else.
std::optional<int64_t> evaluateIndex(func::FuncOp entry, Value v,
                                     llvm::ArrayRef<EntryArgument> inputs,
                                     llvm::ArrayRef<unsigned> argMap,
                                     int64_t step, InductionBinding iv = {});

/// Finds, for each result of the entry, the attn.attention of the entry's
/// arguments that computes it, after raising, and after repeat_kv and its
/// transposes were fused, which is the only form the reference can
/// recompute from the inputs alone. The first result that is not one is
/// the error, named with its number where there are several. KV caches the
/// entry returns are not checked; `argMap` and `resultMap` number the
/// entry's arguments and results as they are once its caches are lowered
/// to tensors (none: as they are).
llvm::Expected<SmallVector<CheckedAttention, 1>>
findCheckedAttentions(func::FuncOp entry, llvm::ArrayRef<unsigned> argMap,
                      llvm::ArrayRef<unsigned> resultMap);

/// Adds to `c.writes` those of its appends in call `call` of a --steps run,
/// in order: a loop's body once per iteration, its induction variable bound
/// to that iteration's value, as scf.for runs it; or says why they cannot
/// be known.
llvm::Error unrollAppends(func::FuncOp entry, CheckedAttention &c,
                          llvm::ArrayRef<EntryArgument> inputs,
                          llvm::ArrayRef<unsigned> argMap, int64_t call);

/// Compares `result` with the references of `c` and prints the check line,
/// prefixed with `label` (e.g. "result 1: ") where the entry has several
/// results. Returns why the check failed, if it did.
std::optional<std::string> runCheck(const CheckedAttention &c,
                                    const std::vector<EntryArgument> &inputs,
                                    const HostTensor &result,
                                    llvm::StringRef label,
                                    llvm::raw_ostream &os);

} // namespace mlir::attn::runner

#endif // ATTN_LIB_RUNNER_CHECK_H
