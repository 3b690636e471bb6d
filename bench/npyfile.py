""".npy files for attn-runner, without numpy.

The GPU machine may have PyTorch without numpy, so the few .npy files the
benchmark exchanges with attn-runner are written and read here: version 1.0,
C order, little-endian. attn-runner's dtypes: f16 '<f2', f32 '<f4', and bf16
as '<u2' holding the raw bf16 bits. The header code is pure Python; the
torch functions import torch only when called.
"""
import ast
import ctypes

MAGIC = b"\x93NUMPY\x01\x00"
DESCR = {"bf16": "<u2", "f16": "<f2", "f32": "<f4"}


def header(descr, shape):
    """The bytes before the data: magic, length, and the dict padded with
    spaces and a newline to a multiple of 64 bytes, as numpy writes it."""
    dims = ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "")
    text = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (descr, dims)
    pad = -(len(MAGIC) + 2 + len(text) + 1) % 64
    text += " " * pad + "\n"
    return MAGIC + len(text).to_bytes(2, "little") + text.encode("latin1")


def parse_header(data):
    """(descr, shape, data offset) of .npy bytes; rejects what attn-runner
    does not write (other versions, Fortran order)."""
    if bytes(data[:6]) != MAGIC[:6]:
        raise ValueError("not an .npy file")
    major = data[6]
    if major == 1:
        length, start = int.from_bytes(data[8:10], "little"), 10
    elif major in (2, 3):
        length, start = int.from_bytes(data[8:12], "little"), 12
    else:
        raise ValueError(".npy version %d is not supported" % major)
    meta = ast.literal_eval(data[start:start + length].decode("latin1"))
    if meta.get("fortran_order"):
        raise ValueError("Fortran-order .npy files are not supported")
    return meta["descr"], tuple(meta["shape"]), start + length


def write_bytes(path, descr, shape, payload):
    """Writes an .npy file from a header and any buffer-protocol payload."""
    with open(path, "wb") as f:
        f.write(header(descr, shape))
        f.write(payload)


def save_tensor(path, tensor, dtype):
    """Saves a bf16 or f16 torch tensor as attn-runner reads it (bf16: its
    raw bits as '<u2'). The bytes are taken from the CPU copy's memory
    directly, which needs no numpy."""
    import torch
    bits = tensor.detach().contiguous().view(torch.int16).cpu()
    nbytes = bits.numel() * bits.element_size()
    payload = (ctypes.c_char * nbytes).from_address(bits.data_ptr())
    write_bytes(path, DESCR[dtype], tuple(tensor.shape), memoryview(payload))
    del bits  # the payload view must not outlive the tensor it points into


def load_tensor(path, dtype, device="cuda"):
    """Loads an .npy file attn-runner wrote as a bf16 or f16 torch tensor,
    checking that its dtype is the one expected."""
    import torch
    with open(path, "rb") as f:
        data = bytearray(f.read())
    descr, shape, offset = parse_header(data)
    if descr != DESCR[dtype]:
        raise ValueError("%s holds '%s', expected '%s' (%s)"
                         % (path, descr, DESCR[dtype], dtype))
    torch_dtype = {"bf16": torch.bfloat16, "f16": torch.float16}[dtype]
    count = 1
    for d in shape:
        count *= d
    bits = torch.frombuffer(data, dtype=torch.int16, count=count, offset=offset)
    return bits.view(torch_dtype).reshape(shape).to(device)
