// The options of attn-plan-kv-cache, on a CLA2 model of 4 layers whose two
// f16 caches hold 2 x 2 x 64 x 2 = 512 bytes per token each, 1024 in all,
// for up to 128 tokens.

// seq-len=100: 1024 x 100 = 102400 bytes per sequence; budget-bytes=1000000:
// 1000000 / 102400 = 9.77, so 9 sequences (9 x 102400 = 921600 fits,
// 10 x 102400 = 1024000 does not).
// RUN: attn-opt %s --attn-plan-kv-cache="seq-len=100 budget-bytes=1000000" -o /dev/null 2>&1 | FileCheck %s --check-prefix=BYTES
// BYTES: remark: 4 layers keep 2 KV caches (sharing 2: ceil(4 / 2) = 2): 1024 KV bytes per token, 102400 bytes per sequence at 100 tokens; a budget of 1000000 bytes fits a batch of 9

// budget-gib=1: 2^30 bytes over 1024 x 128 = 2^17 bytes per sequence = 2^13.
// RUN: attn-opt %s --attn-plan-kv-cache="budget-gib=1" -o /dev/null 2>&1 | FileCheck %s --check-prefix=GIB
// GIB: remark: {{.*}} 131072 bytes per sequence at 128 tokens; a budget of 1073741824 bytes (1 GiB) fits a batch of 8192

// The whole capacity is allowed, one more token is not.
// RUN: attn-opt %s --attn-plan-kv-cache="seq-len=128" -o /dev/null 2>&1 | FileCheck %s --check-prefix=FULL
// FULL: remark: {{.*}} 131072 bytes per sequence at 128 tokens
// RUN: not attn-opt %s --attn-plan-kv-cache="seq-len=129" -o /dev/null 2>&1 | FileCheck %s --check-prefix=LONG
// LONG: error: 'attn.cache.create' op makes the cache of layers [0, 2) with capacity (128), less than seq-len (129)

// A budget smaller than one sequence fits no batch at all.
// RUN: attn-opt %s --attn-plan-kv-cache="budget-bytes=131071" -o /dev/null 2>&1 | FileCheck %s --check-prefix=NONE
// NONE: remark: {{.*}} a budget of 131071 bytes fits a batch of 0

// report=none assigns the buffers and says nothing.
// RUN: attn-opt %s --attn-plan-kv-cache="report=none" 2>&1 | FileCheck %s --check-prefix=QUIET --implicit-check-not=remark
// QUIET: attn.cache.create {attn.buffer = 0 : i64, sharing = 2 : i64}

// Bad values name the option and what it allows.
// RUN: not attn-opt %s --attn-plan-kv-cache="report=xml" 2>&1 | FileCheck %s --check-prefix=REPORT
// REPORT: error: attn-plan-kv-cache: report 'xml' must be one of remarks, json, none
// RUN: not attn-opt %s --attn-plan-kv-cache="seq-len=-1" 2>&1 | FileCheck %s --check-prefix=SEQLEN
// SEQLEN: error: attn-plan-kv-cache: seq-len (-1) must be a positive number of tokens, or 0 for the caches' capacity
// RUN: not attn-opt %s --attn-plan-kv-cache="budget-bytes=-5" 2>&1 | FileCheck %s --check-prefix=BUDGET-BYTES
// BUDGET-BYTES: error: attn-plan-kv-cache: budget-bytes (-5) must lie in [1, 9223372036854775807], or be 0 for budget-gib
// 2^63 / 2^30 = 2^33 = 8589934592 GiB is one GiB too many for int64.
// RUN: not attn-opt %s --attn-plan-kv-cache="budget-gib=8589934592" 2>&1 | FileCheck %s --check-prefix=BUDGET-GIB
// RUN: not attn-opt %s --attn-plan-kv-cache="budget-gib=-1" 2>&1 | FileCheck %s --check-prefix=BUDGET-GIB
// BUDGET-GIB: error: attn-plan-kv-cache: budget-gib ({{-1|8589934592}}) must lie in [1, 8589934591], so that the budget in bytes fits 64 bits, or be 0 for 80 GiB
// 0 means "not given" for both budgets: 80 GiB = 85899345920 bytes.
// RUN: attn-opt %s --attn-plan-kv-cache="budget-gib=0 budget-bytes=0" -o /dev/null 2>&1 | FileCheck %s --check-prefix=DEFAULT
// DEFAULT: a budget of 85899345920 bytes (80 GiB) fits a batch of 655360
// RUN: attn-opt %s --attn-plan-kv-cache="budget-gib=8589934591" -o /dev/null 2>&1 | FileCheck %s --check-prefix=BIGGEST
// BIGGEST: a budget of 9223372035781033984 bytes (8589934591 GiB) fits a batch of 70368744169472
// RUN: not attn-opt %s --attn-plan-kv-cache="budget-gib=2 budget-bytes=5" 2>&1 | FileCheck %s --check-prefix=BOTH
// BOTH: error: attn-plan-kv-cache: give budget-bytes or budget-gib, not both

