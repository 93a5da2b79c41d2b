"""`backprop draw`: registered on the `cli` group by cli.py (being written)."""
