/*===- attn-c/Model.h - run a model compiled by attn-compile -----*- C -*-===*\
|*                                                                            *|
|* `attn-compile <model-dir> --emit=object` writes a host object holding a    *|
|* Llama model's prefill and decode steps (for the GPU, with the kernels'     *|
|* binary embedded) and a description of their arguments. A program links     *|
|* that object with the runtime library (libattn_runtime.a) and drives the   *|
|* model through this API; it needs no MLIR or LLVM at run time.             *|
|*                                                                            *|
|*   cc main.c model.o libattn_runtime.a -lstdc++ -lm -ldl -o main           *|
|*                                                                            *|
|* One model object per program: the runtime calls the object's steps by    *|
|* fixed names. The object is compiled for a fixed batch B, prompt length S  *|
|* and KV cache capacity C (S plus the decode steps it was compiled for);    *|
|* the functions below report them.                                          *|
|*                                                                            *|
|* The KV caches live with the model (in device memory for a GPU object)     *|
|* from one call to the next; only token ids go in and logits come out.      *|
|* Every function that can fail returns non-zero (or NULL) and leaves the    *|
|* reason in attnLastError(). A failed decode changes no position; after a   *|
|* failed prefill, decode fails until a prefill succeeds. The runtime keeps  *|
|* process-wide state (the GPU context, the last error): call it from one    *|
|* thread at a time.                                                         *|
|*                                                                            *|
|* With ATTN_GPU_STATS set in the environment, a GPU model prints to stderr, *|
|* when freed, what its prefill and decode calls asked of the runtime per    *|
|* call (kernel launches, allocations, host synchronizations, ...); with     *|
|* ATTN_GPU_STATS=time also how long their kernels ran.                      *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef ATTN_C_MODEL_H
#define ATTN_C_MODEL_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct AttnModel AttnModel;

/** Loads the weights the compiled model takes from `modelDir`, the
 *  directory the object was compiled from (config.json, model.safetensors
 *  or its sharded form), checking every tensor's dtype and shape against
 *  the object; for a GPU object, initialises the device and copies the
 *  weights there. Allocates the KV caches (zeroed) and sets the position to
 *  0. Returns NULL on failure. */
AttnModel *attnModelLoad(const char *modelDir);

/** Frees the weights, the caches and the model. NULL is allowed. */
void attnModelFree(AttnModel *model);

/** Why the last failing call failed, or "" if none has; owned by the
 *  runtime, valid until the next call. */
const char *attnLastError(void);

/** "cpu" or "cuda": what the object was compiled for. */
const char *attnModelTarget(const AttnModel *model);
/** B: sequences per call. */
int64_t attnModelBatch(const AttnModel *model);
/** S: prompt tokens per sequence that attnModelPrefill takes. */
int64_t attnModelPromptLength(const AttnModel *model);
/** C: cache positions per sequence; decode steps after a prefill are
 *  possible while the position is below C. */
int64_t attnModelCapacity(const AttnModel *model);
/** V: the vocabulary size, the length of each logits row. */
int64_t attnModelVocabSize(const AttnModel *model);
/** The next cache position: S after a prefill, plus one per decode step. */
int64_t attnModelPosition(const AttnModel *model);

/** Runs the prompt `tokens` (B x S ids, row-major, each in [0, V)) from
 *  position 0, filling the caches, and writes the logits of every position
 *  (B x S x V floats) to `logits`, or only the last position's (B x V) when
 *  `lastOnly` is non-zero. Restarts the sequences: the position becomes S. */
int attnModelPrefill(AttnModel *model, const int64_t *tokens, float *logits,
                     int lastOnly);

/** Runs one token per sequence (`tokens`, B ids) at the current position,
 *  appending it to the caches, and writes the next-token logits (B x V
 *  floats). Fails, writing nothing, when no prefill has run or the caches
 *  are full. */
int attnModelDecode(AttnModel *model, const int64_t *tokens, float *logits);

#ifdef __cplusplus
}
#endif

#endif /* ATTN_C_MODEL_H */
