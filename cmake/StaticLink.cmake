#===- StaticLink.cmake - link tools against static LLVM/MLIR --*- cmake -*-===#
#
# With ATTN_STATIC_TOOLS=ON, attn-runner links the static MLIR and LLVM
# archives instead of libMLIR.so and libLLVM.so, so that it runs on a machine
# with no LLVM installed; it then needs only libc, libstdc++, libz and
# libzstd there. Development builds keep the shared libraries: they link in
# seconds.
#
# Debian's packages are built for the shared libraries: their imported
# targets name `LLVM` and `MLIR` (the shared libraries) as dependencies and
# often list nothing else. So the shared libraries are removed from every
# imported target, and the tool links every MLIR archive and every LLVM
# component archive inside one --start-group/--end-group, which lets the
# linker take exactly the members that the registered dialects, passes and
# targets reach, in whatever order they reference each other.
#
#===----------------------------------------------------------------------===#

# Components and our own libraries resolve to the static archives.
set(LLVM_LINK_LLVM_DYLIB OFF)
set(MLIR_LINK_MLIR_DYLIB OFF)

get_directory_property(attn_imported_targets IMPORTED_TARGETS)
foreach(target IN LISTS attn_imported_targets)
  get_target_property(libs ${target} INTERFACE_LINK_LIBRARIES)
  if(libs)
    list(REMOVE_ITEM libs LLVM MLIR "$<LINK_ONLY:LLVM>" "$<LINK_ONLY:MLIR>")
    set_target_properties(${target} PROPERTIES INTERFACE_LINK_LIBRARIES "${libs}")
  endif()
endforeach()

file(GLOB ATTN_MLIR_ARCHIVES "${LLVM_LIBRARY_DIR}/libMLIR*.a")
find_program(ATTN_LLVM_CONFIG llvm-config HINTS "${LLVM_TOOLS_BINARY_DIR}"
             NO_DEFAULT_PATH REQUIRED)
# Every component: the linker keeps only what is referenced, so only the
# X86 (host JIT) and NVPTX (kernels) backends end up in the binary.
execute_process(
  COMMAND "${ATTN_LLVM_CONFIG}" --link-static --libfiles all
  OUTPUT_VARIABLE ATTN_LLVM_ARCHIVES OUTPUT_STRIP_TRAILING_WHITESPACE
  COMMAND_ERROR_IS_FATAL ANY)
separate_arguments(ATTN_LLVM_ARCHIVES UNIX_COMMAND "${ATTN_LLVM_ARCHIVES}")
list(FILTER ATTN_LLVM_ARCHIVES EXCLUDE REGEX "Polly")

# Links `tool` statically against MLIR and LLVM.
function(attn_link_static tool)
  target_link_libraries(${tool} PRIVATE
    -Wl,--as-needed -Wl,--start-group ${ATTN_MLIR_ARCHIVES} ${ATTN_LLVM_ARCHIVES} -Wl,--end-group
    z zstd ${CMAKE_DL_LIBS} pthread rt m)
endfunction()
