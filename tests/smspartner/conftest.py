"""Fixtures of the SMSPartner door tests (defined in ``partner_helpers``)."""

from partner_helpers import client, db, users

__all__ = ["client", "db", "users"]
