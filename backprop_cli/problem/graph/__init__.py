"""A computational-graph exercise, read and checked.

    text        how people type it: a typeset minus, `^`, reserved words
    expression  the ast-whitelist parser: an expression (or named steps) to a Program
    exercise    an exercise from the command line or a file
    variants    seeded variants of an exercise (`backprop new --graph`) in their shapes
"""
