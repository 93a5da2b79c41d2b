"""Marking a person's own answers (`backprop grade`): numpy only, like the rest of the engine.

    graph     the quantities of one model as a dependency graph (Node, Rule)
    rules     how each kind of quantity is computed from its inputs, any leading dimensions
    worlds    every quantity recomputed from a person's own answers, with the uncertainty
              their written precision leaves (finite differences, vectorised over sheets)
    precision the exercise's precision: decimal places, significant figures, rtol/atol
    verdicts  tolerance from the precision and the digits written, verdicts per entry
    carry     `arithmetic`, and what a carried answer carries (slips, sources)
    marking   mark(): the exact solution, the person's world, one world per known slip

The catalogue of slips is engine/slips.py: each slip is a variant of a rule here.
"""
