"""Reads a safetensors file into float32 numpy arrays; shared by the end-to-end reference scripts."""

import json
import struct

import numpy as np

NUMPY_TYPES = {"F32": "<f4", "F16": "<f2"}


def read_safetensors(path, dtypes=("F32", "F16")):
    """Every tensor whose dtype is in `dtypes`, by name, as float32 arrays of its shape."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__" or info["dtype"] not in dtypes:
            continue
        begin, end = info["data_offsets"]
        values = np.frombuffer(data[begin:end], dtype=NUMPY_TYPES[info["dtype"]])
        out[name] = values.astype(np.float32).reshape(info["shape"])
    return out
