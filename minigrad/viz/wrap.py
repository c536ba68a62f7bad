"""Folding a long drawing into rows or columns, so a deep network fits a slide.

Graphviz's ``dot`` puts every node on a *rank* (a column when the flow runs left to right,
a row when it runs top to bottom) and never breaks a chain: a 10-layer network is one very
long strip. ``wrap=k`` cuts the ranks into ``k`` consecutive bands and lays the bands out
next to each other, like lines of text:

* each node gets the rank ``dot`` would give it (``flow_ranks``) and a band (``fold``);
* each band is an invisible cluster, so the bands never mix, and every band starts again
  at the first rank, since nothing pulls it after the previous one;
* an edge from one band into a later one becomes a pair of numbered connectors (a circle
  ``3`` at the end of one row and a circle ``3`` where the next row picks it up), like a
  flowchart's off-page connector, instead of a long curve across the drawing.

Only plain nodes, edges and clusters that do not nest are used: the system ``dot`` and
graphviz-pure lay the folded drawing out the same way (module clusters, which a band could
cut in two, are left out).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from graphlib import TopologicalSorter

import graphviz


def check_wrap(wrap: int | None) -> None:
    """``wrap`` is None (one strip) or a positive number of bands."""
    if wrap is None:
        return
    if isinstance(wrap, bool) or not isinstance(wrap, int):
        raise TypeError(f"wrap must be a positive int (rows or columns) or None, got {wrap!r}")
    if wrap < 1:
        raise ValueError(f"wrap must be at least 1 (the number of rows or columns), got {wrap}")


def flow_ranks(nodes: Sequence[str], edges: Iterable[tuple[str, str]]) -> dict[str, int]:
    """The rank of each node along the flow, as ``dot`` places a chain.

    Every node goes one rank after the latest of its predecessors (longest path from the
    start, so each edge points forward). A node with no predecessor but with successors (a
    weight or a bias entering the computation half-way) is then moved to the rank just before
    its first successor, where ``dot`` puts it too, instead of at the very start.
    """
    successors: dict[str, list[str]] = {node: [] for node in nodes}
    predecessors: dict[str, list[str]] = {node: [] for node in nodes}
    for tail, head in edges:
        successors[tail].append(head)
        predecessors[head].append(tail)
    rank: dict[str, int] = {}
    # A computation graph has no cycles, so a topological order exists.
    for node in TopologicalSorter(predecessors).static_order():
        rank[node] = max((rank[tail] + 1 for tail in predecessors[node]), default=0)
    for node in nodes:
        if not predecessors[node] and successors[node]:
            rank[node] = min(rank[head] for head in successors[node]) - 1
    return rank


def fold(ranks: dict[str, int], bands: int, step: int = 1) -> dict[str, int]:
    """Band of each node: the ranks cut into ``bands`` runs of equal length (the last shorter).

    ``step=2`` is for scalar drawings, where Values sit on even ranks and the operation
    ellipses between them on odd ranks: each band then starts with an operation, so a cut
    falls between a Value and the operation that uses it, never between an operation and its
    result. With fewer ranks than bands, each run of ``step`` ranks is a band of its own.
    """
    count = max(ranks.values(), default=0) + 1
    per_band = -(-count // bands)  # ceil(count / bands)
    per_band += -per_band % step  # rounded up to a whole number of steps
    return {node: max(rank - (step - 1), 0) // per_band for node, rank in ranks.items()}


def assign_bands(
    nodes: Sequence[str], edges: Sequence[tuple[str, str]], bands: int, step: int = 1
) -> dict[str, int]:
    """The band of every node: its ``flow_ranks`` rank, cut by ``fold``.

    A node entering the computation half-way (a weight, a bias) sits just before its first
    use; when that use starts a band, the node goes into that band with it, instead of
    staying alone at the end of the previous band with a connector.
    """
    ranks = flow_ranks(nodes, edges)
    band = fold(ranks, bands, step)
    first_use: dict[str, str] = {}
    has_input = {head for _, head in edges}
    for tail, head in edges:
        if tail in has_input:
            continue
        if tail not in first_use or ranks[head] < ranks[first_use[tail]]:
            first_use[tail] = head
    for node, use in first_use.items():
        band[node] = band[use]
    # A band left with no node (it held only such inputs) is dropped: number the rest 0, 1, ...
    renumber = {old: new for new, old in enumerate(sorted(set(band.values())))}
    return {node: renumber[index] for node, index in band.items()}


def connect_bands(
    band_clusters: list[graphviz.Digraph],
    crossing: list[tuple[str, str, dict[str, str]]],
    band: dict[str, int],
) -> None:
    """Draw each edge into a later band as a pair of numbered connectors.

    A real edge there would be a long curve across the whole drawing. Like a flowchart's
    off-page connector, it ends in a numbered circle in its tail's band and starts again from
    the same number in its head's band; numbers follow the reading order.
    """
    order = sorted(crossing, key=lambda edge: (band[edge[1]], band[edge[0]]))
    for number, (tail, head, style) in enumerate(order, start=1):
        leave, arrive = f"wrap{number}_from", f"wrap{number}_to"
        for connector, index in ((leave, band[tail]), (arrive, band[head])):
            band_clusters[index].node(connector, label=str(number), shape="circle", width="0.3",
                                      height="0.3", margin="0.02", fontsize="10",
                                      color="#7f7f7f")
        band_clusters[band[tail]].edge(tail, leave, **style)
        band_clusters[band[head]].edge(arrive, head)
