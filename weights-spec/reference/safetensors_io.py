"""Minimal safetensors reader/writer on numpy (SPEC §2).

The format: an 8-byte little-endian header length N, N bytes of UTF-8 JSON,
then one byte buffer. The JSON maps each tensor name to {"dtype", "shape",
"data_offsets": [begin, end]} (offsets relative to the buffer) and may hold
"__metadata__", a string -> string map. Tensors are row-major, little-endian,
and cover the buffer without holes or overlaps.

BF16 has no numpy dtype, so it travels as uint16 bit patterns: `read` returns
BF16 tensors as numpy uint16 with the dtype reported separately, and
`bf16_to_f32` / `f32_to_bf16` convert.
"""

import json
import struct

import numpy as np

# safetensors dtype name -> numpy dtype holding the same bytes
DTYPES = {
    "F64": np.dtype("<f8"),
    "F32": np.dtype("<f4"),
    "F16": np.dtype("<f2"),
    "BF16": np.dtype("<u2"),
    "I64": np.dtype("<i8"),
    "I32": np.dtype("<i4"),
    "I16": np.dtype("<i2"),
    "I8": np.dtype("i1"),
    "U8": np.dtype("u1"),
    "BOOL": np.dtype("?"),
}

_NUMPY_TO_NAME = {
    np.dtype("float64"): "F64",
    np.dtype("float32"): "F32",
    np.dtype("float16"): "F16",
    np.dtype("int64"): "I64",
    np.dtype("int32"): "I32",
    np.dtype("int16"): "I16",
    np.dtype("int8"): "I8",
    np.dtype("uint8"): "U8",
    np.dtype("bool"): "BOOL",
}

# A header this large is a corrupt file, not a model (the reference
# implementation uses the same 100 MB bound).
MAX_HEADER_BYTES = 100_000_000


class SafetensorsError(Exception):
    pass


class TensorInfo:
    """Header entry of one tensor: what the file says, before reading data."""

    def __init__(self, name, dtype, shape, begin, end):
        self.name = name
        self.dtype = dtype
        self.shape = tuple(shape)
        self.begin = begin
        self.end = end


def bf16_to_f32(bits):
    """uint16 bf16 bit patterns -> float32 (exact: bf16 is the top half of f32)."""
    return (np.asarray(bits, dtype=np.uint16).astype(np.uint32) << 16).view(np.float32)


def f32_to_bf16(values):
    """float32 -> uint16 bf16 bit patterns, round to nearest even; NaN stays NaN."""
    bits = np.ascontiguousarray(values, dtype=np.float32).view(np.uint32)
    rounded = (bits + (((bits >> 16) & 1) + 0x7FFF)) >> 16
    # Rounding could carry a NaN payload into the infinity pattern; keep it quiet NaN.
    nan = np.isnan(values)
    rounded = np.where(nan, (bits >> 16) | 0x0040, rounded)
    return rounded.astype(np.uint16)


