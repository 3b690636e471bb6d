//===- Model.cpp - the C API of a compiled model --------------------------===//
//
// Implements attn-c/Model.h over the object attn-compile writes: it reads
// the object's description (ModelInfo.h), loads the weights it names from
// the checkpoint, keeps the KV caches, and calls the steps through their
// packed wrappers, building the memref descriptors compiled code takes.
//
// Buffers the compiled code allocates and returns (the logits; a cache it
// did not update in place) are copied out and freed after each call, with
// every other buffer it left allocated, so a long generation does not grow.
//
// With $ATTN_GPU_STATS set, a GPU model reports to stderr, when it is freed,
// what its prefill and decode calls asked of the runtime on average (kernel
// launches, those of them launched as programmatic dependents, allocations,
// host synchronizations, ...) and, with the value `time`, how long their
// kernels ran (CUDA events around each launch, which slow the calls a
// little): the host's share of a step against the GPU's.
//
//===----------------------------------------------------------------------===//

#include "attn-c/Model.h"

#include "GpuRuntime.h"
#include "HostRuntime.h"
#include "ModelInfo.h"
#include "SafeTensorsReader.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>

// Defined by the object attn-compile writes.
extern "C" {
extern const char attn_model_info[];
void attn_model_prefill_step(void **args);
void attn_model_decode_step(void **args);
}

using namespace mlir::attn;
using rt::ValueSpec;

static std::string &lastError() {
  static std::string error;
  return error;
}

namespace {
/// A buffer of the model's: host memory for a CPU object, device memory for
/// a GPU one.
struct Buffer {
  void *data = nullptr;
  size_t bytes = 0;
};
} // namespace

struct AttnModel {
  rt::ModelInfo info;
  bool gpu = false;
  std::map<std::string, Buffer> weights;
  /// One per `arg cache` of the steps (each cache's keys, then its values).
  std::vector<Buffer> caches;
  /// Token ids as the steps read them (on the device for a GPU object).
  Buffer prefillTokens, decodeTokens;
  /// The next cache position; -1 until a prefill has run.
  int64_t position = -1;
  /// $ATTN_GPU_STATS: what each kind of call asked of the runtime.
  struct CallStats {
    int64_t calls = 0;
    cuda::rt::CallCounts counts;
    double kernelMs = 0;
  };
  bool stats = false, timed = false;
  CallStats prefillStats, decodeStats;
  void reportStats() const;

  ~AttnModel() {
    auto release = [&](Buffer &b) {
      if (!b.data)
        return;
      if (gpu)
        cuda::rt::free(b.data);
      else
        std::free(b.data);
      b.data = nullptr;
    };
    for (auto &[name, buffer] : weights)
      release(buffer);
    for (Buffer &cache : caches)
      release(cache);
    release(prefillTokens);
    release(decodeTokens);
    if (gpu)
      cuda::rt::releaseTensorMaps();
    if (stats)
      reportStats();
  }

  std::string allocate(size_t bytes, Buffer &buffer) {
    buffer.bytes = bytes;
    if (gpu) {
      if (std::string err = cuda::rt::allocate(bytes, &buffer.data);
          !err.empty())
        return err;
      return cuda::rt::zero(buffer.data, bytes);
    }
    buffer.data = std::calloc(bytes ? bytes : 1, 1);
    if (!buffer.data)
      return "out of host memory allocating " + std::to_string(bytes) +
             " bytes";
    return "";
  }
  std::string toModel(Buffer &dst, const void *src, size_t bytes) {
    if (gpu)
      return cuda::rt::copyToDevice(dst.data, src, bytes);
    std::memcpy(dst.data, src, bytes);
    return "";
  }
  std::string fromModel(void *dst, const void *src, size_t bytes) {
    if (gpu)
      return cuda::rt::copyToHost(dst, src, bytes);
    std::memcpy(dst, src, bytes);
    return "";
  }

  std::string load(const std::string &dir);
  std::string call(const rt::EntryInfo &entry, void (*step)(void **),
                   int64_t at, int64_t tokens, const int64_t *ids,
                   float *logits, bool lastOnly);
};

