"""Reads a GGUF written by `quantscope apply` with PyPI's gguf package and compares every tensor,
dequantised by gguf-py, with the fake-quantised weights quantscope wrote to a safetensors file.

usage: check_gguf.py OUT.gguf EXPECTED.safetensors
Prints one JSON object: {"tensors": N, "types": {...}, "mismatches": [...], "metadata": {...}}.
"""
import json
import sys

import gguf
import numpy as np
from gguf.quants import dequantize

from safetensors_io import read_safetensors


def main():
    reader = gguf.GGUFReader(sys.argv[1])
    expected = read_safetensors(sys.argv[2])
    mismatches, types = [], {}
    for t in reader.tensors:
        qtype = gguf.GGMLQuantizationType(t.tensor_type)
        types[t.name] = qtype.name
        values = dequantize(t.data, qtype).astype(np.float32)
        shape = [int(d) for d in reversed(t.shape.tolist())]
        want = expected[t.name]
        if list(want.shape) != shape:
            mismatches.append(f"{t.name}: shape {shape} vs {list(want.shape)}")
        elif not np.array_equal(values.reshape(want.shape).view(np.uint32), want.view(np.uint32)):
            diff = int(np.sum(values.reshape(want.shape) != want))
            mismatches.append(f"{t.name}: {diff} values differ")
    fields = {}
    for key in ("general.architecture", "general.file_type", "general.quantization_version", "bert.block_count"):
        field = reader.get_field(key)
        if field is not None:
            value = field.parts[field.data[0]]
            fields[key] = value.tobytes().decode() if field.types[0] == gguf.GGUFValueType.STRING else int(value[0])
    print(json.dumps({"tensors": len(reader.tensors), "types": types, "mismatches": mismatches, "metadata": fields}))


if __name__ == "__main__":
    main()
