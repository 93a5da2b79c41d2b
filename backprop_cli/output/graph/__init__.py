"""`backprop graph`'s output (the picture is output/diagram/graph/).

    tables  the forward and backward tables, the JSON/CSV documents
    worked  the worked solution in Markdown and LaTeX
"""
