"""The hand-built transformer: exact average-hard attention in numpy.

Public API:

* :class:`~apmdm.machines.transformer.spec.TransformerSpec` (+ ``Head``, ``MLP``, ``Layer``,
  ``TokenReadout``): the weights, as data.
* :class:`~apmdm.machines.transformer.embedding.TokenCodec`: canvas <-> integer token fields.
* :func:`~apmdm.machines.transformer.forward.forward`: the exact AHA forward pass (or softmax).
* :class:`~apmdm.machines.transformer.model.CompiledTransformer` and
  :func:`~apmdm.machines.transformer.model.transformer_next_step`: weights + codec as a next-step
  function ``canvas -> StepOutput``.
* :func:`~apmdm.machines.transformer.softmax.softmax_beta_bound`: the certified inverse temperature.
* :func:`~apmdm.machines.transformer.export.save_transformer` / ``load_transformer``: npz + JSON.
"""

from apmdm.machines.transformer.embedding import TokenCodec
from apmdm.machines.transformer.forward import ForwardResult, forward
from apmdm.machines.transformer.model import (
    CompiledTransformer,
    step_output,
    transformer_generation_step,
    transformer_next_step,
)
from apmdm.machines.transformer.softmax import BetaBound, softmax_beta_bound
from apmdm.machines.transformer.spec import MLP, Head, Layer, TokenReadout, TransformerSpec

__all__ = [
    "MLP", "BetaBound", "CompiledTransformer", "ForwardResult", "Head", "Layer", "TokenCodec",
    "TokenReadout", "TransformerSpec", "forward", "softmax_beta_bound", "step_output",
    "transformer_generation_step", "transformer_next_step",
]
