"""Machine instructions one message costs each thread, counted by valgrind: the same on a busy
machine as on a quiet one.

CPU time per message moves by 10-30 % from run to run on a shared virtual machine, more than
most single changes save. Instructions executed do not: this script runs ``bench/costs.py``
(the real daemon, one client posting one-segment messages one after the other, one built-in
virtual modem) under ``valgrind --tool=callgrind`` twice, with ``--small`` and ``--large``
messages, and divides the difference by the difference in messages, so that start-up and
shutdown cancel out. Per thread, in the order they were started: the event loop (with the
script's HTTP client and virtual modem, which are not the daemon's), the store's writer, the
store's reader.

Counts are of user-space instructions only (no kernel time, no fsync) and valgrind counts a
``rep stos`` / ``rep movs`` once per byte, so a 4 KiB ``memset`` weighs as 4,096. Use it to
compare two versions of the code, each checkout's own script, not as a CPU time.

    apt-get install -y valgrind
    python bench/instructions.py                   # 100 and 300 messages: about 2 minutes
    python bench/instructions.py --json instr.json
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
THREADS = ("event loop (+ client, modem)", "store writer", "store reader")
_TOTALS = re.compile(r"^totals:\s+(\d+)", re.MULTILINE)


def count(messages: int, warmup: int, workdir: Path, modems: int = 1) -> list[int]:
    """Instructions of each thread of one ``costs.py`` run, in the order the threads started."""
    out = workdir / f"callgrind-{messages}.out"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    command = [
        "valgrind",
        "--tool=callgrind",
        "--separate-threads=yes",
        f"--callgrind-out-file={out}",
        sys.executable,
        str(ROOT / "bench" / "costs.py"),
        "--messages",
        str(messages),
        "--warmup",
        str(warmup),
        "--modems",
        str(modems),
        "--no-statements",
    ]
    subprocess.run(command, check=True, env=env, capture_output=True)  # noqa: S603 - our own command
    found = []
    for thread in sorted(workdir.glob(f"{out.name}-*")):
        totals = _TOTALS.search(thread.read_text(errors="replace"))
        found.append(int(totals.group(1)) if totals else 0)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=100, help="messages of the first run")
    parser.add_argument("--large", type=int, default=300, help="messages of the second run")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--modems", type=int, default=1, help="built-in virtual modems")
    parser.add_argument("--json", help="write the figures here")
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (apt-get install -y valgrind)", file=sys.stderr)
        return 2
    if args.large <= args.small:
        parser.error("--large must be above --small")
    with tempfile.TemporaryDirectory(prefix="bench-instructions-") as tmp:
        small = count(args.small, args.warmup, Path(tmp), args.modems)
        large = count(args.large, args.warmup, Path(tmp), args.modems)
    extra = args.large - args.small
    figures = {
        (THREADS[i] if i < len(THREADS) else f"thread {i + 1}"): round((b - a) / extra)
        for i, (a, b) in enumerate(zip(small, large, strict=False))
        if abs(b - a) >= extra * 1000  # threads that run per message, not a timer's
    }
    print(
        f"instructions per one-segment message, one client, {args.modems} modem(s), "
        f"{extra} messages counted:"
    )
    for name, value in figures.items():
        print(f"  {name:<30} {value:>12,}")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
