"""Command line: ``smsd --version`` and the subcommands the daemon grows."""

from __future__ import annotations

import argparse
import sys

from smsd import __version__


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser for every ``smsd`` subcommand."""
    parser = argparse.ArgumentParser(
        prog="smsd",
        description="SMS gateway daemon for USB GSM modems, serving the RaspiSMS HTTP API.",
    )
    parser.add_argument("--version", action="version", version=f"smsd {__version__}")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``smsd`` console script; returns the exit code."""
    parser = build_parser()
    parser.parse_args(sys.argv[1:] if argv is None else argv)
    parser.print_help()
    return 0
