"""Export and import of transformer weights: one ``.npz`` (no pickles) + a JSON layout.

File format ``apmdm-transformer`` version 1 ([decision]):

* arrays (float64, integer-valued): ``embed.token`` (token features x d), ``embed.position``
  (position features x d); per layer ``l`` and head ``h``: ``layer{l}.head{h}.{w_q,w_k,w_v,
  w_o}`` (``w_o`` is the placement of the head's values into the residual, v x d); per layer
  ``layer{l}.mlp.{w1,b1,w2,b2}``; ``readout.token.{w,b}`` and ``readout.control.{w,b}``;
* ``layout.json``: a uint8 array holding the JSON layout (also written beside the npz by
  the CLI): residual dimension names and kinds, the token fields and feature definitions,
  layer order, head kinds (pick/mean, causal), readouts and the array names above.

:func:`load_transformer` reads it back with ``allow_pickle=False`` and validates it, so a
file written by :func:`save_transformer` reproduces the same forward pass bit for bit.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import numpy as np

from apmdm.machines.errors import ApmdmError, MalformedModelFileError
from apmdm.machines.jsonl import write_chunks_atomic
from apmdm.machines.tokens import token_from_json, token_to_json
from apmdm.machines.transformer.spec import MLP, Head, Layer, TokenReadout, TransformerSpec

FORMAT = "apmdm-transformer"
VERSION = 1

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
    }
    return layout, arrays


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
    Both writes are atomic. Returns the layout."""
    layout, arrays = layout_and_arrays(spec)
    text = json.dumps(layout, indent=2, sort_keys=True)
    buf = io.BytesIO()
    blob = np.frombuffer(text.encode(), dtype=np.uint8)
    np.savez_compressed(buf, **arrays, **{"layout.json": blob})   # deterministic bytes
    write_atomic(path, buf.getvalue())
    if layout_path is not None:
        write_atomic(layout_path, (text + "\n").encode())
    return layout


def load_transformer(path: str) -> TransformerSpec:
    """Read a file written by :func:`save_transformer`; raise MalformedModelFileError."""
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: np.array(z[k]) for k in z.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise MalformedModelFileError(f"{path}: not a readable npz file ({exc})") from None
    return _Loader(path, arrays).spec()


class _Loader:
    def __init__(self, path: str, arrays: dict[str, np.ndarray]):
        self.path, self.arrays = path, arrays

    def fail(self, msg: str) -> None:
        raise MalformedModelFileError(f"{self.path}: {msg}")

    def array(self, key: str) -> np.ndarray:
        if key not in self.arrays:
            self.fail(f"missing array {key!r}")
        a = self.arrays[key]
        if a.dtype != np.float64:
            self.fail(f"array {key!r} has dtype {a.dtype}, expected float64")
        return a

    def layout(self) -> dict:
        raw = self.arrays.get("layout.json")
        if raw is None or raw.dtype != np.uint8:
            self.fail("missing layout.json")
        try:
            lay = json.loads(raw.tobytes().decode())
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            self.fail(f"layout.json is not JSON ({exc})")
        if not isinstance(lay, dict) or lay.get("format") != FORMAT:
            self.fail(f"layout.json is not an {FORMAT} layout")
        if lay.get("version") != VERSION:
            self.fail(f"unsupported version {lay.get('version')!r}")
        return lay

    def spec(self) -> TransformerSpec:
        lay = self.layout()
        try:
            spec = self._build(lay)
        except (KeyError, TypeError, ValueError) as exc:
            self.fail(f"layout.json is missing or has a bad entry ({type(exc).__name__}: {exc})")
        try:
            return spec.validate()
        except ApmdmError as exc:
            self.fail(f"invalid weights: {exc}")
        raise AssertionError("unreachable")

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
