"""Phone settings of the hot-plug tests (imported by name: several test folders have a conftest)."""

from __future__ import annotations

FAST = {
    "health_interval": 0.5,
    "poll_interval": 2.0,
    "command_timeout": 1.0,
    "submit_timeout": 3.0,
}
