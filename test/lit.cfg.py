# -*- Python -*-
# lit configuration of the attn-mlir regression tests.

import os
import shutil
import subprocess

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "ATTN"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.attn_obj_root, "test")
config.excludes = ["CMakeLists.txt", "Inputs", "README.md", "lit.cfg.py", "lit.site.cfg.py"]

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%attn_src_root", config.attn_src_root))
config.substitutions.append(("%attn_obj_root", config.attn_obj_root))
config.substitutions.append(("%mlir_lib_dir", config.mlir_lib_dir))
# Programs built against a compiled model: compile C with %cc, link with
# %cxx (the runtime library is C++), against %attn_runtime. A machine
# without a C compiler or the runtime library lacks the feature
# "model-object".
attn_cc = getattr(config, "attn_cc", "cc")
attn_cxx = getattr(config, "attn_cxx", "c++")
attn_runtime = os.path.join(config.attn_obj_root, "lib", "libattn_runtime.a")
config.substitutions.append(("%cc", attn_cc + " -std=c99 -Wall -Wextra -Werror -I" + os.path.join(config.attn_src_root, "include")))
config.substitutions.append(("%cxx", attn_cxx))
config.substitutions.append(("%attn_runtime", attn_runtime + " -lm -ldl"))
if (shutil.which(attn_cc.split()[0]) and shutil.which(attn_cxx.split()[0])
        and os.path.exists(attn_runtime)):
    config.available_features.add("model-object")

# Capture variables do not leak out of a CHECK-LABEL block.
config.environment["FILECHECK_OPTS"] = "--enable-var-scope"

# CUDA_HOME tells attn-runner where libdevice and ptxas are; LD_LIBRARY_PATH
# lets the test tools find their libraries on a machine without LLVM.
llvm_config.with_system_environment(
    ["HOME", "INCLUDE", "LIB", "TMP", "TEMP", "CUDA_HOME", "LD_LIBRARY_PATH"])
llvm_config.use_default_substitutions()

tool_dirs = [config.attn_tools_dir, config.llvm_tools_dir]
tools = ["attn-compile", "attn-fuzz-checkpoint", "attn-fuzz", "attn-opt", "attn-runner", "mlir-runner", "not", "split-file"]
llvm_config.add_tool_substitutions(tools, tool_dirs)

# The GPU machine's bundle may lack attn-compile (utils/run-gpu-tests.sh).
if os.path.exists(os.path.join(config.attn_tools_dir, "attn-compile")):
    config.available_features.add("attn-compile")

# ptxas assembles the PTX that the GPU pipeline emits, so tests can check
# register and spill counts without a GPU. It comes with the CUDA toolkit.
ptxas = shutil.which("ptxas") or (
    "/usr/local/cuda/bin/ptxas" if os.path.exists("/usr/local/cuda/bin/ptxas") else None)
if ptxas:
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", ptxas))
config.substitutions.append(("%extract_ptx", "python3 " + os.path.join(config.attn_src_root, "utils", "extract-ptx.py")))


def cuda_device_major():
    """Device 0's compute capability major version, or 0 when the CUDA
    driver does not load or sees no device."""
    import ctypes
    try:
        driver = ctypes.CDLL("libcuda.so.1")
    except OSError:
        return 0
    count, major = ctypes.c_int(0), ctypes.c_int(0)
    if (driver.cuInit(0) != 0 or
            driver.cuDeviceGetCount(ctypes.byref(count)) != 0 or
            count.value == 0):
        return 0
    # CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR
    if driver.cuDeviceGetAttribute(ctypes.byref(major), 75, 0) != 0:
        return 0
    return major.value


# Tests that run kernels need a GPU: test/Integration/CUDA says REQUIRES: cuda,
# and cuda-sm90 where they need sm_90 or later (griddepcontrol).
cuda_major = cuda_device_major()
if cuda_major > 0:
    config.available_features.add("cuda")
if cuda_major >= 9:
    config.available_features.add("cuda-sm90")
# The sweep on every named schedule (test/Integration/CUDA/sweep-<schedule>-*)
# costs several times the auto sweep, so it runs on request:
# lit --param sweep=all (utils/run-gpu-tests.sh passes lit's arguments on).
if lit_config.params.get("sweep") == "all":
    config.available_features.add("sweep-all-schedules")
sanitizer = shutil.which("compute-sanitizer") or (
    "/usr/local/cuda/bin/compute-sanitizer"
    if os.path.exists("/usr/local/cuda/bin/compute-sanitizer") else None)
if sanitizer:
    config.available_features.add("compute-sanitizer")
    config.substitutions.append(("%compute_sanitizer", sanitizer))


def python_imports(modules):
    """True when python3 (the interpreter the RUN lines call) imports every
    one of `modules`. Asked once per lit run, in a child process, since
    importing torch takes seconds and must not fail the configuration."""
    try:
        return subprocess.run(
            ["python3", "-c", "import " + ", ".join(modules)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, timeout=120).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


# Tests that compare with Hugging Face transformers' LlamaForCausalLM
# (test/Frontend/Inputs/transformers_compare.py) need torch and transformers.
if python_imports(["torch", "transformers"]):
    config.available_features.add("transformers")
