"""Command line: ``smsd run``, ``smsd check-config`` and the other subcommands.

- ``run`` and ``check-config`` start or validate a configuration;
- ``modems`` lists the serial ports (``--probe`` asks each one for its modem);
- ``send``, ``inbox`` and ``ussd`` talk to a running daemon through its HTTP API (aiohttp's
  client, over TCP or the Unix socket ``[api] listen`` names);
- ``user`` and ``key`` manage users and API keys in the database file directly (the daemon may
  be running: SQLite's WAL mode allows a second writer).

Exit codes: 0 success, 1 runtime failure (store unusable, daemon error, daemon unreachable, a key
or request refused), 2 bad usage or an invalid configuration (the message names the file, the
line or the key).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from smsd import __version__, client
from smsd.config import Config, default_config, load_config, render
from smsd.errors import ConfigError, StoreError
from smsd.log import configure

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from smsd.store.db import Database

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
API_KEY_ENV = client.API_KEY_ENV
"""Environment variable holding the API key of ``send`` and ``inbox``."""


CliError = client.ClientError
"""A failure to report on one line, with the exit code it means."""


# ---------------------------------------------------------------------- the parser


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not a positive number")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value <= 3600:  # an hour is more than any answer should take
        raise argparse.ArgumentTypeError(f"{text} is not between 0 and 3600 seconds")
    return value


def _config_option(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--config", type=Path, metavar="PATH", help=f"configuration file (TOML): {what}"
    )


def _client_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--url",
        help="where the daemon's API is: http://HOST:PORT[/PREFIX] or unix:/PATH "
        "(default: [api] listen of --config, else http://127.0.0.1:8080)",
    )
    parser.add_argument(
        "--api-key",
        metavar="KEY",
        help=f"API key (default: ${API_KEY_ENV}, else the first admin user of --config); "
        f"prefer ${API_KEY_ENV}: arguments are visible to other local users",
    )
    _config_option(parser, "where the API listens and, without --api-key, its key")
    parser.add_argument(
        "--timeout",
        type=_seconds,
        default=10.0,
        metavar="SECONDS",
        help="seconds to wait for an answer (10)",
    )


def _add_modems(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    modems = commands.add_parser(
        "modems",
        help="list serial ports and, with --probe, the modems on them",
        description="List serial ports (USB identity, stable /dev/serial/by-id links). With "
        "--probe each port is asked, with AT commands, for its modem, SIM and network. Probing "
        "a port the running daemon uses disturbs it: stop the daemon first.",
    )
    modems.add_argument("--probe", action="store_true", help="ask each port for its modem")
    modems.add_argument(
        "--baudrate",
        type=_positive,
        default=115200,
        metavar="N",
        help="serial speed for --probe (115200)",
    )
    modems.add_argument(
        "--timeout",
        type=_seconds,
        default=3.0,
        metavar="SECONDS",
        help="seconds per probe (3; probes run together)",
    )
    modems.add_argument("paths", nargs="*", metavar="PATH", help="ports to list (default: all)")


def _add_client_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    send = commands.add_parser(
        "send",
        help="send an SMS through a running daemon",
        description="Schedule an SMS for now through the running daemon's API "
        "(POST /api/scheduled/) and print the id of the scheduled message.",
    )
    send.add_argument("--to", required=True, metavar="NUMBER", help="international number")
    send.add_argument("--text", required=True, help="message text")
    send.add_argument("--phone", metavar="NAME", help="send through this phone (by name)")
    _client_options(send)
    inbox = commands.add_parser(
        "inbox",
        help="show the latest received SMS of a running daemon",
        description="Show the latest received messages of the API user, newest last.",
    )
    inbox.add_argument(
        "--limit", type=_positive, default=10, metavar="N", help="messages to show (10)"
    )
    _client_options(inbox)
    ussd = commands.add_parser(
        "ussd",
        help="send a USSD code (balance, menus) through a running daemon",
        description="Send a USSD code through a phone of the running daemon (POST /api/ussd/) "
        "and print the network's answer. A menu leaves the session open: answer it with "
        "--session ID REPLY, or end it with --session ID --cancel.",
    )
    ussd.add_argument("text", nargs="?", metavar="CODE|REPLY", help='e.g. "*100#", or "1"')
    ussd.add_argument("--phone", metavar="NAME", help="the phone to ask through (by name)")
    ussd.add_argument("--session", type=_positive, metavar="ID", help="continue or poll a session")
    ussd.add_argument("--cancel", action="store_true", help="cancel the session --session")
    ussd.add_argument(
        "--wait", type=_seconds, default=30.0, metavar="SECONDS",
        help="seconds the daemon waits for the network's answer (30)",
    )  # fmt: skip
    _client_options(ussd)


def _add_account_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    where = "whose [daemon] database to change (default: ./smsd.sqlite3)"
    user = commands.add_parser(
        "user",
        help="add, list, suspend or reactivate API users, set their passwords",
        description="Manage users in the database file (the daemon may be running).",
    )
    actions = user.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="create a user and print its new API key (shown once)")
    add.add_argument("email", metavar="EMAIL", help="the user's e-mail address (its login)")
    add.add_argument("--admin", action="store_true", help="make the user an administrator")
    _config_option(add, where)
    listing = actions.add_parser("list", help="list users (keys are never shown)")
    _config_option(listing, where)
    for name, text in (
        ("suspend", "refuse the user's API key (HTTP 403, error 16) until activated"),
        ("activate", "accept a suspended user's API key again"),
    ):
        action = actions.add_parser(name, help=text)
        action.add_argument("email", metavar="EMAIL", help="the user's e-mail address")
        _config_option(action, where)
    passwd = actions.add_parser(
        "passwd",
        help="set the user's password (read without echo from the terminal, else one line of "
        "standard input); it logs in where a client sends an e-mail and a password",
    )
    passwd.add_argument("email", metavar="EMAIL", help="the user's e-mail address")
    _config_option(passwd, where)
    _add_quota_command(actions, where)
    key = commands.add_parser(
        "key", help="rotate a user's API key", description="Manage API keys in the database file."
    )
    key_actions = key.add_subparsers(dest="action", metavar="ACTION", required=True)
    rotate = key_actions.add_parser(
        "rotate", help="give a user a new API key (printed once); the old key stops working"
    )
    rotate.add_argument("email", metavar="EMAIL", help="the user's e-mail address")
    _config_option(rotate, where)


def _add_quota_command(
    actions: argparse._SubParsersAction[argparse.ArgumentParser], where: str
) -> None:
    quota = actions.add_parser(
        "quota",
        help="show, set or remove a user's credit quota",
        description="Without options: show the quota. 1 credit = 160 GSM characters or 70 others.",
    )
    quota.add_argument("email", metavar="EMAIL", help="the user's e-mail address")
    quota.add_argument("--credit", type=_count, metavar="N", help="credits per period")
    quota.add_argument("--additional", type=_count, metavar="N", help="extra credits this period")
    quota.add_argument(
        "--renew", choices=("daily", "weekly", "monthly", "yearly"), help="period (monthly)"
    )
    quota.add_argument("--start", metavar="'Y-m-d H:i:s'", help="start of the period (now)")
    quota.add_argument(
        "--report-unused",
        action=argparse.BooleanOptionalAction,
        help="carry unused credit into the next period",
    )
    quota.add_argument(
        "--auto-renew", action=argparse.BooleanOptionalAction, help="renew each period (yes)"
    )
    quota.add_argument("--reset", action="store_true", help="start a new period, nothing used")
    quota.add_argument("--remove", action="store_true", help="remove the quota (unlimited)")
    _config_option(quota, where)


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, not {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser for every ``smsd`` subcommand."""
    parser = argparse.ArgumentParser(
        prog="smsd",
        description="SMS gateway daemon for USB GSM modems, serving the RaspiSMS HTTP API.",
        epilog="Exit codes: 0 success, 1 failure, 2 bad usage or invalid configuration.",
    )
    parser.add_argument("--version", action="version", version=f"smsd {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = commands.add_parser(
        "run",
        help="run the daemon in the foreground",
        description="Run the daemon in the foreground. Without --config: one virtual modem, "
        "./smsd.sqlite3, the API on 127.0.0.1:8080.",
    )
    run.add_argument("--config", type=Path, help="configuration file (TOML)")
    check = commands.add_parser(
        "check-config", help="validate a configuration file and print the effective settings"
    )
    check.add_argument("path", type=Path, help="configuration file (TOML)")
    _add_modems(commands)
    _add_client_commands(commands)
    _add_account_commands(commands)
    return parser


