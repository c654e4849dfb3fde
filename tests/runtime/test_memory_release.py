"""Memory handed back once a burst is over: the engine's housekeeping notices the burst's end."""

from __future__ import annotations

import asyncio
import ctypes.util
import platform

import pytest
from support.engine import schedule
from support.polling import until

from smsd.runtime import engine as engine_module
from smsd.runtime import memory
from smsd.runtime.memory import BurstRelease

GLIBC = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"


class _Store:
    """Counts the store's releases (the unit tests of the counting rule need nothing else)."""

    def __init__(self) -> None:
        self.released = 0

    async def release_memory(self) -> None:
        self.released += 1


async def test_one_release_after_a_burst_and_a_quiet_interval() -> None:
    store = _Store()
    release = BurstRelease(store, after=100)  # type: ignore[arg-type]
    assert not await release.tick([0, 0])  # the first look only notes the totals
    assert not await release.tick([60, 0])  # busy
    assert not await release.tick([90, 30])  # busy: 120 since the last release
    assert await release.tick([90, 30])  # quiet now: released
    assert (store.released, release.releases) == (1, 1)
    assert not await release.tick([90, 30])  # still quiet: nothing new to hand back
    assert not await release.tick([140, 30])
    assert not await release.tick([140, 30])  # 50 only: too small a burst
    assert not await release.tick([140])  # a phone removed: its 30 count as activity (80)
    assert not await release.tick([160])
    assert await release.tick([160])  # 100 since the last release, and quiet
    assert store.released == 2


async def test_a_trickle_releases_once_per_threshold_at_most() -> None:
    store = _Store()
    release = BurstRelease(store, after=100)  # type: ignore[arg-type]
    for sent in range(1, 351):  # one message, then a quiet interval, 350 times
        await release.tick([sent])
        await release.tick([sent])
    assert store.released == 3


@pytest.mark.skipif(not GLIBC, reason="malloc_trim is glibc's")
def test_trim_heap_reaches_glibc() -> None:
    assert ctypes.util.find_library("c")
    memory.trim_heap()  # True only when glibc found pages to give back: either is fine
    assert memory._trim is not None
    assert not memory._trim_missing


async def test_engine_releases_after_a_burst(rig, monkeypatch) -> None:
    monkeypatch.setattr(engine_module, "HOUSEKEEPING", 0.05)
    released: list[int] = []
    real = rig.db.release_memory

    async def counted() -> None:
        released.append(len(rig.wire()))
        await real()

    monkeypatch.setattr(rig.db, "release_memory", counted)
    rig.engine.memory = BurstRelease(rig.db, after=5)
    await rig.add("m1")
    await rig.start()
    await schedule(rig, "burst", *[f"+3361234{i:04d}" for i in range(8)])
    await until(lambda: rig.engine.memory.releases == 1)
    assert released == [8]  # after the burst's last segment, not during it
    await asyncio.sleep(0.3)  # several quiet intervals more
    assert rig.engine.memory.releases == 1
    await schedule(rig, "one more", "+33700000000")
    await asyncio.sleep(0.3)
    assert rig.engine.memory.releases == 1  # one message is no burst


ARENAS = """
import ctypes, os, sys, tempfile, threading
from smsd.runtime import memory
shared = memory.share_one_arena() if sys.argv[1] == "share" else None
kept = []
def allocate():
    kept.append([bytes(2000) for _ in range(500)])  # above pymalloc's size: glibc's malloc
threads = [threading.Thread(target=allocate) for _ in range(4)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
libc = ctypes.CDLL(None)
libc.fopen.restype = ctypes.c_void_p
path = os.path.join(tempfile.mkdtemp(), "info.xml")
out = libc.fopen(path.encode(), b"w")
libc.malloc_info(0, ctypes.c_void_p(out))
libc.fclose(ctypes.c_void_p(out))
print(shared, open(path).read().count("<heap nr="))
"""


def _arenas(tmp_path, mode: str, **env: str) -> tuple[str, int]:
    import os  # noqa: PLC0415
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    script = tmp_path / "arenas.py"
    script.write_text(ARENAS, encoding="utf-8")
    environment = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    environment.update(env)
    done = subprocess.run(
        [sys.executable, str(script), mode],
        capture_output=True,
        text=True,
        check=True,
        env=environment,
        timeout=60,
    )
    shared, heaps = done.stdout.split()
    return shared, int(heaps)


@pytest.mark.skipif(not GLIBC, reason="malloc arenas are glibc's")
def test_threads_share_one_arena(tmp_path) -> None:
    _shared, heaps = _arenas(tmp_path, "default")
    assert heaps > 1  # each thread that allocates gets its own
    assert _arenas(tmp_path, "share") == ("True", 1)
    # An administrator's own choice in the environment is left as it is.
    assert _arenas(tmp_path, "share", MALLOC_ARENA_MAX="2") == ("False", 2)
