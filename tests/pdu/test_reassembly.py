from __future__ import annotations

import pytest

from smsd.pdu import Concat
from smsd.reassembly import GroupInfo, Reassembler


def test_single_part_completes_at_once() -> None:
    r: Reassembler[str] = Reassembler(timeout=10)
    assert r.add("a", None, "x", now=0) == ["x"]
    assert r.add("a", Concat(1, 1, 1), "y", now=0) == ["y"]
    assert len(r) == 0


def test_out_of_order_and_duplicates() -> None:
    r: Reassembler[str] = Reassembler(timeout=10)
    assert r.add("a", Concat(7, 3, 3), "c", now=0) is None
    assert r.add("a", Concat(7, 3, 1), "a", now=1) is None
    assert r.add("a", Concat(7, 3, 1), "dup", now=2) is None
    assert r.add("a", Concat(7, 3, 2), "b", now=3) == ["a", "b", "c"]
    assert len(r) == 0


def test_groups_are_separated_by_key_reference_and_total() -> None:
    r: Reassembler[str] = Reassembler(timeout=10)
    assert r.add("a", Concat(1, 2, 1), "a1", now=0) is None
    assert r.add("b", Concat(1, 2, 2), "b2", now=0) is None
    assert r.add("a", Concat(1, 3, 2), "other", now=0) is None
    assert r.add("a", Concat(1, 2, 2), "a2", now=0) == ["a1", "a2"]
    assert len(r) == 2


def test_expiry_reports_missing_parts() -> None:
    r: Reassembler[str] = Reassembler(timeout=10)
    r.add("a", Concat(5, 3, 2), "b", now=0)
    assert r.expire(now=9.9) == []
    [(key, info, parts)] = r.expire(now=10)
    assert key == "a"
    assert info == GroupInfo(5, 3)
    assert parts == [None, "b", None]
    assert len(r) == 0


def test_bounded_pending_evicts_oldest() -> None:
    r: Reassembler[int] = Reassembler(timeout=100, max_pending=2)
    r.add("a", Concat(1, 2, 1), 1, now=0)
    r.add("b", Concat(1, 2, 1), 2, now=1)
    r.add("c", Concat(1, 2, 1), 3, now=2)
    assert len(r) == 2
    expired = r.expire(now=3)
    assert [(e.key, e.parts) for e in expired] == [("a", [1, None])]
    assert r.add("b", Concat(1, 2, 2), 4, now=4) == [2, 4]


def test_impossible_sequence_is_passed_through() -> None:
    r: Reassembler[str] = Reassembler(timeout=10)
    assert r.add("a", Concat(1, 2, 3), "x", now=0) == ["x"]


@pytest.mark.parametrize(("timeout", "max_pending"), [(0, 1), (1, 0)])
def test_bad_settings(timeout: float, max_pending: int) -> None:
    with pytest.raises(ValueError, match="must"):
        Reassembler(timeout=timeout, max_pending=max_pending)
