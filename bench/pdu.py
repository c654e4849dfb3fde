"""Throughput of the SMS PDU codec, ours against gammu's C codec, on one core.

    python bench/pdu.py [--seconds N] [--json out.json] [--messages N]

The mix is fixed (seeded): 70 % short GSM-7 texts, 20 % two-segment GSM-7 texts, 10 % UCS-2
texts with emoji. Figures are segments per second:

* encode: text -> list of PDUs (``encode_submit``; gammu: ``EncodeSMS`` + ``EncodePDU`` per part),
* decode: PDU bytes -> message (``decode``; gammu: ``DecodePDU``), both over the same PDUs.

Targets: decode >= 50,000 segments/s and encode >= 30,000 segments/s. The process is pinned to one
CPU where the OS allows it. Each of the four measurements runs for a quarter of ``--seconds``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import sys
import time
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from smsd.pdu import decode, encode_submit

if TYPE_CHECKING:
    from collections.abc import Callable

try:
    import gammu
except ImportError:  # pragma: no cover - python-gammu is optional
    gammu = None

SEED = 20_240_305
DECODE_TARGET = 50_000.0
ENCODE_TARGET = 30_000.0

_GSM7 = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    + " " * 12
    + ".,!?:;'-()@£$éèàÖÑÜ"
)
_UCS2 = "abcdefgh ijklmnop Привет мир 你好世界 مرحبا "
_EMOJI = "😀😂👍🎉🚀❤️🙏🤖"
_SMSC = "+33609001390"


@dataclass(frozen=True)
class Message:
    destination: str
    text: str
    ucs2: bool


@dataclass(frozen=True)
class Result:
    """One measurement: segments processed per second."""

    codec: str
    operation: str
    segments: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.segments / self.seconds if self.seconds else 0.0


def build_mix(count: int, seed: int = SEED) -> list[Message]:
    """The fixed message mix: 70 % short GSM-7, 20 % two-segment GSM-7, 10 % UCS-2 with emoji."""
    rng = random.Random(seed)
    mix = []
    for _ in range(count):
        destination = "+33" + "".join(rng.choices("0123456789", k=9))
        roll = rng.random()
        if roll < 0.7:
            mix.append(
                Message(
                    destination, "".join(rng.choices(_GSM7, k=rng.randint(10, 150))), ucs2=False
                )
            )
        elif roll < 0.9:
            mix.append(
                Message(
                    destination, "".join(rng.choices(_GSM7, k=rng.randint(170, 300))), ucs2=False
                )
            )
        else:
            body = "".join(rng.choices(_UCS2 + _EMOJI, k=rng.randint(20, 110)))
            mix.append(Message(destination, body + rng.choice(_EMOJI), ucs2=True))
    return mix


def _time_passes(run_pass: Callable[[], int], budget: float) -> tuple[int, float]:
    """Repeat ``run_pass`` (which returns segments processed) until ``budget`` seconds have gone."""
    segments = 0
    elapsed = 0.0
    gc.collect()
    gc.disable()
    try:
        while elapsed < budget or segments == 0:
            start = time.perf_counter()
            segments += run_pass()
            elapsed += time.perf_counter() - start
    finally:
        gc.enable()
    return segments, elapsed


def ours_encode(mix: list[Message]) -> int:
    segments = 0
    for message in mix:
        segments += len(encode_submit(message.destination, message.text, smsc=_SMSC))
    return segments


def ours_decode(pdus: list[bytes]) -> int:
    for pdu in pdus:
        decode(pdu)
    return len(pdus)


def gammu_encode(mix: list[Message]) -> int:
    segments = 0
    smsc = {"Location": 0, "Number": _SMSC, "Validity": "NA", "Format": "Text"}
    for message in mix:
        info = {
            "Class": -1,
            "Unicode": message.ucs2,
            "Entries": [{"ID": "ConcatenatedTextLong", "Buffer": message.text}],
        }
        for part in gammu.EncodeSMS(info):
            part["Number"] = message.destination
            part["SMSC"] = smsc
            gammu.EncodePDU(part, "Submit")
            segments += 1
    return segments


def gammu_decode(pdus: list[bytes]) -> int:
    for pdu in pdus:
        gammu.DecodePDU(pdu, SMSC=True)
    return len(pdus)


def _pin_one_cpu() -> str:
    if hasattr(os, "sched_setaffinity") and hasattr(os, "sched_getaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}"
    return "not pinned"


def run(seconds: float, messages: int) -> tuple[list[Result], dict[str, object]]:
    mix = build_mix(messages)
    pdus = [e.pdu for m in mix for e in encode_submit(m.destination, m.text, smsc=_SMSC)]
    budget = seconds / 4
    results = []
    jobs: list[tuple[str, str, Callable[[], int]]] = [
        ("smsd", "encode", partial(ours_encode, mix)),
        ("smsd", "decode", partial(ours_decode, pdus)),
    ]
    if gammu is not None:
        jobs += [
            ("gammu", "encode", partial(gammu_encode, mix)),
            ("gammu", "decode", partial(gammu_decode, pdus)),
        ]
    for codec, operation, job in jobs:
        segments, elapsed = _time_passes(job, budget)
        results.append(Result(codec, operation, segments, elapsed))
    info: dict[str, object] = {
        "messages": len(mix),
        "segments_per_pass": len(pdus),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "gammu": None if gammu is None else gammu.Version()[0],
        "seed": SEED,
    }
    return results, info


def _report(results: list[Result], info: dict[str, object], cpu: str) -> dict[str, object]:
    rates = {(r.codec, r.operation): r.rate for r in results}
    print(
        f"mix: {info['messages']} messages, {info['segments_per_pass']} segments per pass "
        f"(70% short GSM-7, 20% two-segment GSM-7, 10% UCS-2 + emoji); "
        f"Python {info['python']} on {info['machine']}, {cpu}; gammu {info['gammu'] or 'absent'}"
    )
    print(f"{'operation':<10}{'smsd seg/s':>14}{'gammu seg/s':>14}{'smsd/gammu':>12}")
    for operation in ("encode", "decode"):
        ours = rates.get(("smsd", operation), 0.0)
        theirs = rates.get(("gammu", operation))
        ratio = f"{ours / theirs:.2f}" if theirs else "-"
        theirs_text = f"{theirs:,.0f}" if theirs else "-"
        print(f"{operation:<10}{ours:>14,.0f}{theirs_text:>14}{ratio:>12}")
    decode_ok = rates.get(("smsd", "decode"), 0.0) >= DECODE_TARGET
    encode_ok = rates.get(("smsd", "encode"), 0.0) >= ENCODE_TARGET
    print(f"target decode >= {DECODE_TARGET:,.0f} seg/s: {'met' if decode_ok else 'NOT met'}")
    print(f"target encode >= {ENCODE_TARGET:,.0f} seg/s: {'met' if encode_ok else 'NOT met'}")
    return {
        **info,
        "cpu": cpu,
        "results": [asdict(r) | {"segments_per_second": r.rate} for r in results],
        "targets": {
            "decode_segments_per_second": DECODE_TARGET,
            "encode_segments_per_second": ENCODE_TARGET,
            "decode_met": decode_ok,
            "encode_met": encode_ok,
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--seconds", type=float, default=20.0, help="total time measured (default 20)"
    )
    parser.add_argument(
        "--messages", type=int, default=2000, help="messages in the mix (default 2000)"
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    if args.seconds <= 0 or args.messages <= 0:
        parser.error("--seconds and --messages must be positive")
    cpu = _pin_one_cpu()
    results, info = run(args.seconds, args.messages)
    summary = _report(results, info, cpu)
    if args.json is not None:
        args.json.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
