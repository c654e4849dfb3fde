"""Start-up failures a user can cause: one line naming what failed and how to fix it, exit code 1
(2 for the configuration), no traceback, and nothing half-done (no database created, no key
printed that the next start would not show again, a running daemon left alone)."""

from __future__ import annotations

import errno
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support import daemon_config, daemon_process

from smsd.config import TcpListen, UnixListen, default_config
from smsd.daemon import announce_keys, ensure_users
from smsd.startup import _listen_failure
from smsd.store import accounts
from smsd.store.db import Database

KEY = "0123456789abcdef0123456789abcdef"
USERS = "\n" + daemon_config.user("ops@example.org", KEY, admin=True)
VIRTUAL = "\n" + daemon_config.phone("virtual-1", "virtual")


def write(tmp_path: Path, *, listen: str = "127.0.0.1:0", database: str = "smsd.sqlite3",
          users: str = USERS, phones: str = VIRTUAL) -> Path:  # fmt: skip
    return daemon_config.write(
        tmp_path,
        daemon_config.daemon(database=database),
        daemon_config.api(listen) + users + phones,
    )


def smsd(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "smsd", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def refused(config: Path, *expected: str, code: int = 1) -> str:
    """Run ``smsd run``: it fails with ``code`` and one line on stderr containing ``expected``."""
    done = smsd("run", "--config", str(config))
    assert done.returncode == code, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("smsd: ")
    for text in expected:
        assert text in lines[0], lines[0]
    assert "Traceback" not in done.stderr + done.stdout
    assert "API key" not in done.stdout
    assert "phone_added" not in done.stdout  # no modem opened, nothing recovered
    assert "sending_interrupted" not in done.stdout
    return lines[0]


@pytest.fixture
def taken_port():
    sock = socket.create_server(("127.0.0.1", 0))
    yield sock.getsockname()[1]
    sock.close()


def test_port_in_use(tmp_path: Path, taken_port: int) -> None:
    config = write(tmp_path, listen=f"127.0.0.1:{taken_port}", users="")
    refused(config, f"127.0.0.1:{taken_port}", "another program already listens", "[api] listen")
    assert not (tmp_path / "smsd.sqlite3").exists()  # nothing done: no database, no admin


def test_a_generated_key_is_printed_once_the_daemon_serves(tmp_path: Path, taken_port) -> None:
    config = write(tmp_path, listen=f"127.0.0.1:{taken_port}", users="")
    refused(config, "already listens")
    write(tmp_path, users="")
    process = subprocess.Popen(
        daemon_process.command(config),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    with process, process.stdout:
        assert process.stdout is not None
        seen = []
        for line in process.stdout:
            seen.append(line)
            if "created user" in line:
                break
        assert "created user admin@localhost with API key" in seen[-1], seen
        assert any("api_listening" in line for line in seen)  # printed once it serves
        process.terminate()
        process.wait(timeout=20)


def test_address_not_on_this_machine(tmp_path: Path) -> None:
    refused(write(tmp_path, listen="192.0.2.1:8080"), "not on this machine")


def test_socket_directory_missing(tmp_path: Path) -> None:
    missing = tmp_path / "run" / "smsd"
    line = refused(write(tmp_path, listen=f"unix:{missing}/api.sock"), str(missing), "create it")
    assert "does not exist" in line
    assert not (tmp_path / "smsd.sqlite3").exists()


def test_port_not_permitted_is_explained() -> None:
    # Binding a low port as an unprivileged user (the tests may run as root, so no real bind).
    text = _listen_failure("127.0.0.1:80", TcpListen("127.0.0.1", 80), OSError(errno.EACCES, "x"))
    assert "permission denied" in text
    assert "port above 1023" in text
    unix = UnixListen(Path("/run/smsd/api.sock"))
    text = _listen_failure(str(unix), unix, OSError(errno.EACCES, "x"))
    assert "let smsd's user write /run/smsd" in text


def test_database_directory_missing(tmp_path: Path) -> None:
    refused(write(tmp_path, database="nowhere/smsd.sqlite3"), "nowhere", "lock file")


def test_database_unusable(tmp_path: Path) -> None:
    (tmp_path / "smsd.sqlite3").write_bytes(b"this is not a database, it is a shopping list\n" * 50)
    refused(write(tmp_path), "cannot open the database", "restore it from a backup")


def test_database_from_a_newer_smsd(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "smsd.sqlite3")
    conn.execute("PRAGMA user_version = 999")
    conn.close()
    refused(write(tmp_path), "schema version 999", "newer than this smsd")


def test_configured_device_missing(tmp_path: Path) -> None:
    phones = '\n[[phones]]\nname = "dongle"\ndevice = "/dev/smsd-test-absent"\n'
    refused(write(tmp_path, phones=phones), "phones[0] (dongle)", "/dev/smsd-test-absent")
    assert not (tmp_path / "smsd.sqlite3").exists()


def test_invalid_configuration_exits_2(tmp_path: Path) -> None:
    config = tmp_path / "smsd.toml"
    config.write_text('[api]\nlisten = "nowhere"\n', encoding="utf-8")
    refused(config, "api.listen", code=2)


def test_a_second_daemon_on_the_same_database_refuses(tmp_path: Path) -> None:
    config = write(tmp_path)
    first = daemon_process.start(config, tmp_path / "first.log")
    try:
        deadline = time.monotonic() + 20
        while "daemon_ready" not in (tmp_path / "first.log").read_text():
            assert time.monotonic() < deadline, (tmp_path / "first.log").read_text()
            assert first.poll() is None, (tmp_path / "first.log").read_text()
            time.sleep(0.05)
        refused(config, "in use by another smsd", f"process {first.pid}", "smsd.sqlite3.lock")
        # The second one touched nothing: the first's modem never lost its port.
        assert "modem_unavailable" not in (tmp_path / "first.log").read_text()
        # User and key commands keep working beside the running daemon.
        listed = smsd("user", "list", "--config", str(config))
        assert listed.returncode == 0, listed.stderr
        assert "ops@example.org" in listed.stdout
        added = smsd("user", "add", "new@example.org", "--config", str(config))
        assert added.returncode == 0, added.stderr
    finally:
        first.terminate()
        assert first.wait(timeout=20) == 0


async def test_a_key_nobody_saw_is_replaced_at_the_next_start(tmp_path: Path) -> None:
    config = default_config(tmp_path)
    printed: list[str] = []
    db = await Database.open(tmp_path / "smsd.sqlite3")
    try:
        unseen: list[tuple[int, str]] = []
        owner = await ensure_users(db, config, announce=printed.append, unseen=unseen)
        [(_, lost)] = unseen  # the start fails here: the key is never printed
        assert printed == []
        unseen = []
        again = await ensure_users(db, config, announce=printed.append, unseen=unseen)
        [(_, fresh)] = unseen
        assert again == owner
        assert fresh != lost
        assert await accounts.user_by_api_key(db, lost) is None
        assert await accounts.user_by_api_key(db, fresh) is not None
        await announce_keys(db, unseen, printed.append)
        assert printed == [f"smsd: created user admin@localhost with API key {fresh} (shown once)"]
        unseen = []
        await ensure_users(db, config, announce=printed.append, unseen=unseen)
        assert unseen == []  # shown once: never again
    finally:
        await db.close()
