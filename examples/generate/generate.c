/*===- generate.c - greedy generation with a compiled model ------*- C -*-===*\
|*                                                                            *|
|* A small C program that drives a model compiled by attn-compile through     *|
|* the C API of attn-c/Model.h, the way an application would: it loads the    *|
|* weights, runs the prompt, then decodes one token per sequence per step,    *|
|* always taking the most likely next token (greedy decoding). It prints the  *|
|* generated ids and how long the prefill (after one untimed warm-up one)     *|
|* and the decode steps took, and can write the ids to a .npy file to         *|
|* compare with a reference.                                                  *|
|*                                                                            *|
|*   cc -std=c99 examples/generate/generate.c model.o libattn_runtime.a \     *|
|*      -Iinclude -lstdc++ -lm -ldl -o generate                               *|
|*                                                                            *|
|*   generate <model-dir> <comma-separated prompt token ids>                  *|
|*            [--steps N] [--output tokens.npy]                               *|
|*                                                                            *|
|* The prompt holds batch x prompt-length ids (sequence after sequence), or   *|
|* prompt-length ids to use for every sequence. N, the number of tokens to    *|
|* generate per sequence, defaults to as many as the KV caches allow: the     *|
|* prefill gives the first, and each of the N - 1 decode steps one more.      *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

/* clock_gettime and CLOCK_MONOTONIC are POSIX, not C99. */
#define _POSIX_C_SOURCE 200809L

#include "attn-c/Model.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const kUsage =
    "usage: generate <model-dir> <comma-separated prompt token ids> "
    "[--steps N] [--output tokens.npy]\n";

/* Lets GCC and Clang check the format strings of fail(). */
#if defined(__GNUC__)
#define PRINTF_LIKE __attribute__((format(printf, 1, 2)))
#else
#define PRINTF_LIKE
#endif

static void fail(const char *format, ...) PRINTF_LIKE;

static void fail(const char *format, ...) {
  va_list args;
  va_start(args, format);
  fputs("generate: error: ", stderr);
  vfprintf(stderr, format, args);
  fputc('\n', stderr);
  va_end(args);
}

static int isDigit(char c) { return c >= '0' && c <= '9'; }

/* Parses the decimal digits at `text` up to the first character not a
 * digit, which it stores in `*end`. Only digits are accepted: strtoll
 * alone would also take leading white space and a sign. Returns 0 on
 * success, or -1 when there are no digits or the value exceeds INT64_MAX. */
static int parseCount(const char *text, const char **end, int64_t *value) {
  char *stop;
  long long parsed;
  if (!isDigit(text[0]))
    return -1;
  errno = 0;
  parsed = strtoll(text, &stop, 10);
  if (errno == ERANGE || parsed > INT64_MAX)
    return -1;
  *end = stop;
  *value = (int64_t)parsed;
  return 0;
}

/* Parses the comma-separated ids of `text` into a new array; every item
 * must be a non-negative integer, and none may be empty. */
static int parsePrompt(const char *text, int64_t **ids, int64_t *count) {
  const char *p;
  int64_t n = 1, i = 0;
  for (p = text; *p; ++p)
    n += *p == ',';
  *ids = malloc((size_t)n * sizeof **ids);
  if (!*ids) {
    fail("out of memory for %" PRId64 " prompt ids", n);
    return -1;
  }
  for (p = text;; ++i) {
    const char *end = p;
    if (parseCount(p, &end, &(*ids)[i]) != 0 || (*end != ',' && *end)) {
      /* Show the whole item, up to the next comma. */
      const char *stop = strchr(p, ',');
      int length = stop ? (int)(stop - p) : (int)strlen(p);
      fail("prompt item %" PRId64 " ('%.*s') is not a token id (a "
           "non-negative decimal integer below 2^63)",
           i + 1, length, p);
      free(*ids);
      *ids = NULL;
      return -1;
    }
    if (!*end)
      break;
    p = end + 1;
  }
  *count = n;
  return 0;
}

