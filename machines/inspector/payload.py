"""The data an inspector page embeds: interned tokens, per-step events, keyframe canvases.

A page must open a 10,000-step trace of 3,000 positions in a few seconds, so it does not embed
one canvas per step. It embeds (JSON, then zlib, then base64):

* ``tokens``: every distinct token once, as ``[text, kind, json]`` (``text`` from
  :func:`machines.tokens.format_token`, ``kind`` the index of the first schema kind it
  matches or -1); canvases refer to tokens by index, MASK is -1;
* ``steps``: per step ``[unmasked, written, remasked, inserted, deleted]`` (positions of the
  canvas before the step; ``written[j]`` is the token written at ``unmasked[j]``);
* ``keys``: the whole canvas every ``every`` steps, so the page rebuilds any canvas by
  replaying at most ``every - 1`` steps from the keyframe before it;
* ``meta``, ``schema``, ``states`` (decoded state per canvas, or null) and ``note``.

Everything is computed in one pass over the steps' events plus one pass over each keyframe.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Mapping, Sequence
from typing import Any

from apmdm.machines.tokens import MASK, format_token, token_to_json
from apmdm.machines.trace import COUNTER_KEYS, Trace, TraceStep

# Keyframes hold at most about this many token ids in total (plus one per 32 steps at least).
KEYFRAME_BUDGET = 500_000
MIN_KEYFRAME_EVERY = 32


def _matches(rule: Mapping[str, Any], value: Any) -> bool:
    kind = rule.get("type")
    if kind == "int":
        return isinstance(value, int)
    if kind == "str":
        values = rule.get("values")
        return isinstance(value, str) and (values is None or value in values)
    if kind == "list":
        if not isinstance(value, list) or len(value) != rule.get("length", len(value)):
            return False
        return "tag" not in rule or (bool(value) and value[0] == rule["tag"])
    return False


def token_kind(kinds: Sequence[Mapping[str, Any]], token_json: Any) -> int:
    """Index of the first kind whose ``match`` rule accepts the token (JSON form), else -1."""
    for i, kind in enumerate(kinds):
        rule = kind.get("match") if isinstance(kind, Mapping) else None
        if isinstance(rule, Mapping) and _matches(rule, token_json):
            return i
    return -1


class _Interner:
    def __init__(self, kinds: Sequence[Mapping[str, Any]]):
        self.kinds = kinds
        self.ids: dict[Any, int] = {}
        self.table: list[list] = []

    def id(self, token: Any) -> int:
        if token is MASK:
            return -1
        i = self.ids.get(token)
        if i is None:
            i = self.ids[token] = len(self.table)
            j = token_to_json(token)
            self.table.append([format_token(token), token_kind(self.kinds, j), j])
        return i

    def canvas(self, canvas: Sequence[Any]) -> list[int]:
        return [self.id(t) for t in canvas]


def _written(step: TraceStep) -> list[Any]:
    """The tokens written at ``step.unmasked`` (after-index = i - deleted before i + inserted
    before i), in O(events · log events)."""
    ins, dele = step.inserted, step.deleted
    return [step.canvas[i - bisect_left(dele, i) + bisect_left(ins, i)] for i in step.unmasked]


def keyframe_every(trace: Trace) -> int:
    """Steps between keyframes: enough that the keyframes stay within KEYFRAME_BUDGET ids."""
    width = max(1, trace.counters.max_context)
    return max(MIN_KEYFRAME_EVERY, math.ceil(len(trace.steps) * width / KEYFRAME_BUDGET))


def build_payload(trace: Trace, states: list | None = None, note: str = "") -> dict:
    """The page's data (see the module docstring); JSON-ready, deterministic."""
    schema = trace.schema if isinstance(trace.schema, dict) else None
    kinds = schema.get("kinds", []) if schema else []
    kinds = kinds if isinstance(kinds, list) else []
    intern = _Interner(kinds)
    every = keyframe_every(trace)
    keys = [intern.canvas(trace.initial)]
    steps = []
    for s in trace.steps:
        steps.append([list(s.unmasked), [intern.id(t) for t in _written(s)], list(s.remasked),
                      list(s.inserted), list(s.deleted)])
        if s.step % every == 0:
            keys.append(intern.canvas(s.canvas))
    c = trace.counters
    meta = {"model": trace.model.value, "construction": trace.construction,
            "parameters": trace.parameters, "stop": trace.stop.value,
            "cycle_start": trace.cycle_start,
            "counters": {k: getattr(c, k) for k in COUNTER_KEYS},
            "limits": {"max_steps": trace.limits.max_steps,
                       "max_context": trace.limits.max_context}}
    return {"meta": meta, "schema": schema, "kinds": kinds, "tokens": intern.table,
            "every": every, "keys": keys, "steps": steps, "states": states, "note": note}
