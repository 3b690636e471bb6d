// RUN: attn-opt %s --convert-attn-to-gpu="tail-split=true sm-count=7" -split-input-file | FileCheck %s
// RUN: attn-opt %s --convert-attn-to-gpu="tail-split=true sm-count=7 tma-store=false" -split-input-file | FileCheck %s --check-prefix=THREADS
// RUN: attn-opt %s --convert-attn-to-gpu="sm-count=7" -split-input-file | FileCheck %s --check-prefix=OFF
// RUN: attn-opt %s --convert-attn-to-gpu="schedule=sm80 tail-split=true sm-count=7" -split-input-file | FileCheck %s --check-prefix=OFF
// The sm90 schedule with tail-split: where the persistent grid's items cost
// the same and its last round is at most half full, that round's items are
// split over their keys across the idle blocks. @split: 8 items (2 q-tiles
// x 4 query heads) on 7 blocks leave 1 item for the last round; its 8 key
// tiles go to 4 parts of 2 tiles (7 idle blocks, whole tiles, none empty),
// so the grid's loop runs over 7 + 4 numbers. Each part writes its 128
// rows' partial (accumulator, max and sum) to scratch, and a combine kernel
// over (128 rows, 1, 1 item), launched as a programmatic dependent that
// the attention kernel lets launch at once, writes the item's rows below
// Sq. The whole items store their rows through the staged tile with TMA
// (tma-store, the default), or with tma-store=false each thread its own.

// CHECK-LABEL: func.func @split(
// CHECK:         %[[PARTIAL:.+]] = gpu.alloc  (%c1{{[_0-9]*}}, %c1{{[_0-9]*}}, %c4{{[_0-9]*}}) : memref<?x?x?x128x64xf32>
// CHECK:         %[[STATS:.+]] = gpu.alloc  (%c1{{[_0-9]*}}, %c1{{[_0-9]*}}, %c4{{[_0-9]*}}) : memref<?x?x?x128x2xf32>
// CHECK:         gpu.launch {{.+}} function(@split_kernel_pdl_primary)
// CHECK-NEXT:      nvvm.griddepcontrol  launch_dependents
// The producer: loop numbers from 7 on are parts, part (w - 7) / 1 of item
// 7 + (w - 7) % 1, its keys [2 part, 2 part + 2) tiles, clamped to Sk.
// CHECK:           nvvm.setmaxregister  decrease 24
// CHECK:           scf.for %[[W:[^ ]+]] = %{{[^ ]+}} to %c11 step
// CHECK:             %[[AT:.+]] = arith.maxui %[[W]], %[[FULL:c7[_0-9]*]]
// CHECK:             %[[V:.+]] = arith.subi %[[AT]], %[[FULL]]
// CHECK:             %[[ISPART:.+]] = arith.cmpi uge, %[[W]], %[[FULL]]
// CHECK:             %[[PART:.+]] = arith.divui %[[V]], %c1
// CHECK:             %[[BEGIN:.+]] = arith.muli %[[PART]], %c256
// CHECK:             arith.select %[[ISPART]], %[[BEGIN]], %c0
// CHECK:             %[[END:.+]] = arith.minsi %{{.+}}, %[[SK:dim_[0-9]+]]
// CHECK:             arith.select %[[ISPART]], %[[END]], %[[SK]]
// The consumers: the same numbering; a part stores its partial, a whole
// item its rows.
// CHECK:           nvvm.setmaxregister  increase 240
// CHECK:           scf.for %{{[^ ]+}} = %{{[^ ]+}} to %c11 step
// CHECK:             arith.cmpi uge
// CHECK:               scf.if %{{.+}} {
// CHECK:                 vector.store %{{.+}}, %[[PARTIAL]][{{.+}}] {{.+}} vector<2xf32>
// CHECK:                 memref.store %{{.+}}, %[[STATS]][{{.+}}, %c0{{[_0-9]*}}] : memref<?x?x?x128x2xf32>
// CHECK:                 memref.store %{{.+}}, %[[STATS]][{{.+}}, %c1{{[_0-9]*}}] : memref<?x?x?x128x2xf32>
// CHECK:               } else {
// CHECK:                 "cp.async.bulk.wait_group.read 0;"
// CHECK:                 "cp.async.bulk.tensor.4d.global.shared::cta.tile.bulk_group
// CHECK:         } {attn.schedule = "sm90"}
// CHECK:         gpu.launch blocks({{.+}}) in (%{{.+}} = %c128{{[_0-9]*}}, %{{.+}} = %c1{{[_0-9]*}}, %{{.+}} = %c1{{[_0-9]*}}) {{.+}} function(@split_kernel_pdl_dependent)
// CHECK-NEXT:      nvvm.griddepcontrol  wait
// CHECK:           vector.load %[[STATS]]
// CHECK:           vector.load %[[PARTIAL]]
// CHECK:           %[[ITEM:.+]] = arith.addi %c7{{[_0-9]*}}, %{{.+}} : index
// CHECK:           %[[POS:.+]] = arith.addi %{{.+}}, %[[ROW:arg3]] : index
// CHECK:           %[[BELOW:.+]] = arith.cmpi ult, %[[POS]], %{{.+}}
// CHECK:           scf.if %[[BELOW]] {
// CHECK:             memref.store
// CHECK:         } {attn.schedule = "tail-combine"}
// CHECK:         gpu.dealloc  %[[PARTIAL]]
// CHECK:         gpu.dealloc  %[[STATS]]
// THREADS-LABEL: func.func @split(
// THREADS:         function(@split_kernel_pdl_primary)
// THREADS-NOT:     cp.async.bulk.tensor.4d.global
// THREADS:               } else {
// THREADS:                 vector.store {{.+}} vector<2xbf16>
// THREADS-NOT:     cp.async.bulk.tensor.4d.global
// THREADS:         } {attn.schedule = "sm90"}

