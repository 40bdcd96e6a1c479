"""The hand-built transformer: exact average-hard attention in numpy.

Public API:

* :class:`~machines.transformer.spec.TransformerSpec` (+ ``Head``, ``MLP``, ``Layer``,
  ``TokenReadout``): the weights, as data.
* :class:`~machines.transformer.embedding.TokenCodec`: canvas <-> integer token fields.
* :func:`~machines.transformer.forward.forward`: the exact AHA forward pass (or softmax).
* :class:`~machines.transformer.model.CompiledTransformer` and
  :func:`~machines.transformer.model.transformer_next_step`: weights + codec as a next-step
  function ``canvas -> StepOutput``.
* :func:`~machines.transformer.softmax.softmax_beta_bound`: the certified inverse temperature.
* :func:`~machines.transformer.export.save_transformer` / ``load_transformer``: npz + JSON.
"""

from machines.transformer.embedding import TokenCodec
from machines.transformer.forward import ForwardResult, forward
from machines.transformer.model import CompiledTransformer, step_output, transformer_next_step
from machines.transformer.softmax import BetaBound, softmax_beta_bound
from machines.transformer.spec import MLP, Head, Layer, TokenReadout, TransformerSpec

__all__ = [
    "MLP", "BetaBound", "CompiledTransformer", "ForwardResult", "Head", "Layer", "TokenCodec",
    "TokenReadout", "TransformerSpec", "forward", "softmax_beta_bound", "step_output",
    "transformer_next_step",
]
