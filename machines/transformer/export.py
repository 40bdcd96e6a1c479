"""Export and import of transformer weights: one ``.npz`` (no pickles) + a JSON layout.

File format ``apmdm-transformer`` version 2 ([decision]; version 1 lacked the digests):

* arrays (float64, integer-valued): ``embed.token`` (token features x d), ``embed.position``
  (position features x d); per layer ``l`` and head ``h``: ``layer{l}.head{h}.{w_q,w_k,w_v,
  w_o}`` (``w_o`` is the placement of the head's values into the residual, v x d); per layer
  ``layer{l}.mlp.{w1,b1,w2,b2}``; ``readout.token.{w,b}`` and ``readout.control.{w,b}``;
* ``layout.json``: a uint8 array holding the JSON layout (also written beside the npz by
  the CLI): residual dimension names and kinds, the token fields and feature definitions,
  layer order, head kinds (pick/mean, causal), readouts and the array names above, and
  ``array_digests``: per array, SHA-256 of its dtype, shape and bytes, checked on load;
  ``layout_digest``: SHA-256 of the layout itself (sorted keys, compact, without this field).

:func:`load_transformer` reads it back with ``allow_pickle=False`` and validates it, so a
file written by :func:`save_transformer` reproduces the same forward pass bit for bit.
"""

from __future__ import annotations

import hashlib
import io
import json
import struct
import zipfile
import zlib
from typing import Any

import numpy as np

from apmdm.machines.errors import ApmdmError, MalformedModelFileError
from apmdm.machines.jsonl import (
    JsonBoundError,
    escape_control,
    loads_bounded,
    write_chunks_atomic,
    write_files_atomic,
)
from apmdm.machines.tokens import token_from_json, token_to_json
from apmdm.machines.transformer.spec import MLP, Head, Layer, TokenReadout, TransformerSpec

FORMAT = "apmdm-transformer"
VERSION = 2                  # version 2: per-array SHA-256 digests in the layout
READABLE_VERSIONS = (1, 2)   # version 1 (no digests) still loads; see docs/limits.md
MAX_MEMBERS = 10_000         # arrays in one npz
MAX_MODEL_BYTES = 512 * 1024 * 1024   # uncompressed bytes of all arrays, checked before reading
MAX_LAYOUT_BYTES = 16 * 1024 * 1024

FEATURE_DEFINITIONS = {
    "one": "constant 1", "pos": "position j (0-based, re-encoded every step)",
    "pos_sq": "j^2", "pos_bit:b": "bit b of j", "is_mask": "1 iff the token is MASK",
    "field:F": "integer field F of the token (0 at MASK)", "field_sq:F": "square of field F",
    "field_eq:F:v": "1 iff field F equals v (0 at MASK)",
    "field_bit:F:b": "bit b of field F in two's complement, (v >> b) & 1 (0 at MASK)",
    "pos_div:K:O": "floor((j - O) / K)", "pos_mod:K:O": "(j - O) mod K",
}
ATTENTION = ("average-hard attention: score[i,j] = (x_i w_q).(x_j w_k); output = mean of "
             "x_j w_v over all j with maximal score (j <= i if causal), placed by w_o; a "
             "query may read one rational dimension num/den: decide the maximum on row i "
             "times den_i (integer scores), not on rounded floats")