# ---------------------------------------------------------------------- commands


def _load(path: Path | None) -> Config:
    return default_config(Path.cwd()) if path is None else load_config(path)


def _quiet_logs() -> None:
    """Tools print their own output: only warnings of the layers below, on stderr."""
    import structlog  # noqa: PLC0415 - only the tools need it here

    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
    )


def _modems(args: argparse.Namespace) -> int:
    from smsd.modem.probe import modems_report  # noqa: PLC0415 - serial libraries load on use

    _quiet_logs()
    report = asyncio.run(
        modems_report(
            probe=args.probe, baudrate=args.baudrate, paths=tuple(args.paths), timeout=args.timeout
        )
    )
    sys.stdout.write(report if report.endswith("\n") else report + "\n")
    return EXIT_OK


def _client(args: argparse.Namespace, config: Config) -> int:
    api_key = args.api_key or os.environ.get(API_KEY_ENV) or client.configured_key(config)
    if not api_key:
        raise CliError(
            f"no API key: pass --api-key, set {API_KEY_ENV}, or give a --config with [[users]]",
            EXIT_USAGE,
        )
    if not api_key.isascii() or not api_key.isprintable() or " " in api_key:
        raise CliError("the API key must be printable ASCII without spaces", EXIT_USAGE)
    where = client.endpoint(args.url, config.api.listen)
    if args.command == "ussd":
        text, ok = asyncio.run(
            client.ussd(
                where, api_key, phone=args.phone, session=args.session, text=args.text,
                cancel=args.cancel, wait=args.wait, timeout=args.timeout,
            )
        )  # fmt: skip
        (sys.stdout if ok else sys.stderr).write(text)
        return EXIT_OK if ok else EXIT_FAILURE
    if args.command == "send":
        work = client.send(
            where, api_key, to=args.to, text=args.text, phone=args.phone, timeout=args.timeout
        )
    else:
        work = client.inbox(where, api_key, limit=args.limit, timeout=args.timeout)
    sys.stdout.write(asyncio.run(work))
    return EXIT_OK


