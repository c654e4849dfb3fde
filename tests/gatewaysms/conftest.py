"""Fixtures of the Gateway SMS tests (defined in ``gateway_rig``): ``gateway``."""

from gateway_rig import gateway

__all__ = ["gateway"]
