//===- Checkpoint.cpp - the safetensors files of a model directory --------===//
//
// For a sharded checkpoint the index is the authority: a tensor is the one
// its `weight_map` entry names, and that shard must hold it. Shard names are
// plain file names, so an index cannot point outside the model directory.
//
//===----------------------------------------------------------------------===//

#include "attn/Frontend/Checkpoint.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"

using namespace mlir::attn::frontend;
namespace json = llvm::json;

static llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

static std::string join(llvm::StringRef directory, llvm::StringRef name) {
  llvm::SmallString<256> path(directory);
  llvm::sys::path::append(path, name);
  return std::string(path);
}

llvm::Expected<Checkpoint> Checkpoint::open(llvm::StringRef directory) {
  Checkpoint checkpoint;
  std::string indexPath = join(directory, "model.safetensors.index.json");
  if (!llvm::sys::fs::exists(indexPath)) {
    std::string single = join(directory, "model.safetensors");
    if (!llvm::sys::fs::exists(single))
      return fail(llvm::formatv("{0}: no model.safetensors or "
                                "model.safetensors.index.json",
                                directory));
    llvm::Expected<std::unique_ptr<SafeTensorsFile>> file =
        SafeTensorsFile::open(single);
    if (!file)
      return file.takeError();
    for (const auto &entry : (*file)->getTensors())
      checkpoint.tensors[entry.first()] = {file->get(), &entry.second};
    checkpoint.source = single;
    checkpoint.files.push_back(std::move(*file));
    return checkpoint;
  }

  checkpoint.sharded = true;
  checkpoint.source = indexPath;
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(indexPath, /*IsText=*/true);
  if (!buffer)
    return fail(llvm::formatv("{0}: cannot read: {1}", indexPath,
                              buffer.getError().message()));
  llvm::Expected<json::Value> index = json::parse((*buffer)->getBuffer());
  if (!index)
    return fail(llvm::formatv("{0}: invalid JSON: {1}", indexPath,
                              llvm::toString(index.takeError())));
  const json::Object *root = index->getAsObject();
  const json::Object *weightMap =
      root ? root->getObject("weight_map") : nullptr;
  if (!weightMap)
    return fail(llvm::formatv("{0}: missing object 'weight_map'", indexPath));

  // Sorted so that the first error does not depend on hash order.
  llvm::SmallVector<llvm::StringRef> names;
  for (const auto &entry : *weightMap)
    names.push_back(entry.first);
  llvm::sort(names);
  llvm::StringMap<const SafeTensorsFile *> opened;
  for (llvm::StringRef name : names) {
    std::optional<llvm::StringRef> shard = weightMap->getString(name);
    if (!shard)
      return fail(llvm::formatv("{0}: weight_map entry of '{1}' is not a "
                                "file name",
                                indexPath, name));
    if (shard->empty() || *shard == "." || *shard == ".." ||
        shard->find_first_of("/\\") != llvm::StringRef::npos)
      return fail(llvm::formatv("{0}: weight_map entry of '{1}' ('{2}') is "
                                "not a file name in the model directory",
                                indexPath, name, *shard));
    const SafeTensorsFile *&file = opened[*shard];
    if (!file) {
      llvm::Expected<std::unique_ptr<SafeTensorsFile>> shardFile =
          SafeTensorsFile::open(join(directory, *shard));
      if (!shardFile)
        return shardFile.takeError();
      file = shardFile->get();
      checkpoint.files.push_back(std::move(*shardFile));
    }
    const TensorInfo *info = file->lookup(name);
    if (!info)
      return fail(llvm::formatv("{0}: weight_map puts '{1}' in {2}, which has "
                                "no such tensor",
                                indexPath, name, *shard));
    checkpoint.tensors[name] = {file, info};
  }
  return checkpoint;
}

std::optional<Checkpoint::Entry>
Checkpoint::lookup(llvm::StringRef name) const {
  auto it = tensors.find(name);
  if (it == tensors.end())
    return std::nullopt;
  return it->second;
}
