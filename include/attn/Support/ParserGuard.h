//===- ParserGuard.h - inputs that crash MLIR's own parser ------*- C++ -*-===//
//
// MLIR 22's linalg.broadcast and linalg.transpose parsers read their
// `dimensions =` and `permutation =` lists with parseDenseI64ArrayAttr,
// which on a malformed list (anything but `[` first, a trailing comma,
// tokens that cut the list off) stores a null attribute that
// NamedAttrList::set then dereferences: the tool crashes instead of
// reporting a parse error. The tools check their input for such lists
// before they parse it, and report them as errors.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_SUPPORT_PARSERGUARD_H
#define ATTN_SUPPORT_PARSERGUARD_H

#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>

namespace mlir::attn {

/// The first `dimensions =` or `permutation =` in `source` that is not
/// followed by a plain list of integers, as an error message naming its
/// line; nullopt when there is none. Text in comments counts too: a false
/// alarm there costs less than a crash.
std::optional<std::string> findUnsafeIntegerList(llvm::StringRef source);

} // namespace mlir::attn

#endif // ATTN_SUPPORT_PARSERGUARD_H
