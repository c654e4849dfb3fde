"""Shared test configuration: hypothesis settings profiles.

``HYPOTHESIS_PROFILE=ci pytest`` selects the CI profile; the default profile is used otherwise.
Deadlines are off in both: a slow CI machine must not turn timing noise into failures.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_SLOW_DATA = (HealthCheck.too_slow, HealthCheck.data_too_large)

settings.register_profile(
    "default",
    max_examples=100,
    deadline=None,
    suppress_health_check=_SLOW_DATA,
)
settings.register_profile(
    "ci",
    max_examples=300,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=_SLOW_DATA,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
