"""sd_notify over a real AF_UNIX datagram socket; the watchdog interval from the environment."""

from __future__ import annotations

import os
import socket
import uuid
from typing import TYPE_CHECKING

import pytest

from smsd import systemd

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (systemd.NOTIFY_SOCKET, systemd.WATCHDOG_USEC, systemd.WATCHDOG_PID):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def receiver(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[socket.socket]:
    """A datagram socket standing in for systemd, named by $NOTIFY_SOCKET."""
    path = tmp_path / "notify"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(path))
        sock.settimeout(2.0)
        monkeypatch.setenv(systemd.NOTIFY_SOCKET, str(path))
        yield sock


def receive(sock: socket.socket) -> str:
    return sock.recv(4096).decode()


def test_ready(receiver: socket.socket) -> None:
    assert systemd.ready() is True
    assert receive(receiver) == "READY=1\n"


def test_ready_with_status(receiver: socket.socket) -> None:
    assert systemd.ready("serving on 127.0.0.1:8080")
    assert receive(receiver) == "READY=1\nSTATUS=serving on 127.0.0.1:8080\n"


def test_status(receiver: socket.socket) -> None:
    assert systemd.status("2 modems, 0 queued")
    assert receive(receiver) == "STATUS=2 modems, 0 queued\n"


def test_status_stays_on_one_line(receiver: socket.socket) -> None:
    assert systemd.status("modem lost\nREADY=1")
    assert receive(receiver) == "STATUS=modem lost READY=1\n"


def test_watchdog(receiver: socket.socket) -> None:
    assert systemd.watchdog()
    assert receive(receiver) == "WATCHDOG=1\n"


def test_stopping(receiver: socket.socket) -> None:
    assert systemd.stopping()
    assert receive(receiver) == "STOPPING=1\n"
    assert systemd.stopping("draining the outbox")
    assert receive(receiver) == "STOPPING=1\nSTATUS=draining the outbox\n"


def test_notify_any_fields_in_one_datagram(receiver: socket.socket) -> None:
    assert systemd.notify(MAINPID=1234, STATUS="é ok", ERRNO=0, READY=True)
    assert receive(receiver) == "MAINPID=1234\nSTATUS=é ok\nERRNO=0\nREADY=1\n"
    receiver.setblocking(False)
    with pytest.raises(BlockingIOError):
        receiver.recv(4096)  # exactly one datagram was sent


def test_abstract_socket(monkeypatch: pytest.MonkeyPatch) -> None:
    name = f"smsd-test-{uuid.uuid4().hex}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(2.0)
        monkeypatch.setenv(systemd.NOTIFY_SOCKET, "@" + name)
        assert systemd.ready()
        assert receive(sock) == "READY=1\n"


def test_unset_is_a_no_op() -> None:
    assert systemd.ready() is False
    assert systemd.watchdog() is False
    assert systemd.status("x") is False
    assert systemd.stopping() is False


@pytest.mark.parametrize("value", ["", "relative/path", "vsock:2:1234"])
def test_unsupported_addresses_are_a_no_op(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(systemd.NOTIFY_SOCKET, value)
    assert systemd.ready() is False


def test_send_failure_returns_false(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(systemd.NOTIFY_SOCKET, str(tmp_path / "nobody-listens"))
    assert systemd.ready() is False
    monkeypatch.setenv(systemd.NOTIFY_SOCKET, "/" + "x" * 200)  # longer than sun_path
    assert systemd.watchdog() is False


def test_stream_socket_is_refused_without_raising(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "stream"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.bind(str(path))
        monkeypatch.setenv(systemd.NOTIFY_SOCKET, str(path))
        assert systemd.ready() is False


@pytest.mark.parametrize("fields", [{}, {"ready": 1}, {"1X": 1}, {"A-B": 1}])
def test_malformed_fields_are_a_programming_error(fields: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="sd_notify"):
        systemd.notify(**fields)


# ------------------------------------------------------------------------------------- watchdog


def test_watchdog_interval_is_half_the_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(systemd.WATCHDOG_USEC, "30000000")
    assert systemd.watchdog_interval() == 15.0
    monkeypatch.setenv(systemd.WATCHDOG_PID, str(os.getpid()))
    assert systemd.watchdog_interval() == 15.0


def test_watchdog_interval_unset() -> None:
    assert systemd.watchdog_interval() is None


def test_watchdog_for_another_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(systemd.WATCHDOG_USEC, "30000000")
    monkeypatch.setenv(systemd.WATCHDOG_PID, str(os.getpid() + 1))
    assert systemd.watchdog_interval() is None


@pytest.mark.parametrize("usec", ["", "0", "-5", "abc", "1.5", "²", " 10"])
def test_watchdog_usec_malformed(monkeypatch: pytest.MonkeyPatch, usec: str) -> None:
    monkeypatch.setenv(systemd.WATCHDOG_USEC, usec)
    assert systemd.watchdog_interval() is None


@pytest.mark.parametrize("pid", ["", "x", "-1"])
def test_watchdog_pid_malformed(monkeypatch: pytest.MonkeyPatch, pid: str) -> None:
    monkeypatch.setenv(systemd.WATCHDOG_USEC, "1000000")
    monkeypatch.setenv(systemd.WATCHDOG_PID, pid)
    assert systemd.watchdog_interval() is None
