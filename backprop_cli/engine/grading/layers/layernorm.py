"""Layer norm in the marking graph: batch norm's arithmetic (norm.py) over each sample's
features (axis −1), so μ and σ² are one number per sample; γ's and β's gradients still sum
over the batch. No running statistics."""

from __future__ import annotations

from backprop_cli.engine.grading.layers import GradedKind, norm

KIND = GradedKind(norm.forward_nodes, "a_norm", norm.backward_nodes, "dh_norm", norm.RULES,
                  norm.run, norm.exact)
