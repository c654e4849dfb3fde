"""Phone state payloads, and when to publish them: on change, at a bounded rate.

A phone's state combines what the daemon sees live (:class:`PhoneView`: status, registration,
operator, signal, identity) and what the store counts (:class:`~smsd.store.mqtt.PhoneFigures`:
its queue, messages sent today, the last message received). :class:`StateGate` says whether a
new state is worth publishing: a change of status, availability, registration, operator,
identity or last received message goes out at once; a change of the figures (signal, queue,
count) waits until ``interval`` seconds passed since that phone's last publication; an
unchanged state is not published again (a retained topic keeps it), except when the bridge
reconnects (:meth:`StateGate.forget`).

SIM balance: ``balance`` is the balance watch's last reading (``None`` while no check found
one, or without ``balance_ussd``) and ``balance_low`` whether it is below ``balance_min``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from smsd.store.mqtt import PhoneFigures

__all__ = ["PhoneView", "StateGate", "phone_payload"]

_FIGURES = frozenset({"signal_dbm", "queue", "sent_today"})


class PhoneView(Protocol):
    """One running phone as the daemon sees it (``smsd.api.state.PhoneSnapshot`` fits)."""

    @property
    def id_phone(self) -> int: ...  # noqa: D102 - named by the field
    @property
    def name(self) -> str: ...  # noqa: D102 - named by the field
    @property
    def status(self) -> str: ...  # noqa: D102 - named by the field
    @property
    def available(self) -> bool: ...  # noqa: D102 - named by the field
    @property
    def connected(self) -> bool: ...  # noqa: D102 - named by the field
    @property
    def registered(self) -> bool: ...  # noqa: D102 - named by the field
    @property
    def operator(self) -> str: ...  # noqa: D102 - named by the field
    @property
    def signal_dbm(self) -> int | None: ...  # noqa: D102 - named by the field
    @property
    def manufacturer(self) -> str: ...  # noqa: D102 - named by the field
    @property
    def model(self) -> str: ...  # noqa: D102 - named by the field
    @property
    def imei(self) -> str: ...  # noqa: D102 - named by the field
    @property
    def balance(self) -> float | None: ...  # noqa: D102 - named by the field
    @property
    def balance_low(self) -> bool: ...  # noqa: D102 - named by the field


def phone_payload(view: PhoneView, figures: PhoneFigures) -> dict[str, object]:
    """The JSON object published on the phone's state topic."""
    last = figures.last_received
    return {
        "name": view.name,
        "status": view.status,
        "available": view.available,
        "connected": view.connected,
        "registered": view.registered,
        "operator": view.operator or None,
        "signal_dbm": view.signal_dbm,
        "manufacturer": view.manufacturer or None,
        "model": view.model or None,
        "imei": view.imei or None,
        "queue": figures.queue,
        "sent_today": figures.sent_today,
        "balance": view.balance,
        "balance_low": view.balance_low,
        "last_received": None
        if last is None
        else {"id": last.id, "from": last.sender, "text": last.text, "at": last.at},
    }


class StateGate:
    """Decides which state payloads to publish (see the module docstring)."""

    def __init__(self, interval: float) -> None:
        self._interval = interval
        self._last: dict[str, tuple[dict[str, object], float]] = {}

    def due(self, key: str, payload: dict[str, object], now: float) -> bool:
        """Whether ``payload`` for ``key`` should be published at ``now``."""
        previous = self._last.get(key)
        if previous is None:
            return True
        old, at = previous
        if old == payload:
            return False
        changed = {k for k in payload.keys() | old.keys() if payload.get(k) != old.get(k)}
        return bool(changed - _FIGURES) or now - at >= self._interval

    def published(self, key: str, payload: dict[str, object], now: float) -> None:
        """Record a publication."""
        self._last[key] = (payload, now)

    def drop(self, key: str) -> None:
        """Forget one key (its phone went away)."""
        self._last.pop(key, None)

    def forget(self) -> None:
        """Forget everything: the next states all go out (after a reconnection)."""
        self._last.clear()
