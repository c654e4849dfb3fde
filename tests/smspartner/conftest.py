"""Fixtures of the SMSPartner door tests: ``db`` (:mod:`support.store`), ``users``
(:mod:`support.http_app`) and ``client`` (the app with its clock at ``partner_helpers.NOW``)."""

from partner_helpers import client
from support.http_app import users
from support.store import db

__all__ = ["client", "db", "users"]