/* Zeroed room for rows x cols elements of `size` bytes, or NULL if that is
 * more than memory (or size_t) can hold. */
static void *allocate(int64_t rows, int64_t cols, size_t size) {
  if (rows < 0 || cols < 0 ||
      (cols > 0 && (uint64_t)rows > SIZE_MAX / size / (uint64_t)cols))
    return NULL;
  /* calloc(0, ...) may return NULL; one element keeps NULL for failure. */
  if (rows == 0 || cols == 0)
    return calloc(1, size);
  return calloc((size_t)rows * (size_t)cols, size);
}

static double seconds(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

/* The id of the largest of the `vocab` logits at `row`, the lowest id among
 * equals; NaNs never win. Returns -1 if every logit is NaN, which only a
 * broken model produces and which no id would honestly answer. */
static int64_t argmax(const float *row, int64_t vocab) {
  int64_t best = -1, id;
  for (id = 0; id < vocab; ++id)
    if (!isnan(row[id]) && (best < 0 || row[id] > row[best]))
      best = id;
  return best;
}

/* Writes the `rows` x `cols` values as a C-order int64 .npy file (format
 * version 1.0): the magic string, the version, the header's length as a
 * little-endian uint16, then a Python dict literal padded with spaces and a
 * newline so that the data starts at a multiple of 64 bytes. */
static int writeNpy(const char *path, const int64_t *values, int64_t rows,
                    int64_t cols) {
  unsigned char preamble[256];
  unsigned char chunk[8 * 512];
  char dict[128];
  size_t dictLength, total, headerLength, i, n, done = 0;
  size_t count = (size_t)rows * (size_t)cols;
  FILE *file;
  int length = snprintf(dict, sizeof dict,
                        "{'descr': '<i8', 'fortran_order': False, "
                        "'shape': (%" PRId64 ", %" PRId64 "), }",
                        rows, cols);
  if (length < 0 || (size_t)length >= sizeof dict) {
    fail("cannot format the .npy header of %s", path);
    return -1;
  }
  dictLength = (size_t)length;
  /* 10 bytes of magic, version and length, the dict and the newline. */
  total = (10 + dictLength + 1 + 63) / 64 * 64;
  headerLength = total - 10;
  memcpy(preamble,
         "\x93"
         "NUMPY",
         6);
  preamble[6] = 1;
  preamble[7] = 0;
  preamble[8] = (unsigned char)(headerLength & 0xff);
  preamble[9] = (unsigned char)(headerLength >> 8);
  memcpy(preamble + 10, dict, dictLength);
  memset(preamble + 10 + dictLength, ' ', headerLength - dictLength - 1);
  preamble[total - 1] = '\n';

  file = fopen(path, "wb");
  if (!file) {
    fail("cannot open %s for writing: %s", path, strerror(errno));
    return -1;
  }
  if (fwrite(preamble, 1, total, file) != total)
    goto writeError;
  /* Byte by byte, so that the file is little-endian on any host. */
  while (done < count) {
    n = count - done < 512 ? count - done : 512;
    for (i = 0; i < n; ++i) {
      uint64_t bits = (uint64_t)values[done + i];
      int b;
      for (b = 0; b < 8; ++b)
        chunk[8 * i + (size_t)b] = (unsigned char)(bits >> (8 * b));
    }
    if (fwrite(chunk, 8, n, file) != n)
      goto writeError;
    done += n;
  }
  if (fclose(file) != 0) {
    fail("cannot write %s: %s", path, strerror(errno));
    return -1;
  }
  return 0;

  /* The incomplete file is left in place: `path` may name something that
   * is not ours to delete (a device, a pipe). */
writeError:
  fail("cannot write %s: %s", path, strerror(errno));
  fclose(file);
  return -1;
}

int main(int argc, char **argv) {
  const char *modelDir = NULL, *promptText = NULL, *outputPath = NULL;
  int64_t steps = -1, promptCount = 0;
  int64_t *prompt = NULL, *tokens = NULL, *generated = NULL, *next = NULL;
  float *logits = NULL;
  AttnModel *model = NULL;
  int64_t batch, promptLength, capacity, vocab, maxSteps, b, i;
  double start, prefillSeconds, decodeSeconds = 0;
  int status = 1, arg;

  for (arg = 1; arg < argc; ++arg) {
    if (!strcmp(argv[arg], "--help") || !strcmp(argv[arg], "-h")) {
      fputs(kUsage, stdout);
      return 0;
    }
    if (!strcmp(argv[arg], "--steps") || !strcmp(argv[arg], "--output")) {
      if (arg + 1 == argc) {
        fail("%s needs a value", argv[arg]);
        fputs(kUsage, stderr);
        return 1;
      }
      if (!strcmp(argv[arg], "--output")) {
        outputPath = argv[++arg];
      } else {
        const char *end;
        ++arg;
        if (parseCount(argv[arg], &end, &steps) != 0 || *end) {
          fail("--steps '%s' is not a non-negative decimal integer below "
               "2^63",
               argv[arg]);
          return 1;
        }
      }
    } else if (argv[arg][0] == '-' && argv[arg][1] == '-') {
      fail("unknown option %s", argv[arg]);
      fputs(kUsage, stderr);
      return 1;
    } else if (!modelDir) {
      modelDir = argv[arg];
    } else if (!promptText) {
      promptText = argv[arg];
    } else {
      fail("unexpected argument '%s'", argv[arg]);
      fputs(kUsage, stderr);
      return 1;
    }
  }
  if (!modelDir || !promptText) {
    fputs(kUsage, stderr);
    return 1;
  }
  if (steps == 0) {
    fail("--steps 0: at least one token must be generated");
    return 1;
  }
  /* The prompt's syntax is checked before the (slow) load. */
  if (parsePrompt(promptText, &prompt, &promptCount) != 0)
    return 1;

  model = attnModelLoad(modelDir);
  if (!model) {
    fail("%s", attnLastError());
    goto done;
  }
  batch = attnModelBatch(model);
  promptLength = attnModelPromptLength(model);
  capacity = attnModelCapacity(model);
  vocab = attnModelVocabSize(model);
  if (batch < 1 || promptLength < 1 || vocab < 1 ||
      batch > INT64_MAX / promptLength || batch > INT64_MAX / vocab) {
    fail("the model reports batch %" PRId64 ", prompt length %" PRId64
         " and vocabulary %" PRId64 ", which cannot be run",
         batch, promptLength, vocab);
    goto done;
  }

  if (promptCount != batch * promptLength &&
      !(batch > 1 && promptCount == promptLength)) {
    if (batch == 1)
      fail("the prompt has %" PRId64 " token ids, but the model takes %" PRId64,
           promptCount, promptLength);
    else
      fail("the prompt has %" PRId64 " token ids, but the model takes batch "
           "x prompt length = %" PRId64 " x %" PRId64 " = %" PRId64
           " (or %" PRId64 ", used for every sequence)",
           promptCount, batch, promptLength, batch * promptLength,
           promptLength);
    goto done;
  }
  for (i = 0; i < promptCount; ++i)
    if (prompt[i] >= vocab) {
      fail("prompt item %" PRId64 " (%" PRId64 ") is not below the "
           "vocabulary size %" PRId64,
           i + 1, prompt[i], vocab);
      goto done;
    }

  /* The prefill gives one token, and each decode step one more while the
   * position (promptLength after the prefill) is below the capacity. */
  maxSteps = capacity >= promptLength ? capacity - promptLength + 1 : 0;
  if (maxSteps < 1) {
    fail("the caches hold %" PRId64
         " positions, fewer than the prompt's %" PRId64,
         capacity, promptLength);
    goto done;
  }
  if (steps < 0) {
    steps = maxSteps;
  } else if (steps > maxSteps) {
    fail("--steps %" PRId64 " is too many: the caches hold %" PRId64
         " positions, so after a prompt of %" PRId64 " tokens at most %" PRId64
         " can be generated",
         steps, capacity, promptLength, maxSteps);
    goto done;
  }

  tokens = allocate(batch, promptLength, sizeof *tokens);
  logits = allocate(batch, vocab, sizeof *logits);
  generated = allocate(batch, steps, sizeof *generated);
  next = allocate(batch, 1, sizeof *next);
  if (!tokens || !logits || !generated || !next) {
    fail("out of memory for %" PRId64 " sequences of %" PRId64
         " logits and %" PRId64 " tokens",
         batch, vocab, steps);
    goto done;
  }
  for (i = 0; i < batch * promptLength; ++i)
    tokens[i] = prompt[i % promptCount];

  /* One untimed prefill first: the first call pays one-time costs (the
   * GPU's first launches, cuBLAS's handle) that a served model pays once,
   * not per prompt. A prefill restarts the sequences, so the timed one
   * below starts afresh. */
  if (attnModelPrefill(model, tokens, logits, /*lastOnly=*/1) != 0) {
    fail("%s", attnLastError());
    goto done;
  }
  /* Only the model's calls are timed, not the argmax between them, so the
   * numbers are the compiled code's. */
  start = seconds();
  if (attnModelPrefill(model, tokens, logits, /*lastOnly=*/1) != 0) {
    fail("%s", attnLastError());
    goto done;
  }
  prefillSeconds = seconds() - start;
  for (i = 0; i < steps; ++i) {
    for (b = 0; b < batch; ++b) {
      int64_t id = argmax(logits + b * vocab, vocab);
      if (id < 0) {
        fail("sequence %" PRId64 ": every logit is NaN after %" PRId64
             " generated tokens",
             b, i);
        goto done;
      }
      generated[b * steps + i] = next[b] = id;
    }
    if (i + 1 == steps)
      break;
    start = seconds();
    if (attnModelDecode(model, next, logits) != 0) {
      fail("decode step %" PRId64 ": %s", i + 1, attnLastError());
      goto done;
    }
    decodeSeconds += seconds() - start;
  }

  printf("target: %s\n", attnModelTarget(model));
  printf("batch %" PRId64 ", prompt %" PRId64 " tokens, %" PRId64
         " generated\n",
         batch, promptLength, steps);
  for (b = 0; b < batch; ++b) {
    printf("sequence %" PRId64 ":", b);
    for (i = 0; i < steps; ++i)
      printf(" %" PRId64, generated[b * steps + i]);
    printf("\n");
  }
  /* Rates count the tokens of every sequence in the batch. */
  printf("prefill: %" PRId64 " token%s in %.3f ms (%.1f tokens/s)\n",
         batch * promptLength, batch * promptLength == 1 ? "" : "s",
         prefillSeconds * 1e3,
         prefillSeconds > 0 ? (double)(batch * promptLength) / prefillSeconds
                            : 0.0);
  if (steps > 1)
    printf("decode: %" PRId64 " step%s in %.3f ms (%.1f tokens/s, %.3f ms "
           "per step)\n",
           steps - 1, steps == 2 ? "" : "s", decodeSeconds * 1e3,
           decodeSeconds > 0 ? (double)(batch * (steps - 1)) / decodeSeconds
                             : 0.0,
           decodeSeconds * 1e3 / (double)(steps - 1));
  else
    printf("decode: no steps\n");
  if (fflush(stdout) != 0) {
    fail("cannot write the output: %s", strerror(errno));
    goto done;
  }

  if (outputPath && writeNpy(outputPath, generated, batch, steps) != 0)
    goto done;
  status = 0;

done:
  attnModelFree(model);
  free(prompt);
  free(tokens);
  free(logits);
  free(generated);
  free(next);
  return status;
}
