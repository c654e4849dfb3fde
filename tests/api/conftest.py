"""Fixtures of the HTTP tests: ``db`` (:mod:`support.store`), ``users`` and ``client``
(:mod:`support.http_app`)."""

from support.http_app import client, users
from support.store import db

__all__ = ["client", "db", "users"]
