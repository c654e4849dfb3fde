"""SQLite store of smsd: durable outbox and inbox, accounts, phones, RaspiSMS's tables.

Modules: :mod:`~smsd.store.db` (connections, transactions, errors), :mod:`~smsd.store.migrate`
(numbered schema migrations), :mod:`~smsd.store.accounts` (users, phones, contacts, groups),
:mod:`~smsd.store.outbox` (scheduled messages, the send queue and its state transitions, status
reports), :mod:`~smsd.store.inbox` (received messages and concatenated parts),
:mod:`~smsd.store.listing` (the API's paged lists). No device knowledge lives here.

The features every API door shares: :mod:`~smsd.store.quota` (credit quotas, charged at claim),
:mod:`~smsd.store.billing` (segment price, balance), :mod:`~smsd.store.sandbox` (simulated
messages), :mod:`~smsd.store.deferral` (quiet hours), :mod:`~smsd.store.smsstop` (the STOP list
and keywords), :mod:`~smsd.store.campaigns` (a send and its recipients' states),
:mod:`~smsd.store.options` (configured values the store reads).
"""

from smsd.store.db import Database
from smsd.store.errors import StoreError, TransitionError

__all__ = ["Database", "StoreError", "TransitionError"]
