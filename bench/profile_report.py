"""Top functions by self and total samples from a py-spy ``--format raw`` (collapsed) file.

Idle samples are left out by py-spy itself (no ``--idle``); what remains is split between the
event-loop thread (stacks through ``run_forever``) and the other threads (the store's writer and
reader, the default executor), because the loop thread is the one that bounds throughput.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

Table = list[tuple[str, int]]


def _tables(stacks: list[tuple[list[str], int]], count: int) -> dict[str, Table]:
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for frames, weight in stacks:
        own[frames[-1]] += weight
        for frame in set(frames):
            total[frame] += weight
    return {"self": own.most_common(count), "total": total.most_common(count)}


def top_functions(path: Path, count: int) -> dict[str, object]:
    """Samples per thread kind, and the top ``count`` frames by self and total samples."""
    loop: list[tuple[list[str], int]] = []
    other: list[tuple[list[str], int]] = []
    if path.exists():
        for line in path.read_text(errors="replace").splitlines():
            stack, _, weight = line.rpartition(" ")
            if not stack or not weight.isdigit():
                continue
            frames = stack.split(";")
            kind = loop if any("run_forever" in frame for frame in frames) else other
            kind.append((frames, int(weight)))
    return {
        "samples": {
            "event_loop": sum(n for _, n in loop),
            "other_threads": sum(n for _, n in other),
        },
        "all": _tables(loop + other, count),
        "event_loop": _tables(loop, count),
    }
