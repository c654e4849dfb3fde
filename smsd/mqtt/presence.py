"""The retained side of the bridge: discovery configs and state topics, kept in step.

:class:`Presence` is called every tick of the bridge (and right after each connection) with
the phones the daemon runs. It publishes through the callable it is given:

- discovery configs for the daemon and for each phone, again when a phone's identity changes
  (its IMEI, manufacturer or model became known, or a first balance was read); for a phone
  that went away, an empty retained payload on each of its config topics and on its state
  topic (Home Assistant then removes its entities and device);
- each phone's state and the daemon's figures, through :class:`~smsd.mqtt.state.StateGate`.
  The store's figures of a phone are read again when an event touched the phone
  (:meth:`touch`) or after ``interval`` seconds, never on every tick.

:meth:`clean` answers retained configs found on the broker that belong to no current entity
(left by a phone removed while the daemon was stopped).
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Protocol

from smsd.mqtt.state import PhoneView, StateGate, phone_payload
from smsd.store.mqtt import PhoneFigures, phone_figures
from smsd.store.reports import queue_depth
from smsd.store.walltime import parse_wall, wall

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from smsd.mqtt.discovery import Discovery
    from smsd.mqtt.topics import Topics
    from smsd.store.db import Database

__all__ = ["Presence", "Publish"]

_DAEMON = "\0daemon"


class Publish(Protocol):
    """Publishes one message with QoS 1 (the bridge's connection)."""

    async def __call__(self, topic: str, payload: bytes, *, retain: bool) -> None:
        """Publish and wait for the broker's acknowledgement."""


def _midnight(now: float) -> float:
    """Unix time of the local midnight before ``now`` (the start of "today")."""
    return parse_wall(wall(now)[:10] + " 00:00:00")


def _encode(payload: object) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


class Presence:
    """Discovery and state publication (see the module docstring)."""

    def __init__(
        self,
        db: Database,
        topics: Topics,
        discovery: Discovery | None,
        *,
        interval: float,
        retain_state: bool,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._db = db
        self._topics = topics
        self._discovery = discovery
        self._interval = interval
        self._retain = retain_state
        self._clock = clock
        self._gate = StateGate(interval)
        self._identities: dict[str, tuple[str, str, str, bool]] = {}
        self._configs: dict[str, list[str]] = {}  # phone name -> its config topics
        self._figures: dict[str, tuple[PhoneFigures, float]] = {}
        self._dirty: set[str] = set()
        self._daemon_figures: tuple[int, float] | None = None

    def touch(self, name: str | None) -> None:
        """An event concerned this phone: read its figures again at the next tick."""
        if name is not None:
            self._dirty.add(name)
        self._daemon_figures = None

    def reset(self) -> None:
        """After a (re)connection: publish every config and state again."""
        self._gate.forget()
        self._identities.clear()

    def expected(self, views: Sequence[PhoneView]) -> set[str]:
        """The ``<component>/<object>`` keys of every entity that should exist now."""
        if self._discovery is None:
            return set()
        entities = self._discovery.daemon() + [
            entity for view in views for entity in self._discovery.phone(view)
        ]
        return {key for e in entities if (key := self._discovery.object_of(e.topic))}

    async def clean(self, topic: str, views: Sequence[PhoneView], publish: Publish) -> None:
        """A retained config seen on the broker: remove it if no current entity owns it."""
        if self._discovery is None:
            return
        key = self._discovery.object_of(topic)
        if key is not None and key not in self.expected(views):
            await publish(topic, b"", retain=True)

    async def refresh(self, views: Sequence[PhoneView], publish: Publish) -> None:
        """Publish what changed (configs, states) for ``views``, the phones running now."""
        now = self._clock()
        names = {view.name for view in views}
        for gone in [name for name in self._configs if name not in names]:
            await self._remove(gone, publish)
        if self._discovery is not None and _DAEMON not in self._identities:
            for entity in self._discovery.daemon():
                await publish(entity.topic, entity.encoded(), retain=True)
            self._identities[_DAEMON] = ("", "", "", True)
        sent_today = 0
        for view in views:
            await self._discover(view, publish)
            figures = await self._phone_figures(view, now)
            sent_today += figures.sent_today
            payload = phone_payload(view, figures)
            topic = self._topics.phone_state(view.name)
            if self._gate.due(topic, payload, now):
                await publish(topic, _encode(payload), retain=self._retain)
                self._gate.published(topic, payload, now)
        if self._daemon_figures is None or now - self._daemon_figures[1] >= self._interval:
            self._daemon_figures = (await queue_depth(self._db), now)
        daemon: dict[str, object] = {
            "queue": self._daemon_figures[0],
            "sent_today": sent_today,
            "phones": len(views),
            "phones_up": sum(1 for view in views if view.available),
        }
        topic = self._topics.daemon_state
        if self._gate.due(topic, daemon, now):
            await publish(topic, _encode(daemon), retain=self._retain)
            self._gate.published(topic, daemon, now)

    async def _discover(self, view: PhoneView, publish: Publish) -> None:
        identity = (view.imei, view.manufacturer, view.model, view.balance is not None)
        if self._identities.get(view.name) == identity:
            return
        entities = [] if self._discovery is None else self._discovery.phone(view)
        for entity in entities:
            await publish(entity.topic, entity.encoded(), retain=True)
        topics = [entity.topic for entity in entities]
        for gone in set(self._configs.get(view.name, ())) - set(topics):
            await publish(gone, b"", retain=True)
        self._configs[view.name] = topics
        self._identities[view.name] = identity

    async def _remove(self, name: str, publish: Publish) -> None:
        for topic in self._configs.pop(name, []):
            await publish(topic, b"", retain=True)
        state = self._topics.phone_state(name)
        await publish(
            state, b"", retain=True
        )  # an empty retained payload clears the retained state
        self._gate.drop(state)
        self._identities.pop(name, None)
        self._figures.pop(name, None)
        self._dirty.discard(name)

    async def _phone_figures(self, view: PhoneView, now: float) -> PhoneFigures:
        cached = self._figures.get(view.name)
        if cached is not None and view.name not in self._dirty and now - cached[1] < self._interval:
            return cached[0]
        self._dirty.discard(view.name)
        figures = await phone_figures(self._db, view.id_phone, since=_midnight(now))
        self._figures[view.name] = (figures, now)
        return figures
