//===- DependentLaunch.h - kernels launched as dependents -------*- C++ -*-===//
//
// Programmatic dependent launch (sm_90): a kernel launched with the
// programmatic stream serialization attribute may start while the kernel
// before it on its stream is still running, once every block of that kernel
// has executed griddepcontrol.launch_dependents or exited. It must execute
// griddepcontrol.wait, which returns once that kernel has completed and its
// writes are visible, before it reads them. A split decode uses it so that
// the combine kernel's blocks are resident, and its launch paid, when the
// attention kernel's last block retires.
//
// The compiler names the two kernels of such a pair, and the runtime reads
// the names when it looks the kernels up:
// - a kernel whose name ends in kDependentSuffix waits with
//   griddepcontrol.wait before it reads anything an earlier kernel wrote;
//   the runtime launches it with the attribute (where the driver has
//   cuLaunchKernelEx), whatever runs before it, since its own wait keeps it
//   correct;
// - a kernel whose name ends in kPrimarySuffix is followed on its stream by
//   such a kernel, so while timing, the runtime records no event between
//   the two (an event between them would serialize them) and times the
//   pair as one span.
//
// Plain C++: compiled models link the runtime without LLVM.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNTIME_DEPENDENTLAUNCH_H
#define ATTN_RUNTIME_DEPENDENTLAUNCH_H

namespace mlir::attn {

inline constexpr char kPrimarySuffix[] = "_pdl_primary";
inline constexpr char kDependentSuffix[] = "_pdl_dependent";

} // namespace mlir::attn

#endif // ATTN_RUNTIME_DEPENDENTLAUNCH_H
