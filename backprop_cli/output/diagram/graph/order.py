"""The order of a computational graph's picture, before any geometry: the column of each
node (by longest path from the inputs, each input just left of its first use), a waypoint
in each column an edge crosses (so it passes between circles), and the order within each
column that keeps edges short (a few sweeps of the barycentre heuristic). What each
operation's circle says is shown.py's."""

from __future__ import annotations

from backprop_cli.engine.graph.program import Graph

SWEEPS = 4  # passes that order each column by the mean position of its neighbours


def order(graph: Graph) -> tuple[dict, dict, dict]:
    """(column of each point, its rank in the column centred on 0, route of each edge).
    Points are the nodes' names and a waypoint (a, b, column) for each column an edge a-b
    crosses; every column is ordered to keep edges short."""
    column: dict = {}
    for n in graph.nodes:  # evaluation order: inputs come before their uses
        column[n.name] = 1 + max((column[a] for a in n.inputs if isinstance(a, str)),
                                 default=-1)
    routes: dict = {}
    for n in graph.nodes:
        for a in dict.fromkeys(a for a in n.inputs if isinstance(a, str)):
            routes[(a, n.name)] = [a, n.name]
    for n in graph.nodes:
        if n.op == "input":
            column[n.name] = min(column[b] for a, b in routes if a == n.name) - 1
    for (a, b), route in routes.items():
        route[1:-1] = [(a, b, c) for c in range(column[a] + 1, column[b])]  # waypoints
        for c, point in enumerate(route[1:-1], column[a] + 1):
            column[point] = c
    return column, _ranks(column, routes), routes


def _ranks(column: dict, routes: dict) -> dict:
    before: dict = {p: [] for p in column}
    after: dict = {p: [] for p in column}
    for route in routes.values():
        for p, q in zip(route, route[1:]):
            after[p].append(q)
            before[q].append(p)
    columns: list[list] = [[] for _ in range(max(column.values()) + 1)]
    for p in column:
        columns[column[p]].append(p)
    rank = {p: float(i) for col in columns for i, p in enumerate(col)}
    for sweep in range(SWEEPS):
        forward = sweep % 2 == 0
        for col in (columns[1:] if forward else columns[-2::-1]):
            for p in col:
                near = before[p] if forward else after[p]
                if near:
                    rank[p] = sum(rank[q] for q in near) / len(near)
            col.sort(key=lambda p: rank[p])
            for i, p in enumerate(col):
                rank[p] = float(i) - (len(col) - 1) / 2
    return rank
