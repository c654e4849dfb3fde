"""The SMTP listener: who may send, to which addresses, and what becomes of an accepted mail.

One aiosmtpd protocol per connection, served by the daemon's own event loop. A mail is refused
with an SMTP error naming why:

- ``MAIL FROM`` not in ``[email_in] allowed_senders`` (when the list is not empty): 550;
- ``RCPT TO`` not ``<number>@<domain>`` or not a valid international number: 550 / 553;
- no authentication (SMTP AUTH PLAIN or LOGIN with the user's e-mail and API key, or an
  ``X-Api-Key`` header with the user's key): 530; wrong credentials: 535;
- a mail with no text: 554; the store failing: 451 (the client tries again later).

An accepted mail becomes one scheduled message to every recipient number, owned by the user who
authenticated, once per Message-ID and recipients (:func:`smsd.store.mailin.record_mail`).
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
from base64 import b64decode
from dataclasses import dataclass
from email import message_from_bytes
from email.policy import default as default_policy
from typing import TYPE_CHECKING, Any

import structlog
from aiosmtpd.smtp import MISSING, SMTP, AuthResult, Envelope, Session

from smsd.errors import StoreError
from smsd.mailin.text import mail_text
from smsd.phone import to_e164
from smsd.store import accounts
from smsd.store import mailin as store
from smsd.store.passwords import check_login
from smsd.store.rows import Recipient

if TYPE_CHECKING:
    from collections.abc import Callable
    from email.message import EmailMessage

    from smsd.config.inbound import EmailInConfig
    from smsd.store.db import Database

__all__ = ["MailListener"]

_log = structlog.get_logger("smsd.mailin")


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return host == "localhost"


_AUTH_NEEDED = (
    "530 5.7.0 Authentication required: SMTP AUTH with your e-mail and API key, "
    "or an X-Api-Key header"
)


@dataclass(frozen=True)
class _User:
    id: int
    email: str


class _Handler:
    """aiosmtpd's handler hooks (and its AUTH mechanisms, checked against the store)."""

    def __init__(self, db: Database, config: EmailInConfig, wake: Callable[[], None]) -> None:
        self._db = db
        self._config = config
        self._wake = wake
        self._log = structlog.get_logger("smsd.mailin")

    # ------------------------------------------------------------------ AUTH

    async def _check(self, login: bytes, password: bytes) -> AuthResult:
        email = login.decode("utf-8", "replace").strip()
        key = password.decode("utf-8", "replace")
        try:
            user = await accounts.user_by_api_key(self._db, key) if key else None
            if user is None and key:
                user = await check_login(self._db, email, key)
        except StoreError:
            return AuthResult(success=False, handled=False,
                              message="454 4.7.0 Temporary authentication failure")  # fmt: skip
        if user is None or user.email.casefold() != email.casefold() or user.status != "active":
            self._log.warning("mail_auth_refused", login=email)
            return AuthResult(success=False, handled=False,
                              message="535 5.7.8 Authentication failed: e-mail and API key "
                              "or password do not match an active user")  # fmt: skip
        return AuthResult(success=True, auth_data=_User(user.id, user.email))

    async def auth_PLAIN(self, server: SMTP, args: list[str]) -> AuthResult:  # noqa: N802 - aiosmtpd's hook name
        """``AUTH PLAIN``: the user's e-mail and API key (or password)."""
        raw: Any
        if len(args) == 1:
            raw = await server.challenge_auth("")
            if raw is MISSING:
                return AuthResult(success=False)
        else:
            try:
                raw = b64decode(args[1].encode(), validate=True)
            except ValueError:
                await server.push("501 5.5.2 Can't decode base64")
                return AuthResult(success=False, handled=True)
        fields = bytes(raw).split(b"\x00")
        if len(fields) != 3:
            await server.push("501 5.5.2 Can't split auth value")
            return AuthResult(success=False, handled=True)
        return await self._check(fields[1], fields[2])

    async def auth_LOGIN(self, server: SMTP, args: list[str]) -> AuthResult:  # noqa: N802 - aiosmtpd's hook name
        """``AUTH LOGIN``: the user's e-mail, then the API key."""
        login: Any
        if len(args) == 1:
            login = await server.challenge_auth(server.AuthLoginUsernameChallenge)
        else:
            try:
                login = b64decode(args[1].encode(), validate=True)
            except ValueError:
                await server.push("501 5.5.2 Can't decode base64")
                return AuthResult(success=False, handled=True)
        if login is MISSING:
            return AuthResult(success=False)
        password = await server.challenge_auth(server.AuthLoginPasswordChallenge)
        if password is MISSING:
            return AuthResult(success=False)
        return await self._check(bytes(login), bytes(password))

    # ------------------------------------------------------------------ envelope

    async def handle_MAIL(  # noqa: N802 - aiosmtpd's hook name
        self,
        server: SMTP,  # noqa: ARG002 - aiosmtpd's signature
        session: Session,  # noqa: ARG002
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        """Only the allowed senders (when a list is configured)."""
        allowed = self._config.allowed_senders
        if allowed and address.casefold() not in allowed:
            self._log.warning("mail_refused", sender=address, reason="sender not allowed")
            return f"550 5.7.1 Sender <{address}> is not allowed to send SMS here"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self,
        server: SMTP,  # noqa: ARG002 - aiosmtpd's signature
        session: Session,  # noqa: ARG002
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        """Only ``<number>@<domain>`` with a valid international number."""
        local, _, domain = address.rpartition("@")
        if domain.casefold() != self._config.domain:
            return f"550 5.1.2 <{address}>: only mail to <number>@{self._config.domain} is taken"
        if to_e164(local) is None:
            return (
                f"553 5.1.3 <{address}>: {local!r} is not a phone number in international "
                "form (+33612345678)"
            )
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    # ------------------------------------------------------------------ the mail

    async def _user(self, session: Session, message: EmailMessage) -> _User | str:
        identity: object = getattr(session, "auth_data", None)
        if isinstance(identity, _User):
            return identity
        key = str(message.get("X-Api-Key", "") or "")
        if not key:
            return _AUTH_NEEDED
        user = await accounts.user_by_api_key(self._db, str(key).strip())
        if user is None or user.status != "active":
            return "535 5.7.8 X-Api-Key header: not the API key of an active user"
        return _User(user.id, user.email)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802, ARG002 - aiosmtpd's hook
        """Authenticate, extract the text, record it once, wake the dispatcher."""
        raw = envelope.original_content or b""
        message = message_from_bytes(raw, policy=default_policy)
        sender = envelope.mail_from or ""
        try:
            user = await self._user(session, message)
            if isinstance(user, str):
                self._log.warning("mail_refused", sender=sender, reason=user[10:])
                return user
            text = mail_text(message, max_length=self._config.max_length)
            if not text:
                return "554 5.6.0 The mail has no text (its subject and body are empty)"
            numbers = sorted({to_e164(a.rpartition("@")[0]) or "" for a in envelope.rcpt_tos})
            ident = str(message.get("Message-ID") or hashlib.sha256(raw).hexdigest())
            key = hashlib.sha256("\x1f".join([ident, *numbers]).encode()).hexdigest()
            id_scheduled = await store.record_mail(
                self._db,
                id_user=user.id,
                dedupe_key=key,
                sender=sender,
                text=text,
                recipients=[Recipient(number=n) for n in numbers],
            )
        except StoreError as exc:
            self._log.warning("mail_not_stored", sender=sender, error=str(exc))
            return "451 4.3.0 Temporary storage problem, try again later"
        if id_scheduled is None:
            self._log.info("mail_duplicate", sender=sender, message_id=ident)
            return "250 2.0.0 OK: already queued"
        self._wake()
        self._log.info("mail_accepted", sender=sender, user=user.email, numbers=numbers,
                       scheduled=id_scheduled)  # fmt: skip
        return f"250 2.0.0 OK: queued as {id_scheduled}"


class MailListener:
    """The ``[email_in]`` SMTP server on the daemon's event loop."""

    def __init__(self, db: Database, config: EmailInConfig, *, wake: Callable[[], None]) -> None:
        self._config = config
        self._handler = _Handler(db, config, wake)
        self._server: asyncio.Server | None = None
        self.address = ""
        """``host:port`` once started."""

    def _protocol(self) -> SMTP:
        return SMTP(
            self._handler,
            hostname=self._config.domain,
            data_size_limit=self._config.max_size,
            enable_SMTPUTF8=True,
            auth_require_tls=False,  # loopback by default; see the README before exposing it
        )

    async def start(self) -> str:
        """Listen; return ``host:port`` (the real port when the configuration says 0)."""
        listen = self._config.listen
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._protocol, listen.host, listen.port)
        host, port = self._server.sockets[0].getsockname()[:2]
        if not _loopback(str(host)):
            _log.warning(
                "email_in_listens_publicly",
                address=f"{host}:{port}",
                hint="SMTP AUTH is accepted without TLS: put a TLS relay in front of it",
            )
        self.address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        return self.address

    async def stop(self) -> None:
        """Stop taking connections and close the open ones."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
            await server.wait_closed()
