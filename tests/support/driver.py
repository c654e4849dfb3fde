"""Settings of a modem driver under test on a pty: it notices failures and retries quickly."""

from __future__ import annotations

__all__ = ["QUICK"]

QUICK: dict[str, object] = {
    "health_interval": 0.5,
    "poll_interval": 30.0,
    "command_timeout": 1.0,
    "submit_timeout": 5.0,
    "backoff_initial": 0.05,
    "backoff_cap": 0.2,
    "probe_attempts": 3,
}
"""``ModemConfig`` settings (a test's own settings update a copy)."""
