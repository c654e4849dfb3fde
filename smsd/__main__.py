"""Run smsd as ``python -m smsd``."""

from smsd.cli import main

raise SystemExit(main())
