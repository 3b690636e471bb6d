/* A stand-in for a model object whose description (attn_model_info) is
 * wrong in one way, chosen by CASE at compile time, with steps that do
 * nothing: the runtime must refuse it by name in attnModelLoad, before it
 * reads a weight or calls a step. Prints "error: <why>" or "loaded".
 *
 *   bad_description <model-dir>
 */
#include "attn-c/Model.h"

#include <stdio.h>

void attn_model_prefill_step(void **args) { (void)args; }
void attn_model_decode_step(void **args) { (void)args; }

#define FIGURES "target cpu\nbatch 1\nprompt 2\ncapacity 3\nvocab 48\n"
#define PREFILL_ARGS "arg tokens i64 1 2\narg position index\n"
#define DECODE_ARGS "arg tokens i64 1 1\narg position index\n"

#if CASE == 1 /* another version */
const char attn_model_info[] = "attn-model 2\n" FIGURES "end\n";
#elif CASE == 2 /* no end */
const char attn_model_info[] = "\nattn-model 1\n" FIGURES;
#elif CASE == 3 /* logits of the wrong shape */
const char attn_model_info[] =
    "attn-model 1\n" FIGURES "entry prefill_step\n" PREFILL_ARGS
    "result logits f32 1 2 64\n"
    "entry decode_step\n" DECODE_ARGS "result logits f32 1 1 48\nend\n";
#elif CASE == 4 /* a weight before a cache */
const char attn_model_info[] =
    "attn-model 1\n" FIGURES "entry prefill_step\n" PREFILL_ARGS
    "arg weight f32 48 64 model.embed_tokens.weight\n"
    "arg cache f32 1 3 2 16\n"
    "result logits f32 1 2 48\nresult cache f32 1 3 2 16\n"
    "entry decode_step\n" DECODE_ARGS "result logits f32 1 1 48\nend\n";
#elif CASE == 5 /* a cache taken but not returned */
const char attn_model_info[] =
    "attn-model 1\n" FIGURES "entry prefill_step\n" PREFILL_ARGS
    "arg cache f32 1 3 2 16\nresult logits f32 1 2 48\n"
    "entry decode_step\n" DECODE_ARGS "result logits f32 1 1 48\nend\n";
#elif CASE == 6 /* a batch that would overflow the buffers */
const char attn_model_info[] =
    "attn-model 1\ntarget cpu\nbatch 4294967296\nprompt 2\ncapacity 3\n"
    "vocab 48\nentry prefill_step\nentry decode_step\nend\n";
#elif CASE == 7 /* a weight whose name is digits, which the checkpoint lacks */
const char attn_model_info[] =
    "attn-model 1\n" FIGURES "entry prefill_step\n" PREFILL_ARGS
    "arg weight f32 48 64 12345\nresult logits f32 1 2 48\n"
    "entry decode_step\n" DECODE_ARGS "result logits f32 1 1 48\nend\n";
#elif CASE == 8 /* token ids of the wrong shape */
const char attn_model_info[] =
    "attn-model 1\n" FIGURES "entry prefill_step\n"
    "arg tokens i64 1 3\narg position index\nresult logits f32 1 2 48\n"
    "entry decode_step\n" DECODE_ARGS "result logits f32 1 1 48\nend\n";
#elif CASE == 9 /* a cache returned with another type than it is taken */
const char attn_model_info[] =
    "attn-model 1\n" FIGURES "entry prefill_step\n" PREFILL_ARGS
    "arg cache f32 1 3 2 16\n"
    "result logits f32 1 2 48\nresult cache bf16 1 3 2 16\n"
    "entry decode_step\n" DECODE_ARGS "result logits f32 1 1 48\nend\n";
#else
#error "CASE must be 1 to 9"
#endif

int main(int argc, char **argv) {
  if (argc != 2)
    return 2;
  AttnModel *model = attnModelLoad(argv[1]);
  if (!model) {
    printf("error: %s\n", attnLastError());
    return 1;
  }
  puts("loaded");
  attnModelFree(model);
  return 0;
}
