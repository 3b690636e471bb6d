//===- Npy.cpp - .npy reading and writing for attn-runner -----------------===//
//
// A strict reader for the header NumPy writes (a Python dict literal with
// 'descr', 'fortran_order' and 'shape') and a writer for version 1.0 files.
// The reader never trusts the file: sizes are checked before any copy, so a
// truncated or lying file is an error, never an out-of-bounds read.
//
//===----------------------------------------------------------------------===//

#include "attn/Runner/Npy.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::runner;

static constexpr char kMagic[] = "\x93NUMPY";
static constexpr size_t kMagicSize = 6;

llvm::StringRef runner::npyDescr(ElementType type) {
  switch (type) {
  case ElementType::F16:
    return "<f2";
  case ElementType::BF16:
    return "<u2";
  case ElementType::F32:
    return "<f4";
  case ElementType::F64:
    return "<f8";
  case ElementType::I64:
    return "<i8";
  case ElementType::I8:
    return "|i1";
  case ElementType::F8E4M3FN:
    // The codes' bits, as bf16 is written as its bits.
    return "|u1";
  }
  llvm_unreachable("unknown element type");
}

static std::string shapeStr(llvm::ArrayRef<int64_t> shape) {
  std::string s = "(";
  for (auto [i, d] : llvm::enumerate(shape))
    s += (i ? ", " : "") + std::to_string(d);
  return s + (shape.size() == 1 ? ",)" : ")");
}

static llvm::Error fail(llvm::StringRef path, const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 "'" + path + "': " + msg);
}

namespace {
/// The fields of an .npy header dict.
struct NpyHeader {
  std::string descr;
  bool fortranOrder = false;
  llvm::SmallVector<int64_t> shape;
};

/// Parses the Python dict literal of an .npy header. Returns an error
/// message, or an empty string on success.
class HeaderParser {
public:
  explicit HeaderParser(llvm::StringRef text) : rest(text) {}

  std::string parse(NpyHeader &header) {
    bool seenDescr = false, seenOrder = false, seenShape = false;
    if (!consume("{"))
      return "expected '{'";
    while (!consume("}")) {
      std::string key;
      if (!parseString(key) || !consume(":"))
        return "expected a quoted key and ':'";
      if (key == "descr") {
        if (!parseString(header.descr))
          return "'descr' is not a string";
        seenDescr = true;
      } else if (key == "fortran_order") {
        if (consume("True"))
          header.fortranOrder = true;
        else if (!consume("False"))
          return "'fortran_order' is not True or False";
        seenOrder = true;
      } else if (key == "shape") {
        if (!parseShape(header.shape))
          return "'shape' is not a tuple of non-negative integers";
        seenShape = true;
      } else {
        return "unknown key '" + key + "'";
      }
      if (!consume(",") && !peek("}"))
        return "expected ',' or '}'";
    }
    if (!seenDescr || !seenOrder || !seenShape)
      return "missing 'descr', 'fortran_order' or 'shape'";
    if (!rest.trim().empty())
      return "trailing characters after the dict";
    return "";
  }

private:
  bool peek(llvm::StringRef token) {
    rest = rest.ltrim();
    return rest.starts_with(token);
  }
  bool consume(llvm::StringRef token) {
    rest = rest.ltrim();
    return rest.consume_front(token);
  }
  bool parseString(std::string &out) {
    rest = rest.ltrim();
    if (rest.empty() || (rest.front() != '\'' && rest.front() != '"'))
      return false;
    char quote = rest.front();
    size_t end = rest.find(quote, 1);
    if (end == llvm::StringRef::npos)
      return false;
    out = rest.substr(1, end - 1).str();
    rest = rest.drop_front(end + 1);
    return true;
  }
  bool parseShape(llvm::SmallVector<int64_t> &shape) {
    if (!consume("("))
      return false;
    while (!consume(")")) {
      rest = rest.ltrim();
      size_t digits = rest.find_first_not_of("0123456789");
      if (digits == 0 || digits == llvm::StringRef::npos)
        return false;
      int64_t d;
      if (rest.substr(0, digits).getAsInteger(10, d) || d < 0)
        return false;
      shape.push_back(d);
      rest = rest.drop_front(digits);
      if (!consume(",") && !peek(")"))
        return false;
    }
    return true;
  }

