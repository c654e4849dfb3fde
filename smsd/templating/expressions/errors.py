"""The bounds of a condition and the two errors: it does not compile, or it fails for a contact."""

from __future__ import annotations

__all__ = ["MAX_DEPTH", "MAX_LENGTH", "MAX_RANGE", "EvaluationError", "ExpressionError"]

MAX_LENGTH = 4096
MAX_DEPTH = 100
MAX_RANGE = 10_000


class ExpressionError(ValueError):
    """The condition does not compile; ``position`` is the offending character offset."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} around position {position}")
        self.position = position


class EvaluationError(ValueError):
    """The condition failed for this contact (RaspiSMS then leaves the contact out)."""
