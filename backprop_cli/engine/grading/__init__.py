"""Marking a person's own answers (`backprop grade`): numpy only, like the rest of the engine.

    graph     the quantities of one model as a dependency graph (Node, Rule)
    rules     how each dense quantity is computed from its inputs, any leading dimensions
    layers/   the same for each layer kind (batch norm, layer norm, dropout): one table
    skips     residual connections: h_k added to a_l, ∂L/∂a_l to ∂L/∂h_k
    penalty   the L2 penalty: the loss's parts, its term in ∂L/∂W
    after     the loss after the update: the forward pass again, through every kind
    defaults  DEFAULT, every node kind's rule
    worlds    every quantity recomputed from a person's own answers, with the uncertainty
              their written precision leaves (finite differences, vectorised over sheets)
    precision the exercise's precision: decimal places, significant figures, rtol/atol
    verdicts  tolerance from the precision and the digits written, verdicts per entry
    carry     `arithmetic`, and what a carried answer carries (slips, sources)
    marking   mark(): the exact solution, the person's world, one world per known slip

The catalogue of slips is engine/slips/: each slip is a variant of a rule here.
"""
