"""RaspiSMS's SMS commands through the daemon over a pty: argv, output back by SMS, refusals."""

from __future__ import annotations

import json
import sys

from rules_rig import settle
from structlog.testing import capture_logs
from support.polling import until

from smsd.matching import Command
from smsd.runtime.commands import MAX_OUTPUT, run_command

ADMIN = "+33612345678"
SCRIPT = """
import json, os, sys
with open(sys.argv[1], "a", encoding="utf-8") as out:
    out.write(json.dumps({"argv": sys.argv[2:], "stdin": sys.stdin.read(),
                          "origin": os.environ.get("SMSD_ORIGIN")}) + "\\n")
print("uptime 3 days;", " | ".join(sys.argv[2:]))
"""


def _commands(tmp_path, *, reply: bool = True, timeout: float = 10) -> str:
    script = tmp_path / "command.py"
    script.write_text(SCRIPT, encoding="utf-8")
    runs = tmp_path / "runs.jsonl"
    argv = [sys.executable, str(script), str(runs), "alpha", "$HOME; rm -rf /tmp/x", "{{ x }}"]
    return f"""
[[commands]]
name = "status"
argv = {json.dumps(argv)}
password = "s3cret-pass"
allowed_numbers = ["{ADMIN}"]
reply = {"true" if reply else "false"}
timeout = {timeout}
"""


def _runs(tmp_path) -> list[dict]:
    path = tmp_path / "runs.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


async def test_a_command_runs_with_its_argv_and_its_output_comes_back(rig, tmp_path) -> None:
    with capture_logs() as logs:
        daemon = await rig.start(_commands(tmp_path))
        await rig.modems["m1"].deliver(ADMIN, "s3cret-pass:status")
        await until(lambda: rig.sent_texts(to=ADMIN))
    [run] = _runs(tmp_path)
    # Every argument reached the program as written: no shell, no template.
    assert run == {"argv": ["alpha", "$HOME; rm -rf /tmp/x", "{{ x }}"], "stdin": "",
                   "origin": ADMIN}  # fmt: skip
    assert rig.sent_texts(to=ADMIN) == [
        "status: exit 0\nuptime 3 days; alpha | $HOME; rm -rf /tmp/x | {{ x }}"
    ]
    received = await daemon.db.fetchone("SELECT command FROM received")
    assert received["command"] == 1
    events = [entry["event"] for entry in logs]
    assert "command_started" in events
    finished = next(entry for entry in logs if entry["event"] == "command_finished")
    assert (finished["exit_code"], finished["origin"]) == (0, ADMIN)


async def test_a_wrong_password_or_number_runs_nothing_and_is_logged(rig, tmp_path) -> None:
    with capture_logs() as logs:
        daemon = await rig.start(_commands(tmp_path))
        await rig.modems["m1"].deliver(ADMIN, "wrong-pass:status")
        await rig.modems["m1"].deliver("+33699999999", "s3cret-pass:status")
        handled = "SELECT count(*) FROM received WHERE command = 1"
        await until(lambda: _equals(daemon.db, handled, 2))
        await settle(1.0)
    assert _runs(tmp_path) == []
    assert rig.sent() == []
    refused = [entry for entry in logs if entry["event"] == "command_refused"]
    assert [(e["origin"], e["reason"]) for e in refused] == [
        (ADMIN, "wrong password"),
        ("+33699999999", "number not allowed"),
    ]
    assert all("s3cret" not in json.dumps(e) and "wrong-pass" not in json.dumps(e) for e in logs)


async def test_a_command_that_hangs_is_stopped_at_its_timeout(rig, tmp_path) -> None:
    script = tmp_path / "hang.py"
    script.write_text("import time\nprint('starting', flush=True)\ntime.sleep(60)\n")
    config = f"""
[[commands]]
name = "hang"
argv = {json.dumps([sys.executable, str(script)])}
password = "s3cret-pass"
allowed_numbers = ["{ADMIN}"]
reply = true
timeout = 0.5
"""
    await rig.start(config)
    await rig.modems["m1"].deliver(ADMIN, "s3cret-pass:hang")
    await until(lambda: rig.sent_texts(to=ADMIN))
    assert rig.sent_texts(to=ADMIN) == ["hang: stopped after 0.5 s\nstarting"]


async def _equals(db, sql: str, expected: int) -> bool:
    found = await db.fetchone(sql)
    return int(found[0]) == expected


async def test_a_chatty_command_never_blocks_and_its_output_is_bounded(tmp_path) -> None:
    script = tmp_path / "chatty.py"
    script.write_text("import sys\nsys.stdout.write('x' * 1_000_000)\nsys.exit(3)\n")
    command = Command(
        name="chatty",
        argv=(sys.executable, str(script)),
        password="s3cret-pass",  # noqa: S106 - a test's command password
        allowed_numbers=(ADMIN,),
        reply=True,
        timeout=20,
    )
    outcome = await run_command(command, origin=ADMIN)
    assert (outcome.code, outcome.timed_out) == (3, False)
    assert len(outcome.output) == MAX_OUTPUT
    missing = await run_command(
        Command("gone", ("/nonexistent/program",), "s3cret-pass", (ADMIN,)), origin=ADMIN
    )
    assert missing.code is None
    assert missing.error