def layout_and_arrays(spec: TransformerSpec) -> tuple[dict, dict[str, np.ndarray]]:
    arrays: dict[str, np.ndarray] = {"embed.token": spec.w_tok, "embed.position": spec.w_pos}
    layers = []
    d = spec.width
    for li, layer in enumerate(spec.layers):
        heads = []
        for hi, h in enumerate(layer.heads):
            key = f"layer{li}.head{hi}"
            w_o = np.zeros((len(h.out_dims), d))
            w_o[np.arange(len(h.out_dims)), list(h.out_dims)] = 1.0
            for nm, arr in (("w_q", h.w_q), ("w_k", h.w_k), ("w_v", h.w_v), ("w_o", w_o)):
                arrays[f"{key}.{nm}"] = arr
            heads.append({"name": h.name, "kind": "mean" if h.mean else "pick",
                          "causal": bool(h.causal or spec.causal), "out_dims": list(h.out_dims),
                          "note": h.note, "arrays": key})
        mlp = None
        if layer.mlp is not None:
            key = f"layer{li}.mlp"
            for nm in ("w1", "b1", "w2", "b2"):
                arrays[f"{key}.{nm}"] = getattr(layer.mlp, nm)
            mlp = {"width": layer.mlp.width, "notes": list(layer.mlp.notes), "arrays": key}
        layers.append({"index": li, "heads": heads, "mlp": mlp})
    r = spec.token_readout
    arrays["readout.token.w"], arrays["readout.token.b"] = r.w, r.b
    labels = [token_to_json(t) for t in r.labels] if r.kind == "vocab" else list(r.labels)
    control = None
    if spec.control_w is not None:
        arrays["readout.control.w"], arrays["readout.control.b"] = spec.control_w, spec.control_b
        control = {"logits": ["remask", "insert", "delete"], "rule": "bit set iff logit > 0",
                   "arrays": "readout.control"}
    layout = {
        "format": FORMAT, "version": VERSION, "name": spec.name,
        "mode": "causal" if spec.causal else "encoder", "max_length": spec.max_length,
        "attention": ATTENTION, "mlp": "out = relu(x w1 + b1) w2 + b2, added to the residual",
        "residual": [{"index": t, "name": nm, "kind": "rational" if rat else "integer"}
                     for t, (nm, rat) in enumerate(zip(spec.dim_names, spec.rational,
                                                       strict=True))],
        "token_fields": list(spec.field_names), "token_features": list(spec.token_features),
        "position_features": list(spec.position_features),
        "feature_definitions": FEATURE_DEFINITIONS,
        "layers": layers,
        "readouts": {"token": {"kind": r.kind, "labels": labels, "arrays": "readout.token",
                               "rule": "argmax (first on ties)" if r.kind == "vocab"
                               else "integer fields of a wide token"},
                     "control": control},
        "notes": _jsonable(spec.notes),
        "array_digests": {name: array_digest(a) for name, a in sorted(arrays.items())},
    }
    layout["layout_digest"] = layout_digest(layout)
    return layout, arrays