// Without the option, and on other schedules, nothing is split.
// OFF-LABEL: func.func @split(
// OFF-NOT:     pdl_primary
// OFF-NOT:     tail-combine
// OFF-LABEL: func.func @causal(
func.func @split(%q: tensor<1x256x4x64xbf16>, %k: tensor<1x1024x1x64xbf16>, %v: tensor<1x1024x1x64xbf16>) -> tensor<1x256x4x64xbf16> {
  %o = attn.attention %q, %k, %v : tensor<1x256x4x64xbf16>, tensor<1x1024x1x64xbf16>, tensor<1x1024x1x64xbf16> -> tensor<1x256x4x64xbf16>
  return %o : tensor<1x256x4x64xbf16>
}

// -----

// Where the items differ in cost (a causal mask; likewise a window or
// per-sequence lengths), nothing is split.
// CHECK-LABEL: func.func @causal(
// CHECK-NOT:     pdl_primary
// CHECK-NOT:     tail-combine
func.func @causal(%q: tensor<1x256x4x64xbf16>, %k: tensor<1x1024x1x64xbf16>, %v: tensor<1x1024x1x64xbf16>) -> tensor<1x256x4x64xbf16> {
  %o = attn.attention %q, %k, %v {causal} : tensor<1x256x4x64xbf16>, tensor<1x1024x1x64xbf16>, tensor<1x1024x1x64xbf16> -> tensor<1x256x4x64xbf16>
  return %o : tensor<1x256x4x64xbf16>
}

// -----

// 14 items on 7 blocks: the last round is full.
// CHECK-LABEL: func.func @full_round(
// CHECK-NOT:     pdl_primary
// CHECK-NOT:     tail-combine
func.func @full_round(%q: tensor<1x256x7x64xbf16>, %k: tensor<1x1024x7x64xbf16>, %v: tensor<1x1024x7x64xbf16>) -> tensor<1x256x7x64xbf16> {
  %o = attn.attention %q, %k, %v : tensor<1x256x7x64xbf16>, tensor<1x1024x7x64xbf16>, tensor<1x1024x7x64xbf16> -> tensor<1x256x7x64xbf16>
  return %o : tensor<1x256x7x64xbf16>
}

// -----

// 12 items on 7 blocks: 5 in the last round, more than half of 7, which
// leaves no second part for any of them.
// CHECK-LABEL: func.func @half_full(
// CHECK-NOT:     pdl_primary
// CHECK-NOT:     tail-combine
func.func @half_full(%q: tensor<1x256x6x64xbf16>, %k: tensor<1x1024x6x64xbf16>, %v: tensor<1x1024x6x64xbf16>) -> tensor<1x256x6x64xbf16> {
  %o = attn.attention %q, %k, %v : tensor<1x256x6x64xbf16>, tensor<1x1024x6x64xbf16>, tensor<1x1024x6x64xbf16> -> tensor<1x256x6x64xbf16>
  return %o : tensor<1x256x6x64xbf16>
}

// -----

// Four key tiles: 4 parts of 1 tile would take 3 tiles off the last round,
// fewer than the 4 that pay for the partials and the combine.
// CHECK-LABEL: func.func @few_tiles(
// CHECK-NOT:     pdl_primary
// CHECK-NOT:     tail-combine
func.func @few_tiles(%q: tensor<1x256x4x64xbf16>, %k: tensor<1x512x1x64xbf16>, %v: tensor<1x512x1x64xbf16>) -> tensor<1x256x4x64xbf16> {
  %o = attn.attention %q, %k, %v : tensor<1x256x4x64xbf16>, tensor<1x512x1x64xbf16>, tensor<1x512x1x64xbf16> -> tensor<1x256x4x64xbf16>
  return %o : tensor<1x256x4x64xbf16>
}

// -----

// A dynamic batch: the rounds are not known when the kernel is built.
// CHECK-LABEL: func.func @dynamic(
// CHECK-NOT:     pdl_primary
// CHECK-NOT:     tail-combine
func.func @dynamic(%q: tensor<?x256x4x64xbf16>, %k: tensor<?x1024x1x64xbf16>, %v: tensor<?x1024x1x64xbf16>) -> tensor<?x256x4x64xbf16> {
  %o = attn.attention %q, %k, %v : tensor<?x256x4x64xbf16>, tensor<?x1024x1x64xbf16>, tensor<?x1024x1x64xbf16> -> tensor<?x256x4x64xbf16>
  return %o : tensor<?x256x4x64xbf16>
}

