"""Marking a person's answers to a graph exercise (`backprop grade EXERCISE.yaml`): the
expression's quantities, each node's value and ∂L/∂node, as the network's marking sees a
problem's (engine/grading/graph.py: Node, Rule), so its worlds, verdicts and carrying
serve both.

    quantities  the nodes (a value and a gradient per node of the expression) and their
                rules: the engine's own operations (graph/ops: apply and vjp), applied to
                the person's own numbers, any leading axes
    marking     mark(): the person's world, one world per variant of each slip
                (engine/slips/expressions.py), verdicts, `arithmetic`, what is carried
"""