def layout_digest(layout: dict) -> str:
    """SHA-256 of the layout without its ``layout_digest`` field (sorted keys, compact)."""
    body = {k: v for k, v in layout.items() if k != "layout_digest"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def array_digest(a: np.ndarray) -> str:
    """SHA-256 of an array's dtype, shape and bytes (C order), as ``sha256:HEX``."""
    arr = np.ascontiguousarray(a)
    h = hashlib.sha256(f"{arr.dtype.str}{tuple(arr.shape)}".encode())
    h.update(arr.tobytes())
    return "sha256:" + h.hexdigest()


def _jsonable(obj: Any) -> Any:
    try:
        json.dumps(obj)
        return obj
    except TypeError:
        return {str(k): str(v) for k, v in dict(obj).items()}


def write_atomic(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`machines.jsonl.write_chunks_atomic`)."""
    write_chunks_atomic(path, (data,))


def save_transformer(spec: TransformerSpec, path: str, layout_path: str | None = None) -> dict:
    """Write ``spec`` to ``path`` (npz) and, if given, the JSON layout to ``layout_path``.
    All or nothing: both temp files are written before either is renamed. Returns the
    layout."""
    layout, arrays = layout_and_arrays(spec)
    text = json.dumps(layout, indent=2, sort_keys=True)
    buf = io.BytesIO()
    blob = np.frombuffer(text.encode(), dtype=np.uint8)
    np.savez_compressed(buf, **arrays, **{"layout.json": blob})   # deterministic bytes
    outputs = [(path, (buf.getvalue(),))]
    if layout_path is not None:
        outputs.append((layout_path, ((text + "\n").encode(),)))
    write_files_atomic(outputs)
    return layout


def load_transformer(path: str) -> TransformerSpec:
    """Read a file written by :func:`save_transformer`; raise MalformedModelFileError.

    Sizes are checked from the zip directory and each array's npy header before any array is
    read (at most :data:`MAX_MEMBERS` arrays, :data:`MAX_MODEL_BYTES` bytes in all, float64
    arrays and a uint8 layout only); the layout JSON is parsed with the bounds of
    :func:`machines.jsonl.loads_bounded`; a version-2 file's per-array digests are checked."""
    arrays = _read_npz(path)
    return _Loader(path, arrays).spec()


def _read_npz(path: str) -> dict[str, np.ndarray]:
    def fail(msg: str) -> MalformedModelFileError:
        return MalformedModelFileError(escape_control(f"{path}: {msg}"))

    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_MEMBERS:
                raise fail(f"{len(infos)} arrays exceed the limit {MAX_MEMBERS}")
            total = sum(i.file_size for i in infos)
            if total > MAX_MODEL_BYTES:
                raise fail(f"{total} uncompressed bytes exceed the limit {MAX_MODEL_BYTES}")
            arrays = {}
            for info in infos:
                name = info.filename
                if not name.endswith(".npy") or len(name) > 200:
                    raise fail(f"member {name[:60]!r} is not an .npy array")
                with zf.open(info) as fh:
                    version = np.lib.format.read_magic(fh)
                    if version == (1, 0):
                        shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh)
                    elif version == (2, 0):
                        shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh)
                    else:
                        raise fail(f"array {name[:-4]!r}: npy version {version}")
                    if dtype not in (np.dtype("<f8"), np.dtype("|u1")) or len(shape) > 4:
                        raise fail(f"array {name[:-4]!r}: dtype {dtype} / shape {shape} not "
                                   "allowed (float64 arrays, uint8 layout)")
                    count = int(np.prod(shape, dtype=object)) if shape else 1
                    header = fh.tell()
                    if header + count * dtype.itemsize != info.file_size:
                        raise fail(f"array {name[:-4]!r}: header shape {shape} does not match "
                                   f"its {info.file_size} bytes")
                    data = fh.read(count * dtype.itemsize)
                arr = np.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran
                                                               else "C")
                arrays[name[:-4]] = np.array(arr)
            return arrays
    except MalformedModelFileError:
        raise
    except (OSError, ValueError, zipfile.BadZipFile, EOFError, KeyError, TypeError,
            OverflowError, RuntimeError, NotImplementedError, zlib.error, struct.error,
            SyntaxError, MemoryError) as exc:
        raise fail(f"not a readable npz file ({type(exc).__name__}: "
                   f"{str(exc)[:200]})") from None


