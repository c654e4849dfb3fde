"""``smsd send`` and ``smsd inbox`` in-process against a real API server (TCP and Unix socket)."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest
from cli_rig import EMAIL, KEY, OTHER_KEY, api_server, free_port
from structlog.testing import capture_logs

from smsd import cli, client
from smsd.config import TcpListen, UnixListen, load_config
from smsd.store import accounts, inbox


@pytest.fixture
def rig(tmp_path, monkeypatch):
    monkeypatch.delenv(cli.API_KEY_ENV, raising=False)
    # the server's log (in this process) must not mix with the command's output
    with capture_logs(), api_server(tmp_path, phones=["dongle-1", "dongle-2"]) as running:
        yield running


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _store_received(rig, count: int, *, id_user: int | None = None) -> None:
    async def work(db):
        for n in range(1, count + 1):
            await inbox.store_received(
                db,
                id_user=rig.id_user if id_user is None else id_user,
                id_phone=rig.id_phones["dongle-1"],
                origin="+33612345678",
                text=f"message {n}",
                at=f"2024-01-02 10:{n // 60:02d}:{n % 60:02d}",
                dedupe_key=f"key-{id_user}-{n}",
            )

    rig.run(work)


def test_send_schedules_and_prints_the_id(rig, capsys) -> None:
    code, out, err = _run(
        capsys, "send", "--url", rig.url, "--api-key", KEY, "--to", "+33612345678", "--text", "hi"
    )
    assert (code, err) == (0, "")
    match = re.fullmatch(r"scheduled message (\d+)\n", out)
    assert match, out
    rows = rig.query(
        "SELECT s.text, s.id_phone, n.number FROM scheduled AS s "
        "JOIN scheduled_number AS n ON n.id_scheduled = s.id WHERE s.id = ?",
        (int(match.group(1)),),
    )
    assert [tuple(r) for r in rows] == [("hi", None, "+33612345678")]


def test_send_resolves_the_phone_name(rig, capsys) -> None:
    code, out, _ = _run(
        capsys,
        "send",
        "--url",
        rig.url,
        "--api-key",
        KEY,
        "--to",
        "+33612345678",
        "--text",
        "via two",
        "--phone",
        "dongle-2",
    )
    assert code == 0
    id_scheduled = int(out.split()[-1])
    rows = rig.query("SELECT id_phone FROM scheduled WHERE id = ?", (id_scheduled,))
    assert rows[0]["id_phone"] == rig.id_phones["dongle-2"]


def test_send_resolves_a_phone_beyond_the_first_page(rig, capsys) -> None:
    async def many(db):
        for n in range(30):
            await accounts.sync_phone(
                db,
                id_user=rig.id_user,
                name=f"extra-{n}",
                adapter="adapters\\TestAdapter",
                adapter_data="{}",
                priority=0,
                limits=[],
            )

    rig.run(many)
    code, out, err = _run(
        capsys,
        "send",
        "--url",
        rig.url,
        "--api-key",
        KEY,
        "--to",
        "+33612345678",
        "--text",
        "far",
        "--phone",
        "extra-29",
    )
    assert (code, err) == (0, "")
    assert out.startswith("scheduled message ")
    rows = rig.query("SELECT p.name FROM scheduled s JOIN phone p ON p.id = s.id_phone")
    assert [r["name"] for r in rows] == ["extra-29"]


def test_send_names_the_known_phones_when_the_name_is_unknown(rig, capsys) -> None:
    code, out, err = _run(
        capsys,
        "send",
        "--url",
        rig.url,
        "--api-key",
        KEY,
        "--to",
        "+33612345678",
        "--text",
        "x",
        "--phone",
        "nope",
    )
    assert (code, out) == (1, "")
    assert "no phone named 'nope'" in err
    assert "dongle-1, dongle-2" in err
    assert rig.query("SELECT count(*) FROM scheduled")[0][0] == 0


def test_send_reports_an_invalid_number_from_the_api(rig, capsys) -> None:
    code, out, err = _run(
        capsys, "send", "--url", rig.url, "--api-key", KEY, "--to", "not a number", "--text", "x"
    )
    assert (code, out) == (1, "")
    assert err.startswith("smsd: the daemon refused the request (error ")


def test_a_wrong_key_is_error_1(rig, capsys) -> None:
    code, out, err = _run(
        capsys,
        "send",
        "--url",
        rig.url,
        "--api-key",
        "f" * 32,
        "--to",
        "+33612345678",
        "--text",
        "x",
    )
    assert (code, out) == (1, "")
    assert "refused the API key (error 1)" in err


def test_a_suspended_user_is_error_16(rig, capsys) -> None:
    async def suspend(db):
        user = await accounts.user_by_api_key(db, OTHER_KEY)
        await accounts.set_user_status(db, user.id, "suspended")

    rig.run(suspend)
    code, _, err = _run(capsys, "inbox", "--url", rig.url, "--api-key", OTHER_KEY)
    assert code == 1
    assert "suspended (error 16)" in err


def test_the_key_comes_from_the_environment(rig, capsys, monkeypatch) -> None:
    monkeypatch.setenv(cli.API_KEY_ENV, KEY)
    code, out, _ = _run(capsys, "inbox", "--url", rig.url)
    assert (code, out) == (0, "no received messages\n")


def test_url_and_key_come_from_the_configuration(rig, capsys, tmp_path) -> None:
    port = int(rig.url.rsplit(":", 1)[1])
    config = tmp_path / "smsd.toml"
    config.write_text(
        f'[api]\nlisten = "0.0.0.0:{port}"\n'
        f'[[users]]\nemail = "u@example.org"\napi_key = "{OTHER_KEY}"\n'
        f'[[users]]\nemail = "{EMAIL}"\napi_key = "{KEY}"\nadmin = true\n',
        encoding="utf-8",
    )
    _store_received(rig, 1)
    code, out, err = _run(capsys, "inbox", "--config", str(config))
    assert (code, err) == (0, "")
    assert "message 1" in out  # the admin's key: the other user has no messages


def test_no_key_anywhere_is_bad_usage(rig, capsys) -> None:
    code, out, err = _run(capsys, "inbox", "--url", rig.url)
    assert (code, out) == (2, "")
    assert "no API key" in err


def test_inbox_over_the_unix_socket_newest_last(rig, capsys) -> None:
    _store_received(rig, 30)
    _store_received(rig, 2, id_user=rig.run(_other_id))
    code, out, err = _run(
        capsys, "inbox", "--url", f"unix:{rig.socket_path}", "--api-key", KEY, "--limit", "3"
    )
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert [line.split()[0] for line in lines[::2]] == ["#28", "#29", "#30"]
    assert lines[1::2] == ["    message 28", "    message 29", "    message 30"]
    assert "+33612345678  unread" in lines[0]


async def _other_id(db) -> int:
    return (await accounts.user_by_api_key(db, OTHER_KEY)).id


@pytest.mark.parametrize("limit", [1, 25, 26, 29, 30, 100])
def test_inbox_limit_spans_pages(rig, capsys, limit) -> None:
    _store_received(rig, 30)
    code, out, _ = _run(capsys, "inbox", "--url", rig.url, "--api-key", KEY, "--limit", str(limit))
    assert code == 0
    ids = [int(line.split()[0][1:]) for line in out.splitlines()[::2]]
    assert ids == list(range(max(1, 31 - limit), 31))


def test_inbox_indents_multiline_text(rig, capsys) -> None:
    async def work(db):
        await inbox.store_received(
            db,
            id_user=rig.id_user,
            id_phone=rig.id_phones["dongle-1"],
            origin="+33600000000",
            text="line one\nline two",
            at="2024-01-02 10:00:00",
            dedupe_key="multi",
        )

    rig.run(work)
    _, out, _ = _run(capsys, "inbox", "--url", rig.url, "--api-key", KEY)
    assert out.splitlines()[1:] == ["    line one", "    line two"]


def test_inbox_shows_control_characters_as_escapes(rig, capsys) -> None:
    async def work(db):
        await inbox.store_received(
            db,
            id_user=rig.id_user,
            id_phone=rig.id_phones["dongle-1"],
            origin="+33600000000",
            text="\x1b]0;owned\x07bell",
            at="2024-01-02 10:00:00",
            dedupe_key="escape",
        )

    rig.run(work)
    _, out, _ = _run(capsys, "inbox", "--url", rig.url, "--api-key", KEY)
    assert out.splitlines()[1] == "    \\x1b]0;owned\\x07bell"
    assert "\x1b" not in out


def test_connection_refused_is_a_clear_failure(capsys, monkeypatch) -> None:
    monkeypatch.delenv(cli.API_KEY_ENV, raising=False)
    url = f"http://127.0.0.1:{free_port()}"
    code, out, err = _run(capsys, "inbox", "--url", url, "--api-key", KEY)
    assert (code, out) == (1, "")
    assert err == f"smsd: connection refused by {url}: is the daemon running? (see --url)\n"


def test_a_missing_socket_is_a_clear_failure(capsys, tmp_path) -> None:
    path = tmp_path / "absent.sock"
    code, _, err = _run(capsys, "inbox", "--url", f"unix:{path}", "--api-key", KEY)
    assert code == 1
    assert err == f"smsd: no socket at {path}: is the daemon running? (see --url)\n"


def test_a_silent_server_times_out(capsys) -> None:
    with socket.socket() as server:  # accepts connections (backlog) but never answers
        server.bind(("127.0.0.1", 0))
        server.listen()
        url = f"http://127.0.0.1:{server.getsockname()[1]}"
        code, _, err = _run(capsys, "inbox", "--url", url, "--api-key", KEY, "--timeout", "0.5")
    assert code == 1
    assert "no answer from" in err


def test_a_server_that_is_not_smsd(rig, capsys) -> None:
    code, _, err = _run(capsys, "inbox", "--url", rig.url + "/metrics", "--api-key", KEY)
    assert code == 1  # /metrics/api/list/… is no route: an envelope with error 2
    assert "error 2" in err


# ---------------------------------------------------------------------- where the API is


@pytest.mark.parametrize(
    ("url", "listen", "base", "socket_path"),
    [
        (None, TcpListen("127.0.0.1", 8080), "http://127.0.0.1:8080", None),
        (
            None,
            TcpListen("0.0.0.0", 8081),  # noqa: S104 - the address is only mapped, never bound
            "http://127.0.0.1:8081",
            None,
        ),
        (None, TcpListen("::", 8082), "http://[::1]:8082", None),
        (
            None,
            UnixListen(Path("/run/smsd/api.sock")),
            "http://localhost",
            "/run/smsd/api.sock",
        ),
        ("localhost:9000", None, "http://localhost:9000", None),
        ("https://sms.example.org/raspisms/", None, "https://sms.example.org/raspisms", None),
        ("unix:/run/a.sock", None, "http://localhost", "/run/a.sock"),
    ],
)
def test_endpoint(url, listen, base, socket_path) -> None:
    found = client.endpoint(url, listen or TcpListen("127.0.0.1", 8080))
    assert (found.base, found.socket) == (base, socket_path)


@pytest.mark.parametrize("url", ["ftp://host", "http://", "unix:", "http://h:99999", "http://h:0"])
def test_endpoint_refuses(url) -> None:
    with pytest.raises(cli.CliError) as caught:
        client.endpoint(url, TcpListen("127.0.0.1", 8080))
    assert caught.value.code == cli.EXIT_USAGE


def test_endpoint_refuses_port_zero_from_the_configuration() -> None:
    with pytest.raises(cli.CliError, match="pass --url"):
        client.endpoint(None, TcpListen("127.0.0.1", 0))


def test_bad_url_is_bad_usage(capsys) -> None:
    code, _, err = _run(capsys, "inbox", "--url", "ftp://x", "--api-key", KEY)
    assert code == 2
    assert "expected http://HOST:PORT or unix:/PATH" in err


def test_configured_key_prefers_the_first_admin(tmp_path) -> None:
    path = tmp_path / "smsd.toml"
    path.write_text(
        f'[[users]]\nemail = "a@example.org"\napi_key = "{OTHER_KEY}"\n'
        f'[[users]]\nemail = "b@example.org"\napi_key = "{KEY}"\nadmin = true\n',
        encoding="utf-8",
    )
    assert client.configured_key(load_config(path)) == KEY
