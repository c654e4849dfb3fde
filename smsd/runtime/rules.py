"""Incoming rules at work: each received message, once, through its user's rules and commands.

:class:`RuleRunner` is a runtime task like the senders. It reads the received messages the
rules have not handled (a cursor in the store, so a restart neither skips nor repeats one),
decides with the pure :mod:`smsd.matching` what each causes, and commits all of it in one
transaction (:func:`smsd.store.rules.apply`): auto-replies and forwards as ordinary scheduled
messages linked to the message (the dispatcher applies limits, quiet hours and the STOP list),
mails and webhook posts as rows of the webhook outbox (retried with backoff, see
:mod:`smsd.webhooks.mailer`), the ``read`` flag. Then it wakes the dispatcher and the outbox.

Loops: a rule auto-replies at most once per sender within its ``window``; it never answers a
short code or alphanumeric sender, nor a text equal to one smsd itself sent because of a rule or
a command within a day (two gateways, or two phones of one gateway, answering each other).

RaspiSMS's ``transfer`` setting mails every received message to the user's address.
Commands (``<password>:<name>`` from an allowed number) are flagged ``command`` in the same
transaction and only then run (at most once, even across a crash); their output is sent back
when the command says ``reply``. A refused command (unknown number, wrong password) runs
nothing and is logged; a command's text is never forwarded nor mailed (it holds a password).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import time
from typing import TYPE_CHECKING

import structlog

from smsd.errors import StoreError
from smsd.log import LogOnce
from smsd.matching import (
    Command,
    Incoming,
    Rule,
    RuleError,
    definition_of,
    is_short_code,
    number_key,
    parse_command,
    rule_from_definition,
    select,
)
from smsd.runtime.commands import run_command
from smsd.store import rules as store
from smsd.store.changes import watch_inserts
from smsd.store.rows import Recipient
from smsd.webhooks.mailer import MAILTO

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from smsd.runtime.commands import Outcome
    from smsd.store.db import Database

__all__ = ["MAX_REPLY", "POLL_INTERVAL", "RuleRunner", "verbatim"]

POLL_INTERVAL = 60.0
"""Longest sleep of the runner (a safety net): an insert watch on ``received`` wakes it as soon
as a message is stored, and the clean-up below wakes it when due."""
PURGE_INTERVAL = 300.0
"""Seconds between two clean-ups of closed auto-reply windows."""
MAX_REPLY = 459
"""Characters of a command's output sent back (three concatenated GSM-7 parts)."""
_MARKUP = ("{{", "{%", "{#")


def verbatim(text: str, number: str, **data: object) -> tuple[str, Recipient]:
    """A text sent exactly as written (never read as a template) to ``number``.

    The dispatcher renders every scheduled text as a template; a text from outside (a forwarded
    SMS, a command's output, a mail) with template markup goes through the recipient's data.
    """
    if not any(mark in text for mark in _MARKUP):
        return text, Recipient(number=number, data=json.dumps(data) if data else "[]")
    return "{{ contact.verbatim }}", Recipient(
        number=number, data=json.dumps({**data, "verbatim": text})
    )


