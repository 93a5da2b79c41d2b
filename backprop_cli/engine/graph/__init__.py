"""Computational graphs (`backprop graph`), numpy only like the rest of the engine.

    ops      every operation and function: its value beside its derivatives, domains
    steps    a Program: the named steps an expression is read into
    program  a Program evaluated forward and differentiated backward: the Graph
"""
