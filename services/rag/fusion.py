"""Weighted reciprocal rank fusion of several ranked lists.

RRF scores an item by ``sum(weight / (k + rank))`` over the lists it appears in.
It needs no score calibration between retrievers, which is why it suits dense
cosine similarities and BM25 scores that live on unrelated scales.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TypeVar

Item = TypeVar("Item", bound=Hashable)


def reciprocal_rank_fusion(rankings: Sequence[tuple[float, Sequence[Item]]], k: int = 60) -> list[tuple[Item, float]]:
    """``rankings`` holds (weight, items best first); returns (item, fused score), best first.

    Ties keep the order in which items were first seen, so the result is deterministic.
    """
    scores: dict[Item, float] = {}
    for weight, items in rankings:
        for rank, item in enumerate(items, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda pair: -pair[1])