class _Loader:
    def __init__(self, path: str, arrays: dict[str, np.ndarray]):
        self.path, self.arrays = path, arrays

    def fail(self, msg: str) -> None:
        raise MalformedModelFileError(escape_control(f"{self.path}: {msg}"))

    def array(self, key: str) -> np.ndarray:
        if key not in self.arrays:
            self.fail(f"missing array {key!r}")
        a = self.arrays[key]
        if a.dtype != np.float64:
            self.fail(f"array {key!r} has dtype {a.dtype}, expected float64")
        return a

    def layout(self) -> dict:
        raw = self.arrays.get("layout.json")
        if raw is None or raw.dtype != np.uint8 or raw.ndim != 1:
            self.fail("missing layout.json")
        if raw.size > MAX_LAYOUT_BYTES:
            self.fail(f"layout.json of {raw.size} bytes exceeds {MAX_LAYOUT_BYTES}")
        try:
            lay = loads_bounded(raw.tobytes().decode())
        except (UnicodeDecodeError, json.JSONDecodeError, JsonBoundError) as exc:
            self.fail(f"layout.json is not JSON ({str(exc)[:200]})")
        if not isinstance(lay, dict) or lay.get("format") != FORMAT:
            self.fail(f"layout.json is not an {FORMAT} layout")
        version = lay.get("version")
        if isinstance(version, bool) or version not in READABLE_VERSIONS:
            self.fail(f"unsupported version {str(version)[:20]}")
        return lay

    def check_digests(self, lay: dict) -> None:
        """Version 2: every array is listed with its digest, and every digest matches."""
        if lay["version"] < 2:
            if "array_digests" in lay or "layout_digest" in lay:  # a version-2 file relabelled
                self.fail("layout.json: version 1 with digests (corrupted version field)")
            return
        if lay.get("layout_digest") != layout_digest(lay):
            self.fail("corrupted layout: layout.json does not match its layout_digest")
        digests = lay.get("array_digests")
        if not isinstance(digests, dict):
            self.fail("layout.json: field 'array_digests' must be an object")
        names = sorted(k for k in self.arrays if k != "layout.json")
        if sorted(digests) != names:
            extra = sorted(set(names) ^ set(digests))
            self.fail(f"layout.json: array_digests and the arrays differ ({extra[0][:60]!r})")
        for name in names:
            if digests[name] != array_digest(self.arrays[name]):
                self.fail(f"corrupted weights: array {name!r} does not match its digest")

    def spec(self) -> TransformerSpec:
        lay = self.layout()
        try:
            spec = self._build(lay)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError,
                ApmdmError) as exc:
            self.fail(f"layout.json is missing or has a bad entry ({type(exc).__name__}: "
                      f"{str(exc)[:200]})")
        try:
            valid = spec.validate()
        except ApmdmError as exc:
            self.fail(f"invalid weights: {str(exc)[:300]}")
        except (ValueError, TypeError, IndexError, OverflowError, FloatingPointError) as exc:
            self.fail(f"invalid weights ({type(exc).__name__}: {str(exc)[:200]})")
        self.check_digests(lay)
        return valid

    def _build(self, lay: dict) -> TransformerSpec:
        layers = []
        for entry in lay["layers"]:
            heads = []
            for h in entry["heads"]:
                key = h["arrays"]
                heads.append(Head(str(h["name"]), self.array(key + ".w_q"),
                                  self.array(key + ".w_k"), self.array(key + ".w_v"),
                                  tuple(int(t) for t in h["out_dims"]), h["kind"] == "mean",
                                  bool(h["causal"]), str(h.get("note", ""))))
            mlp = None
            if entry["mlp"] is not None:
                key = entry["mlp"]["arrays"]
                mlp = MLP(*(self.array(f"{key}.{nm}") for nm in ("w1", "b1", "w2", "b2")),
                          notes=tuple(entry["mlp"].get("notes", ())))
            layers.append(Layer(tuple(heads), mlp))
        tr = lay["readouts"]["token"]
        labels = tuple(token_from_json(t) for t in tr["labels"]) if tr["kind"] == "vocab" \
            else tuple(tr["labels"])
        readout = TokenReadout(tr["kind"], self.array("readout.token.w"),
                               self.array("readout.token.b"), labels)
        ctrl = lay["readouts"]["control"]
        cw = self.array("readout.control.w") if ctrl is not None else None
        cb = self.array("readout.control.b") if ctrl is not None else None
        res = lay["residual"]
        return TransformerSpec(
            tuple(str(r["name"]) for r in res), tuple(r["kind"] == "rational" for r in res),
            tuple(lay["token_features"]), tuple(lay["position_features"]),
            self.array("embed.token"), self.array("embed.position"), tuple(layers), readout,
            cw, cb, lay["mode"] == "causal", int(lay["max_length"]),
            tuple(lay["token_fields"]), str(lay.get("name", "")), dict(lay.get("notes", {})))
