"""Run smsd as ``python -m smsd``."""

from smsd.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
