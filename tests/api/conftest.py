"""Fixtures of the HTTP tests (defined in ``http_helpers``): ``db``, ``users``, ``client``."""

from http_helpers import client, db, users

__all__ = ["client", "db", "users"]
