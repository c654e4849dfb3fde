"""Command line: ``smsd run``, ``smsd check-config`` and the other subcommands.

Exit codes: 0 success, 1 runtime failure (store unusable, daemon error), 2 bad usage or an
invalid configuration (the message names the file, the line or the key).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from smsd import __version__
from smsd.config import Config, default_config, load_config, render
from smsd.errors import ConfigError
from smsd.log import configure

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser for every ``smsd`` subcommand."""
    parser = argparse.ArgumentParser(
        prog="smsd",
        description="SMS gateway daemon for USB GSM modems, serving the RaspiSMS HTTP API.",
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
    return parser


def _load(path: Path | None) -> Config:
    return default_config(Path.cwd()) if path is None else load_config(path)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``smsd`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        config = _load(args.config if args.command == "run" else args.path)
    except ConfigError as exc:
        sys.stderr.write(f"smsd: {exc}\n")
        return EXIT_USAGE
    if args.command == "check-config":
        sys.stdout.write(render(config) + "\n")
        return EXIT_OK
    configure(config.daemon.log_format, level=config.daemon.log_level)
    from smsd.daemon import run  # noqa: PLC0415 - keeps `smsd --version` and check-config light

    return run(config)