def _rule_key(rule: Rule) -> str:
    text = json.dumps(definition_of(rule), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


class RuleRunner:
    """Handles received messages (see the module docstring)."""

    def __init__(
        self,
        db: Database,
        *,
        commands: Sequence[Command] = (),
        mail: bool = False,
        wake_dispatcher: Callable[[], None] = lambda: None,
        wake_outbox: Callable[[], None] = lambda: None,
        clock: Callable[[], float] = time.time,
        poll_interval: float = POLL_INTERVAL,
    ) -> None:
        self._db = db
        self._commands = {command.name: command for command in commands}
        self._mail = mail
        self._wake_dispatcher = wake_dispatcher
        self._wake_outbox = wake_outbox
        self._clock = clock
        self._poll = poll_interval
        self._woken = asyncio.Event()
        self._jobs: set[asyncio.Task[None]] = set()
        self._next_purge = 0.0
        self._once = LogOnce()
        self._log = structlog.get_logger("smsd.rules")

    def wake(self) -> None:
        """Look at the received messages now."""
        self._woken.set()

    async def run(self) -> None:
        """Handle received messages until cancelled (then stop the commands running)."""
        try:
            watch = await watch_inserts(self._db, "received", self._woken.set, owner="rules")
            while True:
                try:
                    await watch.settled()  # the messages that woke us are committed: readable
                    await self.handle_pending()
                    self._once.clear("store")
                except StoreError as exc:
                    self._once.warn(self._log, "store", "rules_store_error", error=str(exc))
                wait = min(self._poll, self._next_purge - self._clock())
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(max(wait, 0.01)):
                        await self._woken.wait()
                self._woken.clear()
        finally:
            for job in list(self._jobs):
                job.cancel()
            await asyncio.gather(*self._jobs, return_exceptions=True)

    async def handle_pending(self) -> int:
        """Handle every received message past the cursor; the count."""
        count = 0
        now = self._clock()
        if now >= self._next_purge:
            self._next_purge = now + PURGE_INTERVAL
            await store.expire_windows(self._db, now=now)
        while batch := await store.pending(self._db):
            transfer = await store.users_with_transfer(self._db) if self._mail else {}
            rules: dict[int, list[tuple[int, Rule]]] = {}
            for message in batch:
                if message.id_user not in rules:
                    rules[message.id_user] = await self._rules_of(message.id_user)
                try:
                    await self._handle(message, rules[message.id_user], transfer)
                except StoreError:
                    raise  # tried again at the next round
                except Exception:  # noqa: BLE001 - a bug must not hold every later message back
                    self._log.exception("rules_failed", received=message.id)
                    await store.apply(self._db, store.Plan(message.id, message.id_user))
                count += 1
        return count

    async def _rules_of(self, id_user: int) -> list[tuple[int, Rule]]:
        found = []
        for row in await store.list_rules(self._db, id_user=id_user):
            try:
                found.append((row.id, rule_from_definition(json.loads(row.definition))))
            except (RuleError, ValueError) as exc:
                self._once.warn(self._log, f"rule:{row.id}", "rule_unusable", rule=row.id,
                                error=str(exc))  # fmt: skip
        return found

    # ------------------------------------------------------------------ one message

    async def _handle(
        self,
        message: store.ReceivedRow,
        rules: list[tuple[int, Rule]],
        transfer: dict[int, str],
    ) -> None:
        request = parse_command(message.text)
        command = None if request is None else self._commands.get(request.name)
        if request is not None and command is not None:
            allowed = self._allowed(command, message, request.password)
            plan = store.Plan(message.id, message.id_user, store.Action(command=True))
            if await store.apply(self._db, plan) is not None and allowed:
                self._start(command, message)
            return
        action = await self._decide(message, rules, transfer)
        written = await store.apply(self._db, store.Plan(message.id, message.id_user, action))
        if written:
            self._wake_dispatcher()
        if action.events and written is not None:
            self._wake_outbox()

    async def _decide(
        self,
        message: store.ReceivedRow,
        rules: list[tuple[int, Rule]],
        transfer: dict[int, str],
    ) -> store.Action:
        contact = await store.contact_of(self._db, id_user=message.id_user, number=message.origin)
        name: str | None = None
        data: dict[str, object] = {"number": message.origin}
        groups: frozenset[str] = frozenset()
        if contact is not None:
            name, number, data_text, group_names = contact
            decoded = _json_object(data_text)
            data = {**decoded, "name": name, "number": number}
            groups = frozenset(group_names)
        incoming = Incoming(message.origin, message.text, message.phone, groups)
        chosen = select(rules, incoming)
        # Never answer our own texts coming back; never reply to a short code (forwarding its
        # message elsewhere is fine: a bank's code to the family phone).
        echo = await store.recent_rule_text(
            self._db, text=message.text, since=self._clock() - store.ECHO_WINDOW
        )
        answerable = not echo and not is_short_code(message.origin)
        outgoing: list[store.Outgoing] = []
        events: list[store.Event] = []
        mailed: set[str] = set()
        for id_rule, rule in chosen:
            self._log.info("rule_matched", rule=id_rule, received=message.id)
            if rule.reply and answerable:
                window = None
                if rule.window > 0:
                    window = (_rule_key(rule), number_key(message.origin), rule.window)
                recipient = Recipient(number=message.origin, data=json.dumps(data))
                outgoing.append(store.Outgoing("reply", rule.reply, (recipient,), id_rule,
                                               message.id_phone, window))  # fmt: skip
            if rule.forward_to and not echo:
                shown = f"{name} ({message.origin})" if name else message.origin
                forwarded = f"From {shown}: {message.text}"
                pairs = [verbatim(forwarded, number) for number in rule.forward_to]
                outgoing.append(store.Outgoing(
                    "forward", pairs[0][0], tuple(p[1] for p in pairs), id_rule
                ))  # fmt: skip
            if rule.email and rule.email not in mailed:
                mailed.add(rule.email)
                events.append(_mail_event(rule.email, message, name))
            if rule.webhook:
                events.append(store.Event("receive_sms", rule.webhook, _payload(message)))
        address = transfer.get(message.id_user)
        if address and address not in mailed:
            events.append(_mail_event(address, message, name))
        return store.Action(
            outgoing=tuple(outgoing),
            events=tuple(events),
            mark_read=any(rule.mark_read for _id, rule in chosen),
        )

    # ------------------------------------------------------------------ commands

    def _allowed(self, command: Command, message: store.ReceivedRow, password: str) -> bool:
        origin = number_key(message.origin)
        if not any(number_key(n) == origin for n in command.allowed_numbers):
            reason = "number not allowed"
        elif not hmac.compare_digest(password.encode(), command.password.encode()):
            reason = "wrong password"
        else:
            return True
        self._log.warning("command_refused", command=command.name, origin=message.origin,
                          received=message.id, reason=reason)  # fmt: skip
        return False

    def _start(self, command: Command, message: store.ReceivedRow) -> None:
        job = asyncio.create_task(self._run(command, message), name=f"command:{command.name}")
        self._jobs.add(job)
        job.add_done_callback(self._jobs.discard)

    async def _run(self, command: Command, message: store.ReceivedRow) -> None:
        log = self._log.bind(command=command.name, origin=message.origin, received=message.id)
        log.info("command_started", argv=list(command.argv))
        outcome = await run_command(command, origin=message.origin)
        log.info("command_finished", exit_code=outcome.code, timed_out=outcome.timed_out,
                 duration=round(outcome.duration, 3), output=outcome.output[:MAX_REPLY],
                 error=outcome.error)  # fmt: skip
        if not command.reply or is_short_code(message.origin):
            return
        text, recipient = verbatim(_answer(command, outcome), message.origin)
        try:
            await store.add_outgoing(
                self._db,
                id_user=message.id_user,
                text=text,
                recipients=(recipient,),
                kind="command",
                id_received=message.id,
                id_phone=message.id_phone,
            )
        except StoreError as exc:
            log.warning("command_answer_not_saved", error=str(exc))
            return
        self._wake_dispatcher()


def _answer(command: Command, outcome: Outcome) -> str:
    if outcome.error is not None:
        head = f"{command.name}: cannot run ({outcome.error})"
    elif outcome.timed_out:
        head = f"{command.name}: stopped after {command.timeout:g} s"
    else:
        head = f"{command.name}: exit {outcome.code}"
    body = outcome.output.strip()
    text = f"{head}\n{body}" if body else head
    return text if len(text) <= MAX_REPLY else text[: MAX_REPLY - 1] + "…"


def _json_object(text: str) -> dict[str, object]:
    try:
        decoded = json.loads(text)
    except ValueError:
        return {}
    return decoded if isinstance(decoded, dict) else {}


def _mail_event(address: str, message: store.ReceivedRow, name: str | None) -> store.Event:
    shown = f"{name} <{message.origin}>" if name else message.origin
    phone = f" on {message.phone}" if message.phone else ""
    text = f"From: {shown}\nReceived: {message.at}{phone}\n\n{message.text}\n"
    body = {"to": address, "subject": f"SMS from {shown}", "text": text}
    return store.Event("email", MAILTO + address, body)


def _payload(message: store.ReceivedRow) -> dict[str, object]:
    """RaspiSMS's receive_sms body (as the trigger of migration 0002 writes it)."""
    return {
        "id": message.id,
        "at": message.at,
        "text": message.text,
        "destination": message.id_phone,
        "origin": message.origin,
        "command": False,
        "mms": False,
        "medias": [],
    }
