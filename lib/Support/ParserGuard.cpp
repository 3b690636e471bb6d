//===- ParserGuard.cpp - inputs that crash MLIR's own parser ---------------===//

#include "attn/Support/ParserGuard.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/Twine.h"

using namespace llvm;

/// Whether `list` (what follows `[`) is a well-formed list of integers that
/// fit an int64, closed by `]`.
static bool isIntegerList(StringRef list) {
  size_t end = list.find(']');
  if (end == StringRef::npos)
    return false;
  StringRef items = list.take_front(end).trim();
  if (items.empty())
    return true;
  SmallVector<StringRef> parts;
  items.split(parts, ',');
  for (StringRef part : parts) {
    part = part.trim();
    part.consume_front("-");
    if (part.empty() || part.size() > 18 ||
        part.find_first_not_of("0123456789") != StringRef::npos)
      return false;
  }
  return true;
}

std::optional<std::string>
mlir::attn::findUnsafeIntegerList(StringRef source) {
  for (StringRef keyword : {"dimensions", "permutation"}) {
    size_t at = 0;
    while ((at = source.find(keyword, at)) != StringRef::npos) {
      size_t start = at;
      at += keyword.size();
      StringRef rest = source.drop_front(at).ltrim();
      if (!rest.consume_front("="))
        continue;
      rest = rest.ltrim();
      if (rest.consume_front("[") && isIntegerList(rest))
        continue;
      size_t line = source.take_front(start).count('\n') + 1;
      return (Twine("line ") + Twine(line) + ": `" + keyword +
              " =` must be followed by a list of integers such as [0, 2, 1, "
              "3]; MLIR's linalg parser crashes on this one rather than "
              "reporting it, so the input is refused before parsing")
          .str();
    }
  }
  return std::nullopt;
}
