"""A user's messages in one list: submissions, recipients of campaigns, and received messages.

Three kinds of entry, each named by the core id of the row that identifies it for its life:

- ``submission``: a scheduled message to exactly one number and nothing else (what
  :mod:`smsd.store.submissions` stores; also such a RaspiSMS scheduled message). Its id is the
  scheduled id, from the moment it is accepted until it is delivered: before the dispatcher
  expands it, its state is ``scheduled``; after, the state of the one outgoing message it became,
  or ``dropped`` when it became none (the number is on the STOP list, the text rendered empty);
- ``recipient``: one outgoing message of any other scheduled message (a campaign to a group, to
  several numbers …); its id is the ``sended`` id, and ``campaign`` the scheduled id;
- ``received``: an incoming message; its id is the ``received`` id, its state ``received``.

States are the core's (``queued``, ``sending``, ``sent``, ``delivered``, ``failed``,
``unknown``) plus ``scheduled``, ``dropped`` and ``received``; ``report_failed`` tells a failure
the network reported (a status report) from one that never left the modem. A door renders these
in its own words.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import sqlite3

    from smsd.store.db import Database

__all__ = ["HistoryEntry", "HistoryFilter", "Kind", "entry", "history"]

Kind = Literal["submission", "recipient", "received"]


@dataclass(frozen=True)
class HistoryEntry:
    """One message of a user's history (see the module docstring)."""

    kind: Kind
    id: int
    number: str
    """The recipient's number (outgoing) or the sender's (received)."""
    text: str
    state: str
    reason: str | None
    report_failed: bool
    id_phone: int | None
    created_at: str
    """Local wall time the message was accepted (or received)."""
    due_at: str | None
    """Local wall time it was asked to leave (outgoing)."""
    sent_at: float | None
    """Unix seconds its first segment left the modem."""
    priority: int
    customer_id: int | None
    campaign: int | None
    campaign_tag: str | None
    campaign_text: str | None

    @classmethod
    def of(cls, r: sqlite3.Row) -> HistoryEntry:
        """Build from a row of the history query."""
        return cls(
            kind=r["kind"],
            id=int(r["id"]),
            number=str(r["number"]),
            text=str(r["text"]),
            state=str(r["state"]),
            reason=None if r["reason"] is None else str(r["reason"]),
            report_failed=bool(r["report_failed"]),
            id_phone=None if r["id_phone"] is None else int(r["id_phone"]),
            created_at=str(r["created_at"]),
            due_at=None if r["due_at"] is None else str(r["due_at"]),
            sent_at=None if r["sent_at"] is None else float(r["sent_at"]),
            priority=int(r["priority"]),
            customer_id=None if r["customer_id"] is None else int(r["customer_id"]),
            campaign=None if r["campaign"] is None else int(r["campaign"]),
            campaign_tag=None if r["campaign_tag"] is None else str(r["campaign_tag"]),
            campaign_text=None if r["campaign_text"] is None else str(r["campaign_text"]),
        )


@dataclass(frozen=True)
class HistoryFilter:
    """What to keep; ``None`` keeps everything. Times are local wall text, bounds included."""

    kinds: frozenset[str] = field(default_factory=lambda: frozenset(("submission", "recipient",
                                                                       "received")))  # fmt: skip
    id_phone: int | None = None
    number: str | None = None
    begin: str | None = None
    end: str | None = None
    customer_id: int | None = None
    newest_first: bool = False


# A scheduled message is a submission when it has exactly one number and no other recipient.
_SINGLE = (
    "((SELECT count(*) FROM scheduled_number WHERE id_scheduled = {s}.id) = 1"
    " AND NOT EXISTS (SELECT 1 FROM scheduled_contact WHERE id_scheduled = {s}.id)"
    " AND NOT EXISTS (SELECT 1 FROM scheduled_group WHERE id_scheduled = {s}.id)"
    " AND NOT EXISTS (SELECT 1 FROM scheduled_conditional_group WHERE id_scheduled = {s}.id))"
)
_REPORT_FAILED = (
    "EXISTS (SELECT 1 FROM sended_segment WHERE id_sended = {e}.id AND report = 'failed')"
)
_SENT_AT = "(SELECT min(sent_at) FROM sended_segment WHERE id_sended = {e}.id)"