async def _with_database(config: Config, work: Callable[[Database], Awaitable[str]]) -> str:
    from smsd.store.db import Database  # noqa: PLC0415 - the store loads on use

    db = await Database.open(config.daemon.database, check="none")
    try:
        return await work(db)
    finally:
        await db.close()


def _accounts(args: argparse.Namespace, config: Config) -> int:
    from smsd.store import users_admin  # noqa: PLC0415 - the store loads on use

    email: str = getattr(args, "email", "")
    configured = any(user.email == email for user in config.users)
    note = (
        f"note: {email} is also in {config.source}: the daemon sets the configured key back "
        "when it starts or reloads; change the configuration file too\n"
    )

    async def work(db: Database) -> str:
        if args.command == "key":
            key = await users_admin.rotate_key(db, email)
            if configured:
                sys.stderr.write(note)
            return f"{key}\n"
        if args.action == "list":
            rows = await users_admin.list_users(db)
            return "".join(
                f"{u.id}\t{u.email}\t{'admin' if u.admin else 'user'}\t{u.status}\t{u.created_at}\n"
                for u in rows
            )
        if args.action == "quota":
            from smsd.store.quota_admin import quota_command  # noqa: PLC0415 - loads on use

            return await quota_command(db, args)
        if args.action == "add":
            user, key = await users_admin.add_user(db, email=email, admin=args.admin)
            role = "admin" if user.admin else "user"
            sys.stderr.write(
                f"created {role} {user.email} (id {user.id}); its API key, shown once:\n"
            )
            return f"{key}\n"
        if args.action == "passwd":
            return await _set_password(db, email, password)
        status = "suspended" if args.action == "suspend" else "active"
        user = await users_admin.set_status(db, email, status)
        return f"{user.email} is now {user.status}\n"

    path = config.daemon.database
    if not Path(path).is_file():
        source = "from the configuration" if config.source else "the default; see --config"
        raise CliError(f"no database at {path} ({source}): the daemon creates it on first run")
    password = _read_password() if getattr(args, "action", "") == "passwd" else ""
    try:
        output = asyncio.run(_with_database(config, work))
    except StoreError as exc:
        raise CliError(str(exc)) from exc
    sys.stdout.write(output)
    return EXIT_OK


