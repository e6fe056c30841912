"""Split test for a story that may hold two: a local repair, never a reclustering.

An early, vague report can join the wrong story, and the centroid, now a blend, draws the next
reports of both events: two stories on one subject (two Falcao transfer stories, two Liverpool
stories) grow as one. When a story reaches a checkpoint size (6, then about every x1.5), its
members alone are bisected by spherical 2-means (a few seeded starts, the best objective kept)
and the two parts are compared by their *separation*:

    mean cosine between parts / sqrt(mean cosine within part A * mean cosine within part B)

all three computed from the parts' vector sums, since the vectors are unit. A story about one
event gives parts that are nearly as similar to each other as within themselves (separation
near 1); two events give a low separation. The ratio, unlike the raw centroid cosine, does not
fall as the parts get smaller. Each part must hold `min_part` members, so that a single odd
report is never split off on its own.
"""

from __future__ import annotations

import math
import random

from bot.nlp.stories.vectors import Vector, add_into, dot

FIRST_CHECK = 6  # test a story when it reaches this many members...
GROWTH = 1.5  # ... and again each time it has grown by this factor


def next_check(size: int) -> int:
    """The member count at which a story of `size` members is tested next."""
    return max(FIRST_CHECK, int(size * GROWTH) + 1)


def separation(one: Vector, two: Vector, n_one: int, n_two: int) -> float:
    """Mean between-part cosine over the geometric mean of the within-part means (see above).

    `one` and `two` are sums of `n_one` and `n_two` unit vectors, each at least 2.
    """
    within_one = (dot(one, one) - n_one) / (n_one * (n_one - 1))
    within_two = (dot(two, two) - n_two) / (n_two * (n_two - 1))
    between = dot(one, two) / (n_one * n_two)
    return between / math.sqrt(max(within_one, 1e-9) * max(within_two, 1e-9))


def bisect(
    vectors: list[Vector], min_part: int, seed: int, starts: int = 4, rounds: int = 8
) -> tuple[list[bool], float] | None:
    """The best 2-way split of unit vectors with both parts of `min_part` or more members, and
    its separation; None when there is none. Deterministic for a given seed."""
    n = len(vectors)
    if n < 2 * min_part:
        return None
    rng = random.Random(seed)
    total: Vector = {}
    for v in vectors:
        add_into(total, v)
    best: tuple[float, list[bool], Vector, Vector] | None = None
    for start in range(starts):
        # First start: the member least like the whole; then random members. The second seed
        # is the member least like the first.
        a = min(range(n), key=lambda i: dot(vectors[i], total)) if start == 0 else rng.randrange(n)
        b = min((i for i in range(n) if i != a), key=lambda i: dot(vectors[i], vectors[a]))
        one, two = dict(vectors[a]), dict(vectors[b])
        labels: list[bool] = []
        for _ in range(rounds):
            norm_one = math.sqrt(dot(one, one)) or 1.0
            norm_two = math.sqrt(dot(two, two)) or 1.0
            new = [dot(v, one) / norm_one >= dot(v, two) / norm_two for v in vectors]
            if new == labels:
                break
            labels = new
            one, two = {}, {}
            for v, side in zip(vectors, labels, strict=True):
                add_into(one if side else two, v)
        size = sum(labels)
        if min(size, n - size) < min_part:
            continue
        objective = math.sqrt(dot(one, one)) + math.sqrt(dot(two, two))
        if best is None or objective > best[0]:
            best = (objective, labels, one, two)
    if best is None:
        return None
    _, labels, one, two = best
    size = sum(labels)
    return labels, separation(one, two, size, n - size)