_SUBMISSIONS = f"""
SELECT 'submission' AS kind, sc.id AS id, sn.number AS number, coalesce(se.text, sc.text) AS text,
       CASE WHEN se.id IS NOT NULL THEN se.state
            WHEN sc.expanded_at IS NULL THEN 'scheduled' ELSE 'dropped' END AS state,
       se.reason AS reason, {_REPORT_FAILED.format(e="se")} AS report_failed,
       coalesce(se.id_phone, sc.id_phone) AS id_phone, sc.created_at AS created_at,
       sc.at AS due_at, {_SENT_AT.format(e="se")} AS sent_at, sc.priority AS priority,
       sc.customer_id AS customer_id, NULL AS campaign, NULL AS campaign_tag,
       NULL AS campaign_text
FROM scheduled AS sc
JOIN scheduled_number AS sn ON sn.id_scheduled = sc.id
LEFT JOIN sended AS se ON se.originating_scheduled = sc.id
WHERE sc.id_user = :user AND {_SINGLE.format(s="sc")}
"""  # noqa: S608 - constant SQL fragments, values are bound

_RECIPIENTS = f"""
SELECT 'recipient' AS kind, se.id AS id, se.destination AS number, se.text AS text,
       se.state AS state, se.reason AS reason, {_REPORT_FAILED.format(e="se")} AS report_failed,
       se.id_phone AS id_phone, se.created_at AS created_at, se.at AS due_at,
       {_SENT_AT.format(e="se")} AS sent_at, se.priority AS priority,
       sc.customer_id AS customer_id, sc.id AS campaign, sc.tag AS campaign_tag,
       sc.text AS campaign_text
FROM sended AS se
LEFT JOIN scheduled AS sc ON sc.id = se.originating_scheduled
WHERE se.id_user = :user AND (sc.id IS NULL OR NOT {_SINGLE.format(s="sc")})
"""  # noqa: S608 - constant SQL fragments, values are bound

_RECEIVED = """
SELECT 'received' AS kind, r.id AS id, r.origin AS number, r.text AS text, 'received' AS state,
       NULL AS reason, 0 AS report_failed, r.id_phone AS id_phone, r.at AS created_at,
       NULL AS due_at, NULL AS sent_at, 0 AS priority, NULL AS customer_id, NULL AS campaign,
       NULL AS campaign_tag, NULL AS campaign_text
FROM received AS r
WHERE r.id_user = :user
"""

_PARTS = {"submission": _SUBMISSIONS, "recipient": _RECIPIENTS, "received": _RECEIVED}


def _query(kinds: frozenset[str], where: list[str], order: str) -> str:
    parts = [_PARTS[kind] for kind in ("submission", "recipient", "received") if kind in kinds]
    union = " UNION ALL ".join(parts)
    condition = " AND ".join(where) if where else "1"
    return f"SELECT * FROM ({union}) WHERE {condition} ORDER BY {order}"  # noqa: S608 - constant fragments, values bound


async def history(db: Database, id_user: int, wanted: HistoryFilter) -> list[HistoryEntry]:
    """The user's messages that ``wanted`` keeps, oldest first (or newest first)."""
    if not wanted.kinds:
        return []
    where: list[str] = []
    params: dict[str, object] = {"user": id_user}
    for column, value in (
        ("id_phone", wanted.id_phone),
        ("number", wanted.number),
        ("customer_id", wanted.customer_id),
    ):
        if value is not None:
            where.append(f"{column} = :{column}")
            params[column] = value
    if wanted.begin is not None:
        where.append("created_at >= :begin")
        params["begin"] = wanted.begin
    if wanted.end is not None:
        where.append("created_at <= :end")
        params["end"] = wanted.end
    direction = "DESC" if wanted.newest_first else "ASC"
    order = f"created_at {direction}, kind {direction}, id {direction}"
    found = await db.fetchall(_query(wanted.kinds, where, order), params)
    return [HistoryEntry.of(r) for r in found]


async def entry(db: Database, id_user: int, kind: Kind, id_entry: int) -> HistoryEntry | None:
    """One entry of the user's history, or ``None``."""
    found = await db.fetchone(
        _query(frozenset((kind,)), ["id = :id"], "id"), {"user": id_user, "id": id_entry}
    )
    return None if found is None else HistoryEntry.of(found)