  llvm::StringRef rest;
};
} // namespace

llvm::Expected<HostTensor> runner::readNpy(llvm::StringRef path,
                                           const TensorSignature &expected) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return fail(path, "cannot open: " + buffer.getError().message());
  llvm::StringRef bytes = (*buffer)->getBuffer();

  if (bytes.size() < kMagicSize + 2 ||
      !bytes.starts_with(llvm::StringRef(kMagic, kMagicSize)))
    return fail(path, "malformed npy: missing the \\x93NUMPY magic");
  unsigned major = uint8_t(bytes[kMagicSize]);
  size_t lengthBytes = major == 1 ? 2 : 4;
  if (major < 1 || major > 3)
    return fail(path, "malformed npy: unsupported format version " +
                          llvm::Twine(major));
  size_t prefix = kMagicSize + 2 + lengthBytes;
  if (bytes.size() < prefix)
    return fail(path, "malformed npy: truncated header length");
  uint64_t headerLength = 0;
  for (size_t i = 0; i < lengthBytes; ++i)
    headerLength |= uint64_t(uint8_t(bytes[kMagicSize + 2 + i])) << (8 * i);
  if (bytes.size() - prefix < headerLength)
    return fail(path, "malformed npy: header of " + llvm::Twine(headerLength) +
                          " bytes runs past the end of the file");

  NpyHeader header;
  std::string error =
      HeaderParser(bytes.substr(prefix, headerLength)).parse(header);
  if (!error.empty())
    return fail(path, "malformed npy header: " + error);

  llvm::StringRef want = npyDescr(expected.type);
  if (header.descr != want)
    return fail(path, "dtype mismatch: expected '" + want + "' (" +
                          elementTypeName(expected.type) +
                          ") but the file has '" + header.descr + "'");
  if (header.fortranOrder)
    return fail(path,
                "Fortran-order arrays are not supported; save in C order");
  if (llvm::ArrayRef<int64_t>(header.shape) != llvm::ArrayRef(expected.shape))
    return fail(path, "shape mismatch: expected " + shapeStr(expected.shape) +
                          " but the file has " + shapeStr(header.shape));

  HostTensor tensor(expected);
  uint64_t dataBytes = bytes.size() - prefix - headerLength;
  if (dataBytes != tensor.byteSize())
    return fail(
        path, "malformed npy: expected " + llvm::Twine(tensor.byteSize()) +
                  " bytes of data but the file has " + llvm::Twine(dataBytes));
  std::memcpy(tensor.data(), bytes.data() + prefix + headerLength,
              tensor.byteSize());
  return tensor;
}

llvm::Error runner::writeNpy(llvm::StringRef path, const HostTensor &tensor) {
  std::string dict =
      "{'descr': '" + npyDescr(tensor.type()).str() +
      "', 'fortran_order': False, 'shape': " + shapeStr(tensor.shape()) + ", }";
  // NumPy pads the header with spaces and a newline so that the data starts
  // at a multiple of 64 bytes.
  size_t unpadded = kMagicSize + 2 + 2 + dict.size() + 1;
  dict.append((64 - unpadded % 64) % 64, ' ');
  dict += '\n';
  if (dict.size() > 0xffff)
    return fail(path, "header too long for npy version 1.0");

  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_None);
  if (ec)
    return fail(path, "cannot write: " + ec.message());
  os.write(kMagic, kMagicSize);
  os << char(1) << char(0) << char(dict.size() & 0xff) << char(dict.size() >> 8)
     << dict;
  os.write(static_cast<const char *>(tensor.data()), tensor.byteSize());
  os.close();
  if (os.has_error()) {
    // An error left set would abort in the stream's destructor.
    std::error_code error = os.error();
    os.clear_error();
    return fail(path, "cannot write: " + error.message());
  }
  return llvm::Error::success();
}
