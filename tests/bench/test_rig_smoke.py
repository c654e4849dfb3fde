"""Smoke test of the side-by-side rig: smsd only (the peers are not installed here), few messages.

It asserts what the rig must get right (every message whole on the wire, both decoders agree,
the costs are read from /proc), never a timing.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import compare  # noqa: E402
from emulator import BenchModem  # noqa: E402
from rig import Outgoing, WirePdu, verify  # noqa: E402

from smsd import pdu  # noqa: E402
from smsd.modem.virtual import Faults, Write  # noqa: E402

pytestmark = pytest.mark.timeout(60)


async def test_rig_runs_smsd_against_the_emulator(tmp_path) -> None:
    args = compare.build_parser().parse_args(
        [
            "--messages",
            "6",
            "--idle-samples",
            "2",
            "--incoming",
            "3",
            "--api-requests",
            "20",
            "--timeout",
            "30",
        ]
    )
    setup = compare.Setup("instant-4", 2, 0.0, 6)
    figures = await compare.run_setup("smsd", setup, args, tmp_path)
    burst = figures["burst"]
    assert burst["complete"]
    assert burst["whole_messages"] == 6
    assert burst["missing"] == 0
    assert burst["garbled"] == []
    assert burst["gammu_decode_disagrees"] == 0
    assert burst["segments_on_wire"] == burst["segments_expected"] > 6
    assert burst["segments_per_s"] > 0
    assert burst["cpu_ms_per_segment"] >= 0
    assert figures["peak_rss_mb"] > 5
    assert figures["incoming"]["stored"] == 3
    assert figures["api"]["accepted"] == figures["api"]["durable_rows"] == 20
    assert figures["alive"]


def test_verify_tells_missing_garbled_incomplete_and_whole_messages() -> None:
    long_text = "Part of a long message, " * 8
    parts = pdu.encode_submit("+33611111111", long_text)
    assert len(parts) == 2
    wire = [
        WirePdu("m1", pdu.encode_submit("+33612345678", "hello")[0].pdu.hex(), 1.0),
        WirePdu("m1", parts[0].pdu.hex(), 2.0),
        WirePdu("m2", pdu.encode_submit("+33622222222", "whole")[0].pdu.hex(), 3.0),
        WirePdu("m2", pdu.encode_submit("+33622222222", "whole")[0].pdu.hex(), 3.5),
    ]
    sent = [
        Outgoing("+33612345678", "goodbye", 1),
        Outgoing("+33699999999", "never sent", 1),
        Outgoing("+33611111111", long_text, 2),
        Outgoing("+33622222222", "whole", 1),
    ]
    verdict = verify(sent, wire)
    assert verdict.missing == ["+33699999999"]
    assert len(verdict.garbled) == 1
    assert verdict.garbled[0].startswith("+33612345678")
    assert verdict.incomplete == ["+33611111111"]
    assert verdict.whole == 1
    assert verdict.duplicates == 1
    assert verdict.segments == 4
    assert not verdict.ok


def _written(actions) -> bytes:
    return b"".join(action.data for action in actions if isinstance(action, Write))


def test_bench_modem_answers_portsel_and_still_takes_pdus() -> None:
    modem = BenchModem(name="m1", faults=Faults(echo=False))
    assert _written(modem.receive(b"AT^PORTSEL=1\r")) == b"\r\nOK\r\n"
    encoded = pdu.encode_submit("+33612345678", "hello")[0]
    prompt = _written(modem.receive(f"AT+CMGS={encoded.tpdu_length}\r".encode()))
    assert prompt.endswith(b"> ")
    answer = _written(modem.receive(encoded.pdu.hex().upper().encode()[:7]))
    answer += _written(modem.receive(encoded.pdu.hex().upper().encode()[7:] + b"\x1a"))
    assert b"+CMGS: " in answer
    assert answer.endswith(b"OK\r\n")
    assert [item.decoded.text for item in modem.submitted] == ["hello"]
