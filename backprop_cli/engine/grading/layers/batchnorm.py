"""Batch norm in the marking graph: μ, σ² and x̂ over the batch (axis −2), the affine
output, the three backward paths (norm.py, shared with layer norm), γ's and β's gradients,
and the running statistics after the update (torch's momentum rule). Eval mode: μ and σ²
are the running statistics, constants."""

from __future__ import annotations

from backprop_cli.engine.grading.layers import GradedKind, norm

KIND = GradedKind(norm.forward_nodes, "a_norm", norm.backward_nodes, "dh_norm", norm.RULES,
                  norm.run, norm.exact)