def read_header(path):
    """Parse and validate the header; returns (infos by name, metadata, buffer start)."""
    with open(path, "rb") as f:
        prefix = f.read(8)
        if len(prefix) < 8:
            raise SafetensorsError(f"{path}: file shorter than the 8-byte header length")
        (n,) = struct.unpack("<Q", prefix)
        if n > MAX_HEADER_BYTES:
            raise SafetensorsError(f"{path}: header length {n} is implausible")
        raw = f.read(n)
        if len(raw) < n:
            raise SafetensorsError(f"{path}: header truncated ({len(raw)} of {n} bytes)")
        f.seek(0, 2)
        size = f.tell()
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise SafetensorsError(f"{path}: header is not valid JSON: {e}") from None
    if not isinstance(header, dict):
        raise SafetensorsError(f"{path}: header is not a JSON object")

    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()
    ):
        raise SafetensorsError(f"{path}: __metadata__ must map strings to strings")

    start = 8 + n
    infos = {}
    for name, entry in header.items():
        where = f"{path}: tensor '{name}'"
        if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
            raise SafetensorsError(f"{where}: entry needs exactly dtype, shape, data_offsets")
        dtype, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
        if dtype not in DTYPES:
            raise SafetensorsError(f"{where}: unknown dtype {dtype!r}")
        if not isinstance(shape, list) or not all(isinstance(s, int) and s >= 0 for s in shape):
            raise SafetensorsError(f"{where}: shape must be a list of non-negative integers")
        if (
            not isinstance(offsets, list)
            or len(offsets) != 2
            or not all(isinstance(o, int) for o in offsets)
            or not 0 <= offsets[0] <= offsets[1]
        ):
            raise SafetensorsError(f"{where}: data_offsets must be [begin, end] with begin <= end")
        expected = int(np.prod(shape, dtype=np.int64)) * DTYPES[dtype].itemsize
        if offsets[1] - offsets[0] != expected:
            raise SafetensorsError(
                f"{where}: data_offsets span {offsets[1] - offsets[0]} bytes, "
                f"dtype {dtype} shape {shape} needs {expected}"
            )
        infos[name] = TensorInfo(name, dtype, shape, offsets[0], offsets[1])

    # The buffer must be covered exactly: no holes, no overlaps, nothing past the end.
    cursor = 0
    for info in sorted(infos.values(), key=lambda i: (i.begin, i.end)):
        if info.begin != cursor:
            raise SafetensorsError(
                f"{path}: tensor '{info.name}' starts at byte {info.begin}, expected {cursor} "
                "(holes or overlaps in the data buffer)"
            )
        cursor = info.end
    if start + cursor != size:
        raise SafetensorsError(
            f"{path}: data buffer is {size - start} bytes, tensors cover {cursor}"
        )
    return infos, metadata, start


def read(path):
    """Read a whole file: returns (tensors, dtypes, metadata).

    tensors maps name -> numpy array (uint16 bit patterns for BF16),
    dtypes maps name -> safetensors dtype name.
    """
    infos, metadata, start = read_header(path)
    with open(path, "rb") as f:
        data = f.read()
    tensors, dtypes = {}, {}
    for name, info in infos.items():
        buf = data[start + info.begin : start + info.end]
        arr = np.frombuffer(buf, dtype=DTYPES[info.dtype]).reshape(info.shape)
        tensors[name] = arr.copy()
        dtypes[name] = info.dtype
    return tensors, dtypes, metadata


def read_f32(path):
    """Read a file with every floating tensor upcast to float32; integers kept."""
    tensors, dtypes, metadata = read(path)
    out = {}
    for name, arr in tensors.items():
        if dtypes[name] == "BF16":
            out[name] = bf16_to_f32(arr)
        elif dtypes[name] in ("F16", "F32", "F64"):
            out[name] = arr.astype(np.float32)
        else:
            out[name] = arr
    return out, dtypes, metadata


def write(path, tensors, metadata=None, dtypes=None):
    """Write tensors (name -> numpy array) with optional string metadata.

    dtypes optionally maps a name to "BF16": the array must then hold uint16 bit
    patterns. Every other dtype is taken from the array. Tensors are laid out
    in name order; the header is padded with spaces to a multiple of 8 so the
    buffer starts aligned.
    """
    dtypes = dtypes or {}
    header = {}
    if metadata:
        for k, v in metadata.items():
            if not isinstance(k, str) or not isinstance(v, str):
                raise SafetensorsError(f"metadata {k!r}: keys and values must be strings")
        header["__metadata__"] = dict(metadata)
    blobs = []
    offset = 0
    for name in sorted(tensors):
        arr = np.asarray(tensors[name])
        if dtypes.get(name) == "BF16":
            if arr.dtype != np.uint16:
                raise SafetensorsError(f"tensor '{name}': BF16 needs uint16 bit patterns")
            dtype = "BF16"
        else:
            dtype = _NUMPY_TO_NAME.get(arr.dtype)
            if dtype is None:
                raise SafetensorsError(f"tensor '{name}': unsupported numpy dtype {arr.dtype}")
        blob = np.ascontiguousarray(arr, dtype=DTYPES[dtype]).tobytes()
        header[name] = {
            "dtype": dtype,
            "shape": list(arr.shape),
            "data_offsets": [offset, offset + len(blob)],
        }
        blobs.append(blob)
        offset += len(blob)
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    raw += b" " * (-len(raw) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for blob in blobs:
            f.write(blob)