void AttnModel::reportStats() const {
  for (auto [name, s] : {std::pair("prefill", &prefillStats),
                         std::pair("decode", &decodeStats)}) {
    if (!s->calls)
      continue;
    double n = double(s->calls);
    const cuda::rt::CallCounts &c = s->counts;
    std::fprintf(stderr,
                 "attn runtime, %s: %lld calls; a call: %.1f kernel launches "
                 "(%.1f programmatic dependents), %.1f library calls, %.1f "
                 "allocations, %.1f frees, %.1f host "
                 "synchronizations, %.1f copies, %.1f fills",
                 name, static_cast<long long>(s->calls), c.launches / n,
                 c.dependentLaunches / n, c.libraryCalls / n, c.allocations / n,
                 c.frees / n, c.synchronizations / n, c.copies / n,
                 c.fills / n);
    if (timed)
      std::fprintf(stderr, "; kernels %.4f ms", s->kernelMs / n);
    std::fputc('\n', stderr);
  }
}

static int fail(const std::string &why) {
  lastError() = why;
  return 1;
}

/// The safetensors dtype that stores elements of `type`.
static const char *storedDType(const std::string &type) {
  if (type == "f32")
    return "F32";
  if (type == "bf16")
    return "BF16";
  if (type == "f16")
    return "F16";
  return "I64";
}

