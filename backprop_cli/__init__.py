"""backprop: worked backpropagation exercises, exact to float64."""

__version__ = "0.1.0"