// Values at INT64_MAX give figures or errors, never wrapped numbers: a
// budget of 2^63 - 1 bytes over 2^17 bytes per sequence is 2^46 - 1 =
// 70368744177663 sequences, and 2^63 - 1 tokens do not fit a cache of 128.
// RUN: attn-opt %s --attn-plan-kv-cache="budget-bytes=9223372036854775807" -o /dev/null 2>&1 | FileCheck %s --check-prefix=MAX-BUDGET
// MAX-BUDGET: 131072 bytes per sequence at 128 tokens; a budget of 9223372036854775807 bytes fits a batch of 70368744177663
// RUN: not attn-opt %s --attn-plan-kv-cache="seq-len=9223372036854775807" -o /dev/null 2>&1 | FileCheck %s --check-prefix=MAX-SEQLEN
// MAX-SEQLEN: error: 'attn.cache.create' op makes the cache of layers [0, 2) with capacity (128), less than seq-len (9223372036854775807)

// report-file keeps the JSON apart from the IR on stdout; it belongs to
// report=json, and a file that cannot be written is an error.
// RUN: rm -f %t.json
// RUN: attn-opt %s --attn-plan-kv-cache="report=json report-file=%t.json" 2>&1 | FileCheck %s --check-prefix=IR --implicit-check-not=remark
// IR: attn.cache.create {attn.buffer = 0 : i64, sharing = 2 : i64}
// RUN: FileCheck %s --check-prefix=FILE < %t.json
// FILE: "kv_bytes_per_token": 1024,
// FILE: "bytes_per_sequence": 131072,
// RUN: python3 -c "import json, sys; json.load(open(sys.argv[1]))" %t.json
// RUN: not attn-opt %s --attn-plan-kv-cache="report-file=%t.json" 2>&1 | FileCheck %s --check-prefix=FILE-REMARKS
// FILE-REMARKS: error: attn-plan-kv-cache: report-file ('{{.*}}.json') needs report=json, not report=remarks
// RUN: not attn-opt %s --attn-plan-kv-cache="report=json report-file=%t.missing/report.json" 2>&1 | FileCheck %s --check-prefix=FILE-BAD
// FILE-BAD: error: attn-plan-kv-cache: cannot write report-file '{{.*}}report.json': {{.+}}

func.func @cla2(%q: tensor<1x4x8x64xf16>, %k0: tensor<1x4x2x64xf16>,
                %v0: tensor<1x4x2x64xf16>, %k2: tensor<1x4x2x64xf16>,
                %v2: tensor<1x4x2x64xf16>, %p: index, %n: index)
    -> tensor<1x4x8x64xf16> {
  %a = attn.cache.create {first_layer = 0, sharing = 2} : !attn.kv_cache<1x2x128x64xf16>
  %a1 = attn.cache.append %k0, %v0 into %a[%p] {layer = 0}
      : tensor<1x4x2x64xf16>, tensor<1x4x2x64xf16> into !attn.kv_cache<1x2x128x64xf16>
  %h0 = attn.cache.attend %q, %a1, %n {causal, layer = 0}
      : tensor<1x4x8x64xf16>, !attn.kv_cache<1x2x128x64xf16> -> tensor<1x4x8x64xf16>
  %h1 = attn.cache.attend %h0, %a1, %n {causal, layer = 1}
      : tensor<1x4x8x64xf16>, !attn.kv_cache<1x2x128x64xf16> -> tensor<1x4x8x64xf16>
  %b = attn.cache.create {first_layer = 2, sharing = 2} : !attn.kv_cache<1x2x128x64xf16>
  %b1 = attn.cache.append %k2, %v2 into %b[%p] {layer = 2}
      : tensor<1x4x2x64xf16>, tensor<1x4x2x64xf16> into !attn.kv_cache<1x2x128x64xf16>
  %h2 = attn.cache.attend %h1, %b1, %n {causal, layer = 2}
      : tensor<1x4x8x64xf16>, !attn.kv_cache<1x2x128x64xf16> -> tensor<1x4x8x64xf16>
  %h3 = attn.cache.attend %h2, %b1, %n {causal, layer = 3}
      : tensor<1x4x8x64xf16>, !attn.kv_cache<1x2x128x64xf16> -> tensor<1x4x8x64xf16>
  return %h3 : tensor<1x4x8x64xf16>
}
