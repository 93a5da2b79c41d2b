"""Pictures: the network diagram and loss curves. Matplotlib is imported only when drawing."""
