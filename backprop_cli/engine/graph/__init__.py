"""Computational graphs (`backprop graph`), numpy only like the rest of the engine.

    ops      every operation and function: its value beside its derivatives, domains
    program  a Program of named steps, evaluated forward and differentiated backward
"""
