"""A sequence exercise's worked solution, step by step: the Problem section's recurrent
layer (problem.py), the forward pass t = 1..T (forward.py), the backward pass t = T..1
(backward.py), the gradients summed over time (sums.py), the update gate by gate
(update.py); timesteps.py holds what they share (the Notation's rules for steps)."""
