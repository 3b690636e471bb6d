//===- ModelInfo.cpp - parse a compiled model's description ---------------===//
//
// The description is written by attn-compile and read by the runtime it
// links with; a mismatch means an object from another version, so every
// line is checked and the first surprise is reported with its line.
//
//===----------------------------------------------------------------------===//

#include "ModelInfo.h"

#include <limits>
#include <sstream>

using namespace mlir::attn::rt;

int64_t ValueSpec::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

int64_t ValueSpec::elementBytes() const {
  if (type == "i64" || type == "index")
    return 8;
  if (type == "f32")
    return 4;
  return 2; // bf16, f16
}

static bool isKnownType(const std::string &type) {
  return type == "i64" || type == "index" || type == "f32" || type == "bf16" ||
         type == "f16";
}

std::string mlir::attn::rt::parseModelInfo(const char *text, ModelInfo &info) {
  std::istringstream lines(text);
  std::string line;
  int lineNo = 0;
  EntryInfo *entry = nullptr;
  bool ended = false, sawHeader = false;
  auto bad = [&](const std::string &why) {
    return "the model object's description, line " + std::to_string(lineNo) +
           " ('" + line + "'): " + why;
  };
  while (std::getline(lines, line)) {
    ++lineNo;
    std::istringstream words(line);
    std::string key;
    if (!(words >> key))
      continue;
    if (!sawHeader) {
      int version = 0;
      if (key != "attn-model" || !(words >> version) || version != 1)
        return bad("expected 'attn-model 1': the object was written by "
                   "another version of attn-compile");
      sawHeader = true;
      continue;
    }
    if (ended)
      return bad("text after 'end'");
    if (key == "end") {
      ended = true;
      continue;
    }
    if (key == "target") {
      if (!(words >> info.target) ||
          (info.target != "cpu" && info.target != "cuda"))
        return bad("the target must be cpu or cuda");
      continue;
    }
    int64_t *figure = key == "batch"      ? &info.batch
                      : key == "prompt"   ? &info.prompt
                      : key == "capacity" ? &info.capacity
                      : key == "vocab"    ? &info.vocab
                                          : nullptr;
    if (figure) {
      if (!(words >> *figure) || *figure < 1)
        return bad("expected a positive number");
      continue;
    }
    if (key == "entry") {
      std::string name;
      words >> name;
      entry = name == "prefill_step"  ? &info.prefill
              : name == "decode_step" ? &info.decode
                                      : nullptr;
      if (!entry)
        return bad("unknown entry '" + name + "'");
      entry->name = name;
      continue;
    }
    if (key != "arg" && key != "result")
      return bad("unknown line");
    if (!entry)
      return bad("an '" + key + "' line before any 'entry'");
    ValueSpec spec;
    std::string role;
    words >> role >> spec.type;
    using Role = ValueSpec::Role;
    if (role == "tokens")
      spec.role = Role::Tokens;
    else if (role == "position")
      spec.role = Role::Position;
    else if (role == "cache")
      spec.role = Role::Cache;
    else if (role == "weight")
      spec.role = Role::Weight;
    else if (role == "logits")
      spec.role = Role::Logits;
    else
      return bad("unknown role '" + role + "'");
    if (!isKnownType(spec.type))
      return bad("unknown element type '" + spec.type + "'");
    std::vector<std::string> rest;
    for (std::string word; words >> word;)
      rest.push_back(word);
    // A weight's name comes last, whatever characters it has.
    if (spec.role == Role::Weight) {
      if (rest.empty())
        return bad("a weight without a name");
      spec.name = rest.back();
      rest.pop_back();
    }
    int64_t elements = 1;
    for (const std::string &word : rest) {
      if (word.empty() || word.size() > 18 ||
          word.find_first_not_of("0123456789") != std::string::npos)
        return bad("unexpected '" + word + "'");
      int64_t dim = std::stoll(word);
      if (dim < 1 || elements > std::numeric_limits<int64_t>::max() / 8 / dim)
        return bad("a dimension is out of range");
      elements *= dim;
      spec.shape.push_back(dim);
    }
    if ((spec.role == Role::Position) != spec.shape.empty())
      return bad("only the position is a scalar");
    (key == "arg" ? entry->args : entry->results).push_back(spec);
  }
  if (!ended)
    return "the model object's description ends without 'end'";
  if (info.target.empty() || !info.batch || !info.prompt || !info.capacity ||
      !info.vocab || info.prefill.name.empty() || info.decode.name.empty())
    return "the model object's description lacks the target, a figure or an "
           "entry";
  return checkEntries(info);
}

std::string mlir::attn::rt::checkEntries(const ModelInfo &info) {
  using Role = ValueSpec::Role;
  // Every buffer the runtime sizes from these figures stays far inside
  // int64 (and every extent inside int32, as kernels index them).
  int64_t most = int64_t(1) << 31;
  if (info.batch >= most || info.prompt >= most || info.vocab >= most ||
      info.capacity >= most || info.prompt > info.capacity)
    return "the model object's figures are out of range (batch " +
           std::to_string(info.batch) + ", prompt " +
           std::to_string(info.prompt) + ", capacity " +
           std::to_string(info.capacity) + ", vocab " +
           std::to_string(info.vocab) + ")";
  for (const EntryInfo *entry : {&info.prefill, &info.decode}) {
    int64_t tokens = entry == &info.prefill ? info.prompt : 1;
    auto bad = [&](const std::string &why) {
      return "the model object's " + entry->name + " " + why;
    };
    const std::vector<ValueSpec> &args = entry->args, &results = entry->results;
    std::vector<int64_t> idShape{info.batch, tokens};
    if (args.size() < 2 || args[0].role != Role::Tokens ||
        args[0].type != "i64" || args[0].shape != idShape ||
        args[1].role != Role::Position)
      return bad("does not start with its token ids [" +
                 std::to_string(info.batch) + ", " + std::to_string(tokens) +
                 "] of i64 and the position");
    // Caches, then weights.
    size_t i = 2, caches = 0;
    for (; i < args.size() && args[i].role == Role::Cache; ++i, ++caches)
      ;
    for (; i < args.size(); ++i)
      if (args[i].role != Role::Weight)
        return bad("has an argument out of order: caches first, then "
                   "weights");
    std::vector<int64_t> logitShape{info.batch, tokens, info.vocab};
    if (results.empty() || results[0].role != Role::Logits ||
        results[0].type != "f32" || results[0].shape != logitShape)
      return bad("does not return its logits [" + std::to_string(info.batch) +
                 ", " + std::to_string(tokens) + ", " +
                 std::to_string(info.vocab) + "] of f32 first");
    if (results.size() != 1 + caches)
      return bad("returns " + std::to_string(results.size() - 1) +
                 " caches for " + std::to_string(caches) + " cache arguments");
    for (size_t c = 0; c < caches; ++c)
      if (results[1 + c].role != Role::Cache ||
          results[1 + c].type != args[2 + c].type ||
          results[1 + c].shape != args[2 + c].shape)
        return bad("returns cache " + std::to_string(c) +
                   " with another type than it takes");
  }
  return "";
}