def _read_password() -> str:
    """The new password: asked twice without echo on a terminal, else stdin's first line."""
    from smsd.store.errors import InvalidValueError  # noqa: PLC0415 - the store loads on use
    from smsd.store.passwords import check_password_text  # noqa: PLC0415 - the store loads on use

    if sys.stdin.isatty():
        password = getpass.getpass("New password: ")
        if getpass.getpass("Again: ") != password:
            raise CliError("the two passwords differ", EXIT_USAGE)
    else:
        password = sys.stdin.readline().removesuffix("\n").removesuffix("\r")
    try:
        return check_password_text(password)
    except InvalidValueError as exc:
        raise CliError(str(exc), EXIT_USAGE) from exc


async def _set_password(db: Database, email: str, password: str) -> str:
    from smsd.store.passwords import set_password  # noqa: PLC0415 - the store loads on use

    await set_password(db, email, password)
    return f"password of {email} set; its login sessions are closed\n"


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "modems":
        return _modems(args)
    path = args.path if args.command == "check-config" else args.config
    try:
        config = _load(path)
    except ConfigError as exc:
        raise CliError(str(exc), EXIT_USAGE) from exc
    if args.command == "check-config":
        sys.stdout.write(render(config) + "\n")
        return EXIT_OK
    if args.command in {"send", "inbox", "ussd"}:
        return _client(args, config)
    if args.command in {"user", "key"}:
        return _accounts(args, config)
    configure(config.daemon.log_format, level=config.daemon.log_level)
    from smsd.webstack import lean_web_stack  # noqa: PLC0415 - only the daemon needs it

    with lean_web_stack():  # aiohttp without the CA bundle and C++ runtime it loads for nothing
        from smsd.daemon import run  # noqa: PLC0415 - keeps `smsd --version` and check-config light

    return run(config)


def _parse(argv: list[str]) -> argparse.Namespace | None:
    """The parsed command line; ``None`` (after printing the help) when it names no command.

    The parser is dropped on return: ``smsd run`` does not keep every subcommand's options and
    help texts alive for the daemon's lifetime.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return None
    return args


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``smsd`` console script; returns the exit code."""
    args = _parse(sys.argv[1:] if argv is None else argv)
    if args is None:
        return EXIT_USAGE
    try:
        return _dispatch(args)
    except CliError as exc:
        sys.stderr.write(f"smsd: {exc}\n")
        return exc.code
    except KeyboardInterrupt:
        sys.stderr.write("smsd: interrupted\n")
        return EXIT_FAILURE
