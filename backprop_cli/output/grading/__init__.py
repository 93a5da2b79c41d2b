"""`backprop grade`'s output (the orchestration is api.marking.grade, for the command and
the API alike).

    paths     answer paths -> the graph's nodes; schemes; the batch of sheets to mark
    rows      each student's rows (path, given, verdict, points), a block of sheets at once
    report    per-student documents: JSON, CSV, Gradescope, the blank sheet
    tables    the terminal's tables
    feedback  the Markdown a student reads; formulas: each rule with their own numbers
"""
