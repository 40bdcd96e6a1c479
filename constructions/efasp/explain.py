"""Human-readable description of a compiled transformer: layers, heads, MLPs, residual.

Works from the weights' metadata alone (dimension names, head notes, gadget notes), so it
applies to any :class:`~apmdm.machines.transformer.TransformerSpec`, compiled by E-FASP or not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from apmdm.machines.transformer import TransformerSpec


@dataclass(frozen=True)
class Explanation:
    name: str
    depth: int
    width: int
    max_mlp_width: int
    hidden_units: int
    heads: int
    text: str

    def figures(self) -> dict[str, int]:
        return {"depth": self.depth, "width": self.width, "max_mlp_width": self.max_mlp_width,
                "hidden_units": self.hidden_units, "heads": self.heads}


def _reads(spec: TransformerSpec, w: np.ndarray) -> str:
    rows = np.flatnonzero(np.any(w != 0, axis=1))
    return ", ".join(spec.dim_names[r] for r in rows) or "-"


def explain(spec: TransformerSpec) -> Explanation:
    lines = [f"transformer {spec.name}: {'causal' if spec.causal else 'encoder'} mode, "
             f"max_length {spec.max_length}"]
    mlp_widths = [ly.mlp.width for ly in spec.layers if ly.mlp is not None]
    nheads = sum(len(ly.heads) for ly in spec.layers)
    lines.append(f"depth {spec.depth} layers, residual width {spec.width}, heads {nheads}, "
                 f"max MLP width {max(mlp_widths, default=0)}, hidden units {sum(mlp_widths)}")
    lines.append("embedding: token features [" + ", ".join(spec.token_features)
                 + "], position features [" + ", ".join(spec.position_features) + "]")
    for li, layer in enumerate(spec.layers):
        lines.append(f"layer {li}:")
        for h in layer.heads:
            kind = ("mean" if h.mean else "pick") + (", causal" if h.causal or spec.causal else "")
            outs = ", ".join(spec.dim_names[t] for t in h.out_dims)
            lines.append(f"  head {h.name} ({kind}, score dim {h.w_q.shape[1]}): {h.note}")
            lines.append(f"    query reads [{_reads(spec, h.w_q)}]; key reads "
                         f"[{_reads(spec, h.w_k)}]; writes [{outs}]")
        if layer.mlp is None:
            lines.append("  mlp: none")
        else:
            lines.append(f"  mlp width {layer.mlp.width}:")
            lines.extend(f"    {note}" for note in layer.mlp.notes)
    lines.append("residual layout:")
    for t, (name, rat) in enumerate(zip(spec.dim_names, spec.rational, strict=True)):
        lines.append(f"  {t:4d}  {name}{'  (rational)' if rat else ''}")
    r = spec.token_readout
    lines.append(f"readout: token ({r.kind}: {', '.join(map(str, r.labels[:12]))}"
                 f"{', ...' if len(r.labels) > 12 else ''}); controls: "
                 + ("none" if spec.control_w is None else "remask, insert, delete (logit > 0)"))
    return Explanation(spec.name, spec.depth, spec.width, max(mlp_widths, default=0),
                       sum(mlp_widths), nheads, "\n".join(lines))
