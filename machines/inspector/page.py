"""The inspector page: static HTML around an embedded, compressed payload and one script.

Security [decision]: the page loads nothing. Its Content-Security-Policy is
``default-src 'none'`` with the inline script and the inline style allowed by their SHA-256
hashes only (no ``'unsafe-inline'``), ``base-uri 'none'`` and ``form-action 'none'``; the
payload is base64 inside a non-executable ``<script type="application/octet-stream">``. Every
text from the trace reaches the page either escaped by :func:`html.escape` (title, header)
or through ``textContent`` in the script (never ``innerHTML``), so a token such as
``<img src=x onerror=alert(1)>`` is shown as text.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import zlib
from importlib import resources

from apmdm.machines.inspector.payload import build_payload
from apmdm.machines.trace import Trace

LEGEND = (("unmasked", "unmasked this step"), ("remasked", "remasked this step"),
          ("inserted", "inserted this step"), ("deleted", "mask deleted by the next step"),
          ("mask", "MASK"), ("token", "token (unchanged)"), ("current", "current step"))


def _asset(name: str) -> str:
    return resources.files("apmdm.machines.inspector").joinpath(name).read_text("utf-8")


def _sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()


def content_security_policy(script: str, style: str) -> str:
    return (f"default-src 'none'; script-src '{_sha256(script)}'; "
            f"style-src '{_sha256(style)}'; base-uri 'none'; form-action 'none'")


def encode_payload(payload: dict) -> str:
    """JSON (compact, ASCII), zlib level 6, base64: what the page's script inflates with
    ``DecompressionStream('deflate')``."""
    data = json.dumps(payload, separators=(",", ":"), ensure_ascii=True, allow_nan=False)
    return base64.b64encode(zlib.compress(data.encode("ascii"), 6)).decode("ascii")


def _title(trace: Trace) -> str:
    p = trace.parameters
    what = p.get("program") or p.get("machine") or trace.construction
    size = p.get("n", p.get("m"))
    return f"{trace.construction} · {what}" + (f" · n = {size}" if size is not None else "")


def render_inspector(trace: Trace, states: list | None = None, note: str = "") -> str:
    """The whole page for ``trace``; ``states`` is the decoded state of each canvas (initial
    and after every step) or None, ``note`` says where it came from or why it is missing."""
    script, style = _asset("inspector.js"), _asset("inspector.css")
    e = html.escape
    legend = "".join(f'<span class="sw {cls}"></span><span class="lt">{e(text)}</span>'
                     for cls, text in LEGEND)
    title = _title(trace)
    return "".join([
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n",
        '<meta http-equiv="Content-Security-Policy" content="',
        e(content_security_policy(script, style), quote=False), '">\n',
        f"<title>apmdm trace: {e(title)}</title>\n<style>{style}</style>\n</head><body>\n",
        f'<h1>{e(title)} <small>({e(trace.model.value)})</small></h1>\n',
        '<p id="status">loading the trace…</p>\n',
        '<section id="summary"></section>\n',
        '<nav id="controls"><button id="first" title="Home">|&lt;</button>'
        '<button id="prev" title="Left arrow">&lt;</button>'
        '<input type="range" id="slider" min="0" max="0" value="0" aria-label="step">'
        '<button id="next" title="Right arrow">&gt;</button>'
        '<button id="last" title="End">&gt;|</button>'
        '<span id="stepinfo"></span></nav>\n',
        f'<div id="legend">{legend}</div>\n',
        '<div id="main"><div id="left"><h2>Space-time (position &rarr;, step &darr;)</h2>'
        '<div id="stwrap"><canvas id="st" width="10" height="10"></canvas></div>'
        '<h2>Canvas at this step</h2><div id="cells"></div></div>\n'
        '<div id="right"><h2>Selected token</h2><div id="fields">click a cell</div>'
        '<h2>Decoded state</h2><div id="changes"></div><div id="state"></div></div></div>\n',
        '<div id="tip" hidden></div>\n',
        '<script id="payload" type="application/octet-stream">',
        encode_payload(build_payload(trace, states, note)), "</script>\n",
        f"<script>{script}</script>\n</body></html>\n",
    ])
