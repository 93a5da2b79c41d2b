"""A computational graph's picture (`backprop graph --draw`), as a network's is drawn:

    order   its columns and rows, and each gate's label
    space   the plane geometry of placing labels (boxes, circles, segments, a grid)
    layout  where everything goes, in inches (no matplotlib)
    figure  the picture drawn from that layout
"""
