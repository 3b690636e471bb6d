//===- GpuBlas.cpp - projections through cuBLAS, opened at run time -------===//
//
// attnGpuMatmulTransposedB, which attn-matmul-to-gpu calls with `cublas`:
// cublasGemmEx on the caller's device buffers. cuBLAS is opened with
// dlopen at the first call, like the driver, so nothing links it and a
// machine without it fails that call with a message, not at load time.
// The declarations follow cublas_api.h and library_types.h.
//
// Row-major C (m x n) is column-major Cᵀ (n x m), so C += A Bᵀ is
// Cᵀ += B Aᵀ: cuBLAS's op(B) = Bᵀ of its k x n column-major view of B, and
// op(A) = A as its k x m view; beta = 1 keeps what C holds.
//
//===----------------------------------------------------------------------===//

#include "GpuRuntime.h"

#include "CudaDriver.h"

#include <cstdlib>
#include <dlfcn.h>
#include <limits>
#include <string>
#include <vector>

using namespace mlir::attn;
using namespace mlir::attn::cuda;

namespace {
using cublasHandle_t = struct cublasContext *;
using cublasStatus_t = int;
constexpr int CUBLAS_OP_N = 0, CUBLAS_OP_T = 1;
constexpr int CUDA_R_32F = 0, CUDA_R_16F = 2, CUDA_R_16BF = 14;
constexpr int CUBLAS_COMPUTE_32F = 68;
constexpr int CUBLAS_GEMM_DEFAULT = -1;

struct Blas {
  cublasStatus_t (*create)(cublasHandle_t *);
  cublasStatus_t (*gemmEx)(cublasHandle_t, int, int, int, int, int,
                           const void *, const void *, int, int, const void *,
                           int, int, const void *, void *, int, int, int, int);
  cublasHandle_t handle = nullptr;
};

/// Opens cuBLAS and makes a handle once; a failure is remembered, so that
/// every call reports the same reason.
const Blas *loadBlas(std::string &why) {
  struct Loaded {
    Blas blas;
    bool ok = false;
    std::string failure;
  };
  static Loaded loaded = [] {
    Loaded l;
    std::vector<std::string> names;
    if (const char *given = std::getenv("ATTN_CUBLAS"))
      names.push_back(given);
    for (const char *name : {"libcublas.so.13", "libcublas.so.12"})
      names.push_back(name);
    for (const char *home :
         {static_cast<const char *>(std::getenv("CUDA_HOME")),
          "/usr/local/cuda"})
      if (home)
        for (const char *name : {"libcublas.so.13", "libcublas.so.12"})
          names.push_back(std::string(home) + "/lib64/" + name);
    void *library = nullptr;
    for (const std::string &name : names)
      if ((library = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL)))
        break;
    if (!library) {
      l.failure = "cuBLAS not found (libcublas.so.13 or .12, in the library "
                  "path, $CUDA_HOME/lib64 or /usr/local/cuda/lib64; "
                  "$ATTN_CUBLAS names another): the model was compiled "
                  "with matmul=cublas";
      return l;
    }
    l.blas.create = reinterpret_cast<decltype(l.blas.create)>(
        dlsym(library, "cublasCreate_v2"));
    l.blas.gemmEx = reinterpret_cast<decltype(l.blas.gemmEx)>(
        dlsym(library, "cublasGemmEx"));
    if (!l.blas.create || !l.blas.gemmEx) {
      l.failure = "the cuBLAS library lacks cublasCreate_v2 or cublasGemmEx";
      return l;
    }
    if (cublasStatus_t status = l.blas.create(&l.blas.handle)) {
      l.failure = "cublasCreate failed with status " + std::to_string(status);
      return l;
    }
    l.ok = true;
    return l;
  }();
  if (!loaded.ok) {
    why = loaded.failure;
    return nullptr;
  }
  return &loaded.blas;
}
} // namespace

void attnGpuMatmulTransposedB(int64_t m, int64_t n, int64_t k, int64_t a,
                              int64_t b, int64_t c, int64_t inputType) {
  const Driver *d = rt::usableDriver();
  if (!d)
    return;
  int64_t most = std::numeric_limits<int>::max();
  if (m < 1 || n < 1 || k < 1 || m > most || n > most || k > most)
    return rt::recordFailure("attnGpuMatmulTransposedB: extents m " +
                             std::to_string(m) + ", n " + std::to_string(n) +
                             ", k " + std::to_string(k) +
                             " must lie in [1, 2^31) for cuBLAS");
  int type = inputType == 0   ? CUDA_R_32F
             : inputType == 1 ? CUDA_R_16F
             : inputType == 2 ? CUDA_R_16BF
                              : -1;
  if (type < 0)
    return rt::recordFailure("attnGpuMatmulTransposedB: unknown input type " +
                             std::to_string(inputType));
  std::string why;
  const Blas *blas = loadBlas(why);
  if (!blas)
    return rt::recordFailure(why);
  rt::countLibraryCall();
  float one = 1.0f;
  // Timed like a kernel, on the legacy default stream cuBLAS runs on.
  void *span = rt::timedBegin(nullptr);
  // Cᵀ (n x m, ldc n) += op(B) (n x k: B's k x n view, transposed; ldb k)
  // * op(A) (k x m: A's view, lda k).
  cublasStatus_t status =
      blas->gemmEx(blas->handle, CUBLAS_OP_T, CUBLAS_OP_N, int(n), int(m),
                   int(k), &one, reinterpret_cast<const void *>(b), type,
                   int(k), reinterpret_cast<const void *>(a), type, int(k),
                   &one, reinterpret_cast<void *>(c), CUDA_R_32F, int(n),
                   CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
  rt::timedEnd(span, nullptr);
  if (status)
    return rt::recordFailure("cublasGemmEx (" + std::to_string(m) + " x " +
                             std::to_string(n) + " x " + std::to_string(k) +
                             ") failed with status " + std::to_string(status));
  // The product ran on the legacy default stream, which the kernels'
  // non-blocking streams do not wait for.
  if (std::string err = checkResult(*d, d->cuCtxSynchronize(),
                                    "cuCtxSynchronize after cublasGemmEx");
      !err.empty())
    rt::recordFailure(err);
}
