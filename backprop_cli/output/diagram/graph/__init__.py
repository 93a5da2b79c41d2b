"""A computational graph's picture (`backprop graph --draw`), as a network's is drawn:

    order   its columns and rows
    shown   what it writes: each edge's number or rows, each node's name (and shape),
            each gate
    texts   each text's box, estimated from its characters
    space   the plane geometry of placing labels (boxes, circles, segments, a grid)
    layout  where everything goes, in inches (no matplotlib)
    figure  the picture drawn from that layout
"""