static std::string shapeString(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

std::string AttnModel::load(const std::string &dir) {
  if (std::string err = rt::parseModelInfo(attn_model_info, info); !err.empty())
    return err;
  gpu = info.target == "cuda";
  if (gpu) {
    if (std::string err = cuda::rt::initialize(0); !err.empty())
      return "this model was compiled for the GPU: " + err;
    // A failure of the kernels' module load, which ran before main.
    if (std::string err = cuda::rt::takeError(); !err.empty())
      return "loading the model's GPU kernels failed: " + err;
    if (const char *want = std::getenv("ATTN_GPU_STATS"); want && *want) {
      stats = true;
      timed = std::strcmp(want, "time") == 0;
      cuda::rt::setKernelTiming(timed);
    }
  }
  rt::SafeTensorsReader reader;
  if (std::string err = reader.open(dir); !err.empty())
    return err;
  std::vector<char> staging;
  for (const rt::EntryInfo *entry : {&info.prefill, &info.decode}) {
    size_t cacheIndex = 0;
    for (const ValueSpec &arg : entry->args) {
      size_t bytes = arg.numElements() * arg.elementBytes();
      if (arg.role == ValueSpec::Role::Cache) {
        // Both steps take the same caches, in the same order.
        if (cacheIndex == caches.size()) {
          caches.emplace_back();
          if (std::string err = allocate(bytes, caches.back()); !err.empty())
            return err;
        } else if (caches[cacheIndex].bytes != bytes) {
          return "the model object's steps disagree on cache " +
                 std::to_string(cacheIndex);
        }
        ++cacheIndex;
        continue;
      }
      if (arg.role == ValueSpec::Role::Tokens) {
        Buffer &ids = entry == &info.prefill ? prefillTokens : decodeTokens;
        if (std::string err = allocate(bytes, ids); !err.empty())
          return err;
        continue;
      }
      if (arg.role != ValueSpec::Role::Weight || weights.count(arg.name))
        continue;
      const rt::StoredTensor *stored = reader.find(arg.name);
      if (!stored)
        return "the checkpoint in " + dir + " has no tensor '" + arg.name +
               "', which the compiled model takes";
      if (stored->dtype != storedDType(arg.type) || stored->shape != arg.shape)
        return "tensor '" + arg.name + "' is " + stored->dtype + " " +
               shapeString(stored->shape) + " in " + stored->file +
               ", but the model was compiled for " + storedDType(arg.type) +
               " " + shapeString(arg.shape);
      Buffer &weight = weights[arg.name];
      if (std::string err = allocate(bytes, weight); !err.empty())
        return err;
      void *dst = weight.data;
      if (gpu) {
        staging.resize(bytes);
        dst = staging.data();
      }
      if (std::string err = reader.read(*stored, dst); !err.empty())
        return err;
      if (gpu)
        if (std::string err = toModel(weight, staging.data(), bytes);
            !err.empty())
          return err;
    }
    if (cacheIndex != caches.size())
      return "the model object's steps disagree on the number of caches";
  }
  return "";
}

/// A memref descriptor with identity layout: allocated and aligned pointer,
/// offset, sizes, strides.
static std::vector<int64_t> descriptor(void *data,
                                       const std::vector<int64_t> &shape) {
  size_t rank = shape.size();
  std::vector<int64_t> desc(3 + 2 * rank);
  desc[0] = desc[1] = reinterpret_cast<intptr_t>(data);
  int64_t stride = 1;
  for (size_t i = rank; i-- > 0;) {
    desc[3 + i] = shape[i];
    desc[3 + rank + i] = stride;
    stride *= shape[i];
  }
  return desc;
}

std::string AttnModel::call(const rt::EntryInfo &entry, void (*step)(void **),
                            int64_t at, int64_t tokens, const int64_t *ids,
                            float *logits, bool lastOnly) {
  // The calling thread may be new to the runtime's context.
  if (gpu)
    if (std::string err = cuda::rt::bindThread(); !err.empty())
      return err;
  int64_t count = info.batch * tokens;
  for (int64_t i = 0; i < count; ++i)
    if (ids[i] < 0 || ids[i] >= info.vocab)
      return "token " + std::to_string(ids[i]) + " of sequence " +
             std::to_string(i / tokens) + " lies outside the vocabulary [0, " +
             std::to_string(info.vocab) + ")";
  Buffer &idBuffer =
      tokens == 1 && &entry == &info.decode ? decodeTokens : prefillTokens;
  if (std::string err = toModel(idBuffer, ids, count * sizeof(int64_t));
      !err.empty())
    return err;

  // The packed call takes the address of each argument: first the pointer
  // to the results, then a pointer to each descriptor, or the position.
  std::vector<std::vector<int64_t>> descs;
  descs.reserve(entry.args.size());
  std::vector<void *> descPointers;
  descPointers.reserve(entry.args.size() + 1);
  size_t resultWords = 0;
  for (const ValueSpec &result : entry.results)
    resultWords += 3 + 2 * result.shape.size();
  std::vector<int64_t> results(resultWords);
  descPointers.push_back(results.data());
  std::vector<void *> args{&descPointers.back()};
  int64_t position = at;
  size_t cacheIndex = 0;
  for (const ValueSpec &arg : entry.args) {
    void *data = nullptr;
    switch (arg.role) {
    case ValueSpec::Role::Position:
      args.push_back(&position);
      continue;
    case ValueSpec::Role::Tokens:
      data = idBuffer.data;
      break;
    case ValueSpec::Role::Cache:
      data = caches[cacheIndex++].data;
      break;
    case ValueSpec::Role::Weight:
      data = weights[arg.name].data;
      break;
    case ValueSpec::Role::Logits:
      return "the model object's description has logits as an argument";
    }
    descs.push_back(descriptor(data, arg.shape));
    descPointers.push_back(descs.back().data());
    args.push_back(&descPointers.back());
  }

  std::vector<const void *> before;
  if (gpu)
    before = cuda::rt::liveAllocations();
  cuda::rt::CallCounts startCounts = cuda::rt::callCounts();
  step(args.data());
  std::string err = rt::takeKVCacheError();
  if (gpu)
    if (std::string gpuErr = cuda::rt::takeError(); err.empty())
      err = gpuErr;

  // Copy the logits out and any cache not updated in place back, then free
  // what the call left allocated.
  size_t word = 0;
  cacheIndex = 0;
  for (const ValueSpec &result : entry.results) {
    size_t rank = result.shape.size();
    const int64_t *desc = results.data() + word;
    word += 3 + 2 * rank;
    if (!err.empty())
      continue;
    std::vector<int64_t> expected = descriptor(nullptr, result.shape);
    bool layoutOk = desc[2] == 0 &&
                    std::equal(expected.begin() + 3, expected.end(), desc + 3);
    if (!layoutOk) {
      err = "the compiled " + entry.name +
            " returned a result with an unexpected layout";
      continue;
    }
    auto *data = reinterpret_cast<const char *>(desc[1]);
    size_t bytes = result.numElements() * result.elementBytes();
    if (result.role == ValueSpec::Role::Logits) {
      if (!lastOnly) {
        err = fromModel(logits, data, bytes);
        continue;
      }
      // The last position of each sequence.
      size_t row = info.vocab * sizeof(float);
      for (int64_t b = 0; b < info.batch && err.empty(); ++b)
        err = fromModel(reinterpret_cast<char *>(logits) + b * row,
                        data + ((b + 1) * tokens - 1) * row, row);
      continue;
    }
    Buffer &cache = caches[cacheIndex++];
    if (data == cache.data)
      continue;
    if (gpu) {
      mgpuMemcpy(cache.data, const_cast<char *>(data), bytes, nullptr);
      mgpuStreamSynchronize(nullptr);
      err = cuda::rt::takeError();
    } else {
      std::memcpy(cache.data, data, bytes);
    }
  }
  if (gpu) {
    if (std::string freed = cuda::rt::freeAllocationsSince(before, {});
        err.empty())
      err = freed;
  } else {
    rt::freeHostBlocksExcept({});
  }
  if (stats) {
    CallStats &s = &entry == &info.prefill ? prefillStats : decodeStats;
    ++s.calls;
    s.counts += cuda::rt::callCounts() - startCounts;
    double ms = 0;
    if (timed)
      if (std::string timingErr = cuda::rt::collectKernelMilliseconds(ms);
          err.empty())
        err = timingErr;
    s.kernelMs += ms;
  }
  return err;
}

//===----------------------------------------------------------------------===//
// The C API
//===----------------------------------------------------------------------===//

AttnModel *attnModelLoad(const char *modelDir) {
  lastError().clear();
  if (!modelDir) {
    fail("attnModelLoad: the model directory is NULL");
    return nullptr;
  }
  auto model = std::make_unique<AttnModel>();
  if (std::string err = model->load(modelDir); !err.empty()) {
    fail(err);
    return nullptr;
  }
  return model.release();
}

void attnModelFree(AttnModel *model) {
  // Its device buffers are freed in the runtime's context, from whatever
  // thread frees the model.
  if (model && model->gpu)
    cuda::rt::bindThread();
  delete model;
}

const char *attnLastError(void) { return lastError().c_str(); }

const char *attnModelTarget(const AttnModel *model) {
  return model->info.target.c_str();
}
int64_t attnModelBatch(const AttnModel *model) { return model->info.batch; }
int64_t attnModelPromptLength(const AttnModel *model) {
  return model->info.prompt;
}
int64_t attnModelCapacity(const AttnModel *model) {
  return model->info.capacity;
}
int64_t attnModelVocabSize(const AttnModel *model) { return model->info.vocab; }
int64_t attnModelPosition(const AttnModel *model) {
  return model->position < 0 ? 0 : model->position;
}

int attnModelPrefill(AttnModel *model, const int64_t *tokens, float *logits,
                     int lastOnly) {
  lastError().clear();
  if (!model || !tokens || !logits)
    return fail("attnModelPrefill: the model, tokens and logits must not be "
                "NULL");
  if (std::string err =
          model->call(model->info.prefill, attn_model_prefill_step, 0,
                      model->info.prompt, tokens, logits, lastOnly != 0);
      !err.empty()) {
    // The caches may hold part of the prompt: no decode until a prefill
    // succeeds.
    model->position = -1;
    return fail("prefill: " + err);
  }
  model->position = model->info.prompt;
  return 0;
}

int attnModelDecode(AttnModel *model, const int64_t *tokens, float *logits) {
  lastError().clear();
  if (!model || !tokens || !logits)
    return fail("attnModelDecode: the model, tokens and logits must not be "
                "NULL");
  if (model->position < 0)
    return fail("decode: no prefill has run, so the caches hold no prompt");
  if (model->position >= model->info.capacity)
    return fail("decode: the KV caches are full: position " +
                std::to_string(model->position) + " of capacity " +
                std::to_string(model->info.capacity) +
                " (compile with a larger --generate)");
  if (std::string err = model->call(model->info.decode, attn_model_decode_step,
                                    model->position, 1, tokens, logits, false);
      !err.empty())
    return fail("decode: " + err);
  ++model->position;
  return 0;
}
