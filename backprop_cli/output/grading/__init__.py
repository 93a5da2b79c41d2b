"""`backprop grade`'s output: one orchestration (run.grade) for the command and the API.

    paths     answer paths -> the graph's nodes; schemes; the batch of sheets to mark
    run       grade(): read, mark, and collect each student's results
    rows      each student's rows (path, given, verdict, points), a block of sheets at once
    report    per-student documents: JSON, CSV, Gradescope, the blank sheet
    tables    the terminal's tables
    feedback  the Markdown a student reads; formulas: each rule with their own numbers
"""