// The CUDA test's shapes (test/Integration/CUDA/sm90-tail-split.mlir) each
// split as its comment says: partials for (items of the last round, 1,
// parts), and the combine.
// RUN: sed -e 's/@Q@/2x700x32x128/g;s/@K@/2x1500x8x128/g;s/@V@/2x1500x8x128/g;s/@O@/2x700x32x128/g;s/@T@/bf16/g;s/@A@//g' %S/../Integration/CUDA/Inputs/attention.mlir \
// RUN:   | attn-opt --convert-attn-to-gpu="tail-split=true sm-count=20" | FileCheck %s --check-prefix=CUDA -DITEMS=4 -DPARTS=4 -DD=128
// RUN: sed -e 's/@Q@/1x1000x8x64/g;s/@K@/1x2000x2x64/g;s/@V@/1x2000x2x64/g;s/@O@/1x1000x8x64/g;s/@T@/f16/g;s/@A@//g' %S/../Integration/CUDA/Inputs/attention.mlir \
// RUN:   | attn-opt --convert-attn-to-gpu="tail-split=true sm-count=7" | FileCheck %s --check-prefix=CUDA -DITEMS=1 -DPARTS=6 -DD=64
// RUN: sed -e 's/@Q@/1x1000x8x64/g;s/@K@/1x2000x2x64/g;s/@V@/1x2000x2x64/g;s/@O@/1x1000x8x64/g;s/@T@/bf16/g;s/@A@//g' %S/../Integration/CUDA/Inputs/attention.mlir \
// RUN:   | attn-opt --convert-attn-to-gpu="tail-split=true tma=false sm-count=7" | FileCheck %s --check-prefix=CUDA -DITEMS=1 -DPARTS=6 -DD=64
// RUN: sed -e 's/@Q@/1x512x4x256/g;s/@K@/1x1024x4x256/g;s/@V@/1x1024x4x256/g;s/@O@/1x512x4x256/g;s/@T@/bf16/g;s/@A@//g' %S/../Integration/CUDA/Inputs/attention.mlir \
// RUN:   | attn-opt --convert-attn-to-gpu="tail-split=true sm-count=5" | FileCheck %s --check-prefix=CUDA -DITEMS=1 -DPARTS=4 -DD=256
// RUN: sed -e 's/@Q@/1x16x384x128/g;s/@K@/1x2x900x128/g;s/@V@/1x2x900x128/g;s/@O@/1x16x384x128/g;s/@T@/bf16/g;s/@A@/{layout = #attn.layout<bhsd>}/g' %S/../Integration/CUDA/Inputs/attention.mlir \
// RUN:   | attn-opt --convert-attn-to-gpu="tail-split=true item-overlap=false sm-count=11" | FileCheck %s --check-prefix=CUDA -DITEMS=4 -DPARTS=2 -DD=128
// RUN: attn-opt %S/../Integration/CUDA/sm90-tail-split.mlir --convert-attn-to-gpu="tail-split=true sm-count=6" | FileCheck %s --check-prefix=CUDA -DITEMS=2 -DPARTS=3 -DD=128
// RUN: sed -e 's/@Q@/1x2176x8x128/g;s/@K@/1x2176x1x128/g;s/@V@/1x2176x1x128/g;s/@O@/1x2176x8x128/g;s/@T@/bf16/g;s/@A@//g' %S/../Integration/CUDA/Inputs/attention.mlir \
// RUN:   | attn-opt --convert-attn-to-gpu="tail-split=true sm-count=132" | FileCheck %s --check-prefix=CUDA -DITEMS=4 -DPARTS=17 -DD=128
// RUN: sed -e 's/@Q@/1x256x4x64/g;s/@K@/1x1024x1x64/g;s/@V@/1x1024x1x64/g;s/@O@/1x256x4x64/g;s/@T@/bf16/g;s/@A@//g' %S/../Integration/CUDA/Inputs/attention.mlir \
// RUN:   | attn-opt --convert-attn-to-gpu="tail-split=true sm-count=7" | FileCheck %s --check-prefix=CUDA -DITEMS=1 -DPARTS=4 -DD=64
// CUDA: gpu.alloc  (%c[[ITEMS]]{{(_[0-9]+)?}}, %c1{{(_[0-9]+)?}}, %c[[PARTS]]{{(_[0-9]+)?}}) : memref<?x?x?x128x[[D]]xf32>
// CUDA: gpu.alloc  (%c[[ITEMS]]{{(_[0-9]+)?}}, %c1{{(_[0-9]+)?}}, %c[[PARTS]]{{(_[0-9]+)?}}) : memref<?x?x?x128x2xf32>
// CUDA: attn.schedule = "tail-combine"
