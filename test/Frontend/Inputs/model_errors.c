/* Misuses the C API of a compiled model (attn-c/Model.h) one way at a time
 * and prints each error, for object-errors.test to check. Every misuse must
 * fail with a message and leave the model usable: the last lines show that
 * a valid prefill and decode still succeed after them.
 *
 *   model_errors <model-dir>
 */
#include "attn-c/Model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int report(const char *what, int failed) {
  printf("%s: %s%s\n", what, failed ? "error: " : "ok",
         failed ? attnLastError() : "");
  return failed;
}

int main(int argc, char **argv) {
  if (argc != 2)
    return 2;
  report("load NULL", attnModelLoad(NULL) == NULL);
  report("load missing", attnModelLoad("/nonexistent/model") == NULL);
  AttnModel *model = attnModelLoad(argv[1]);
  if (report("load", model == NULL))
    return 1;
  int64_t batch = attnModelBatch(model), prompt = attnModelPromptLength(model);
  int64_t vocab = attnModelVocabSize(model);
  int64_t capacity = attnModelCapacity(model);
  printf("target %s, batch %lld, prompt %lld, capacity %lld, vocab %lld\n",
         attnModelTarget(model), (long long)batch, (long long)prompt,
         (long long)capacity, (long long)vocab);
  int64_t *tokens = calloc((size_t)(batch * prompt), sizeof(int64_t));
  float *logits = calloc((size_t)(batch * prompt * vocab), sizeof(float));
  if (!tokens || !logits)
    return 1;
  for (int64_t i = 0; i < batch * prompt; ++i)
    tokens[i] = (i * 7 + 1) % vocab;

  report("decode before prefill", attnModelDecode(model, tokens, logits));
  report("prefill NULL tokens", attnModelPrefill(model, NULL, logits, 0));
  tokens[batch * prompt - 1] = vocab;
  report("prefill token = vocab", attnModelPrefill(model, tokens, logits, 0));
  tokens[batch * prompt - 1] = -1;
  report("prefill token = -1", attnModelPrefill(model, tokens, logits, 0));
  tokens[batch * prompt - 1] = 1;
  report("decode after failed prefill",
         attnModelDecode(model, tokens, logits));

  report("prefill", attnModelPrefill(model, tokens, logits, 1));
  printf("position %lld\n", (long long)attnModelPosition(model));
  /* The first decode's logits, to compare with the same decode after the
   * failures below. */
  float *first = malloc((size_t)(batch * vocab) * sizeof(float));
  if (!first)
    return 1;
  int steps = 0;
  while (attnModelDecode(model, tokens, logits) == 0) {
    if (steps++ == 0)
      memcpy(first, logits, (size_t)(batch * vocab) * sizeof(float));
  }
  printf("decode steps until full: %d\n", steps);
  printf("decode when full: error: %s\n", attnLastError());
  printf("position %lld\n", (long long)attnModelPosition(model));
  /* A failing decode writes no logits: poisoned, they stay NaN. */
  for (int64_t i = 0; i < batch * vocab; ++i)
    logits[i] = NAN;
  attnModelDecode(model, tokens, logits);
  int64_t written = 0;
  for (int64_t i = 0; i < batch * vocab; ++i)
    written += !isnan(logits[i]);
  printf("logits written by the failing decode: %lld\n", (long long)written);
  /* A new prefill restarts the sequences, and the same first decode gives
   * the same logits, bit for bit, as before the failures. */
  report("prefill again", attnModelPrefill(model, tokens, logits, 0));
  report("decode again", attnModelDecode(model, tokens, logits));
  printf("position %lld\n", (long long)attnModelPosition(model));
  printf("decode again equals the first decode: %s\n",
         memcmp(first, logits, (size_t)(batch * vocab) * sizeof(float))
             ? "no"
             : "yes");
  free(first);
  attnModelFree(model);
  attnModelFree(NULL);
  free(tokens);
  free(logits);
  return 0;
}
