"""The HTML trace inspector: one self-contained page per trace (docs/inspector.md)."""

from apmdm.machines.inspector.page import render_inspector
from apmdm.machines.inspector.payload import build_payload

__all__ = ["build_payload", "render_inspector"]
