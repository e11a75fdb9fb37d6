"""An independent numpy computation of what `quantscope eval` reports for the integer, NF4 and FP8 families,
written from the definitions in docs/spec-grammar.md (not from quantscope's code), in float32 like the tools
people compare with.

usage: numpy_eval.py MODEL.safetensors SPEC...
Prints one JSON object: {spec: {tensor: {"bytes", "mse", "max_abs_error", "sqnr_db", "cosine"}}} for every
tensor with at least two dimensions (quantscope keeps 1-D tensors by default).
"""
import json
import sys

import numpy as np

from safetensors_io import read_safetensors

F32 = np.float32

NF4_LEVELS = np.array([
    -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453,
    -0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0.0,
    0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224,
    0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0], dtype=F32)
# bitsandbytes' decision thresholds (dQuantizeNF4): x above threshold k takes level k + 1 or higher.
NF4_THRESHOLDS = np.array([
    -0.8480964004993439, -0.6106329262256622, -0.4599952697753906, -0.33967943489551544,
    -0.23460740596055984, -0.13791173323988914, -0.045525018125772476, 0.03979014977812767,
    0.1202552504837513, 0.2035212516784668, 0.2920137718319893, 0.3893125355243683,
    0.5016634166240692, 0.6427869200706482, 0.8614784181118011], dtype=F32)


def integer(w, bits, symmetric, unit, f16_scale):
    """Affine integer quantisation of each run of `unit` consecutive weights; returns (ŵ, stored bytes)."""
    x = w.reshape(-1, unit).astype(F32)
    qmax = F32(2 ** (bits - 1) - 1) if symmetric else F32(2 ** bits - 1)
    qmin = -qmax if symmetric else F32(0)
    if symmetric:
        lo = -np.abs(x).max(axis=1)
        hi = -lo
        scale = (np.maximum(-lo, hi) / qmax).astype(F32)
    else:
        lo = np.minimum(x.min(axis=1), F32(0))
        hi = np.maximum(x.max(axis=1), F32(0))
        scale = ((hi - lo) / qmax).astype(F32)
    if f16_scale:
        scale = scale.astype(np.float16).astype(F32)
    valid = (scale > 0) & np.isfinite(scale)
    inverse = np.where(valid, F32(1) / np.where(valid, scale, F32(1)), F32(0)).astype(F32)
    if symmetric:
        zero = np.zeros_like(scale)
    else:
        zero = np.clip(np.rint(-lo * inverse), 0, qmax).astype(F32)
    zero = np.where(valid, zero, F32(0))
    scale = np.where(valid, scale, F32(0))
    q = np.clip(np.rint(x * inverse[:, None]) + zero[:, None], qmin, qmax).astype(F32)
    y = ((q - zero[:, None]) * scale[:, None]).astype(F32)
    units = x.shape[0]
    size = (w.size * bits + 7) // 8 + units * (2 if f16_scale else 4) + (0 if symmetric else (units * bits + 7) // 8)
    return y.reshape(w.shape), size


def nf4(w, group):
    x = w.reshape(-1, group).astype(F32)
    absmax = np.abs(x).max(axis=1).astype(F32)
    inverse = np.where(absmax > 0, F32(1) / np.where(absmax > 0, absmax, F32(1)), F32(0)).astype(F32)
    scaled = (x * inverse[:, None]).astype(F32)
    codes = (scaled[..., None] > NF4_THRESHOLDS).sum(axis=-1)
    y = (NF4_LEVELS[codes] * absmax[:, None]).astype(F32)
    return y.reshape(w.shape), (w.size + 1) // 2 + x.shape[0] * 4


def fp8_e4m3(w, unit):
    """Per-unit scale absmax/448, w/scale rounded to nearest even on the E4M3 grid (subnormals kept, saturating)."""
    x = w.reshape(-1, unit).astype(F32)
    scale = (np.abs(x).max(axis=1) / F32(448)).astype(F32)
    safe = np.where(scale > 0, scale, F32(1))
    v = (x / safe[:, None]).astype(F32)
    magnitude = np.minimum(np.abs(v), F32(448))
    _, exponent = np.frexp(magnitude)
    e = np.maximum(exponent - 1, -6)  # binade of |v|, clamped at E4M3's smallest normal exponent
    step = np.ldexp(np.ones_like(magnitude), e - 3).astype(F32)
    rounded = np.minimum((np.rint(magnitude / step) * step).astype(F32), F32(448))
    y = (np.copysign(rounded, v) * scale[:, None]).astype(F32)
    y = np.where(scale[:, None] > 0, y, F32(0))
    return y.reshape(w.shape), w.size + x.shape[0] * 4


def quantize(spec, w):
    rows, row = w.shape[0], w.size // w.shape[0]
    if spec == "int8":
        return integer(w, 8, True, w.size, False)
    if spec == "int8-asym-channel":
        return integer(w, 8, False, row, False)
    if spec == "int4-g32":
        return integer(w, 4, True, 32, False)
    if spec == "int4-asym-g64-f16scale":
        return integer(w, 4, False, 64, True)
    if spec == "int3-channel":
        return integer(w, 3, True, row, False)
    if spec == "nf4":
        return nf4(w, 64)
    if spec == "fp8-e4m3":
        return fp8_e4m3(w, w.size)
    if spec == "fp8-e4m3-channel":
        return fp8_e4m3(w, row)
    raise SystemExit(f"numpy_eval.py: no reference for {spec}")


def main():
    tensors = read_safetensors(sys.argv[1], dtypes=("F32",))
    report = {}
    for spec in sys.argv[2:]:
        report[spec] = {}
        for name, w in tensors.items():
            if w.ndim < 2:
                continue
            y, size = quantize(spec, w)
            a, b = w.astype(np.float64).ravel(), y.astype(np.float64).ravel()
            e = b - a
            sse = float(e @ e)
            report[spec][name] = {
                "bytes": int(size),
                "mse": sse / a.size,
                "max_abs_error": float(np.abs(e).max()),
                "sqnr_db": float(10 * np.log10((a @ a) / sse)) if sse > 0 else None,
                "cosine": float((a @ b) / np.sqrt((a @ a) * (b @ b))),
            }
    json.dump(report, sys.stdout)


if __name__ == "__main__":
    main()
