"""The MQTT bridge task: one connection at a time, rebuilt with backoff, never in the way.

:class:`MqttBridge` follows aiomqtt's reconnection recipe: one client per connection inside an
outer loop. Each connection:

1. connects with a persistent session (``clean_session`` off, ``[mqtt] client_id``), so QoS 1
   commands sent while smsd was away wait at the broker, and a last will that sets
   ``<base>/status`` to ``offline`` (retained);
2. publishes ``online`` there (retained), subscribes to the command topics, Home Assistant's
   ``<discovery_prefix>/status`` (its birth message makes the bridge publish discovery again)
   and its own discovery configs (to remove stale ones), then publishes every discovery config
   and state again;
3. runs three loops until the connection fails or the daemon stops: commands, outbox events,
   and the retained state (:class:`~smsd.mqtt.presence.Presence`, every :data:`TICK` seconds).

Commands are acknowledged (PUBACK) only after the message is committed and its result
published: the client runs with paho's manual acknowledgement. A command the broker delivers
again (its acknowledgement was lost with the connection, or smsd stopped or crashed between the
commit and the PUBACK) carries the DUP flag: it is looked up in the durable command records
(:mod:`smsd.store.idempotency`, written in the message's own transaction, keyed by the client
id, the packet id and the digest of topic and payload) and answered with the same result, not
stored twice. A delivery without the DUP flag is new, whatever its packet id: it is stored and
recorded (replacing an older record under the same key). A JSON command's ``ref`` is an
idempotency key too (:mod:`smsd.mqtt.commands`). Retained commands are ignored (they would be
run again at every connection).

Events (:mod:`smsd.mqtt.events`) are read from the shared outbox in id order, published with
QoS 1, and marked published in one transaction per batch once the broker acknowledged them:
events that happen while the broker is away stay pending and go out after the reconnection
(at least once: each payload carries its id).

A broker that is down or goes away is logged once (``mqtt_broker_unavailable``, then
``mqtt_broker_back``); the rest of the daemon never waits for the bridge: it only reads the
store and writes one short transaction per batch of events.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
from typing import TYPE_CHECKING, Any

import aiomqtt
import structlog

from smsd.errors import StoreError
from smsd.log import LogOnce
from smsd.mqtt.commands import (
    CommandError,
    SendCommand,
    delivery_key,
    execute,
    parse_json,
    parse_plain,
    ref_key,
    ref_of,
)
from smsd.mqtt.discovery import Discovery
from smsd.mqtt.events import publications
from smsd.mqtt.presence import Presence
from smsd.mqtt.topics import Topics
from smsd.store import mqtt as store
from smsd.store.changes import InsertWatch, watch_inserts

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from smsd.config import MqttConfig
    from smsd.mqtt.state import PhoneView
    from smsd.store.db import Database
    from smsd.store.idempotency import CommandKey
    from smsd.store.webhooks import EventRow

__all__ = ["TICK", "MqttBridge", "backoff"]

TICK = 1.0
"""Seconds between two looks at the phones' state."""
POLL = 60.0
"""Longest sleep of the events loop (a safety net): an insert watch on the outbox wakes it as
soon as an event is written."""
BATCH = 200
STOP_GRACE = 3.0
BACKOFF_INITIAL = 0.5

_PAHO_LOG = logging.getLogger("smsd.mqtt.paho")
"""paho's own messages (a reset socket...): dropped; the bridge logs what matters, once."""
_PAHO_LOG.addHandler(logging.NullHandler())
_PAHO_LOG.propagate = False


def backoff(failures: int, maximum: float, jitter: float = 0.0) -> float:
    """Seconds to wait after the ``failures``-th failed connection (doubling, capped, +20 %)."""
    base = min(BACKOFF_INITIAL * 2.0 ** min(max(failures, 1) - 1, 30), maximum)
    return base * (1.0 + 0.2 * min(max(jitter, 0.0), 1.0))


class MqttBridge:
    """The MQTT front door (see the module docstring).

    ``phones`` returns the phones the daemon runs now; ``wake`` tells the dispatcher a message
    was stored; ``id_user`` is the user the bridge acts as.
    """

    def __init__(
        self,
        db: Database,
        config: MqttConfig,
        *,
        id_user: int,
        phones: Callable[[], Sequence[PhoneView]],
        wake: Callable[[], None],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._db = db
        self._config = config
        self._id_user = id_user
        self._phones = phones
        self._wake = wake
        self._clock = clock
        self.topics = Topics(config.base_topic)
        self._discovery = (
            Discovery(self.topics, config.discovery_prefix, config.notify_to)
            if config.discovery
            else None
        )
        self._presence = Presence(
            db,
            self.topics,
            self._discovery,
            interval=config.state_interval,
            retain_state=config.retain_state,
            clock=clock,
        )
        self._stopping = asyncio.Event()
        self._woken = asyncio.Event()
        self._watch: InsertWatch | None = None
        self._task: asyncio.Task[None] | None = None
        self._dups: set[int] = set()
        """Packet ids of the messages received with the DUP flag (a redelivery), until handled."""
        self._once = LogOnce()
        self._log = structlog.get_logger("smsd.mqtt")
        self.connections = 0
        """Connections made so far (for tests and logs)."""

    async def start(self) -> None:
        """Turn the outbox triggers on for the bridge's user and start connecting."""
        await store.start_events(self._db, self._id_user)
        # An event written wakes the events loop at once: nothing waits for the poll.
        self._watch = await watch_inserts(self._db, "webhook_event", self._woken.set, owner="mqtt")
        self._task = asyncio.create_task(self._run(), name="mqtt-bridge")
        self._task.add_done_callback(self._ended)

    def wake(self) -> None:
        """Look at the outbox now."""
        self._woken.set()

    async def stop(self) -> None:
        """Publish ``offline`` and disconnect (a few seconds at most); pending events stay."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping.set()
        done, _ = await asyncio.wait({task}, timeout=STOP_GRACE)
        if not done:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _ended(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            self._log.error("mqtt_bridge_crashed", exc_info=task.exception())

    # ------------------------------------------------------------------ connections

    def _client(self) -> aiomqtt.Client:
        c = self._config
        tls = None
        if c.tls:
            tls = aiomqtt.TLSParameters(
                ca_certs=None if c.ca_file is None else str(c.ca_file),
                certfile=None if c.cert_file is None else str(c.cert_file),
                keyfile=None if c.key_file is None else str(c.key_file),
            )
        client = aiomqtt.Client(
            c.host,
            c.port,
            username=c.username,
            password=c.password,
            identifier=c.client_id,
            clean_session=False,
            keepalive=c.keepalive,
            will=aiomqtt.Will(self.topics.status, b"offline", qos=1, retain=True),
            tls_params=tls,
            tls_insecure=c.tls_insecure if c.tls else None,
            timeout=10,
            logger=_PAHO_LOG,
        )
        # aiomqtt does not expose paho's manual acknowledgement: commands are acknowledged
        # only once stored (see _handle), so the broker delivers them again after a crash.
        client._client.manual_ack_set(True)  # noqa: SLF001, FBT003
        # Nor the DUP flag, which tells a redelivery from a new message reusing a packet id.
        paho = client._client  # noqa: SLF001 - see above
        inner = paho.on_message
        dups = self._dups

        def on_message(paho_client: Any, userdata: Any, message: Any) -> None:  # noqa: ANN401 - paho's callback
            (dups.add if message.dup else dups.discard)(message.mid)
            if inner is not None:
                inner(paho_client, userdata, message)

        paho.on_message = on_message
        return client

    async def _run(self) -> None:
        failures = 0
        where = f"{self._config.host}:{self._config.port}"
        while not self._stopping.is_set():
            client = self._client()
            try:
                async with client:
                    self.connections += 1
                    failures = 0
                    if self._once.clear("broker") or self.connections == 1:
                        self._log.info("mqtt_connected", broker=where)
                    await self._session(client)
            except aiomqtt.MqttError as exc:
                self._once.warn(
                    self._log, "broker", "mqtt_broker_unavailable", broker=where, error=str(exc)
                )
            except StoreError as exc:
                self._once.warn(self._log, "store", "mqtt_store_error", error=str(exc))
            except Exception:  # noqa: BLE001 - a bug: logged, then tried again (never fatal)
                self._log.exception("mqtt_bridge_failed")
            finally:
                _retrieve(client)
            if self._stopping.is_set():
                break
            failures += 1
            with contextlib.suppress(TimeoutError):
                delay = backoff(failures, self._config.reconnect_max, random.random())  # noqa: S311
                async with asyncio.timeout(delay):
                    await self._stopping.wait()

    async def _session(self, client: aiomqtt.Client) -> None:
        topics = self.topics
        await client.publish(topics.status, b"online", qos=1, retain=True)
        subscriptions = [(topics.send, 1), (topics.send_to, 1)]
        if self._discovery is not None:
            subscriptions += [
                (f"{self._config.discovery_prefix}/status", 0),
                (self._discovery.subscription, 0),
            ]
        await client.subscribe(subscriptions)
        self._presence.reset()
        await self._refresh(client)
        loops = [
            asyncio.create_task(self._commands(client), name="mqtt-commands"),
            asyncio.create_task(self._events(client), name="mqtt-events"),
            asyncio.create_task(self._states(client), name="mqtt-states"),
        ]
        stop = asyncio.create_task(self._stopping.wait(), name="mqtt-stop")
        try:
            done, _ = await asyncio.wait([*loops, stop], return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in [*loops, stop]:
                task.cancel()
            await asyncio.gather(*loops, stop, return_exceptions=True)
        for task in done:
            error = None if task is stop or task.cancelled() else task.exception()
            if error is not None:
                raise error
        if stop in done:
            with contextlib.suppress(aiomqtt.MqttError):
                await client.publish(topics.status, b"offline", qos=1, retain=True, timeout=1)
            self._log.info("mqtt_disconnected")
            return
        raise aiomqtt.MqttError("the connection ended")

    # ------------------------------------------------------------------ the three loops

    async def _refresh(self, client: aiomqtt.Client) -> None:
        await self._presence.refresh(self._phones(), _Publisher(client))

    async def _states(self, client: aiomqtt.Client) -> None:
        while True:
            await asyncio.sleep(TICK)
            await self._refresh(client)

    async def _events(self, client: aiomqtt.Client) -> None:
        retain = self._config.retain_events
        while True:
            if self._watch is not None:
                await self._watch.settled()  # the events that woke the loop are committed
            events = await store.pending_events(self._db, limit=BATCH)
            if not events:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(POLL):
                        await self._woken.wait()
                self._woken.clear()
                continue
            await self._publish_batch(client, events, retain=retain)

    async def _publish_batch(
        self, client: aiomqtt.Client, events: Sequence[EventRow], *, retain: bool
    ) -> None:
        """Publish a batch pipelined (in order on the wire), then mark what the broker has."""
        owners: list[int] = []
        sends = []
        for event in events:
            found, phone = publications(event, self.topics, retain=retain)
            self._presence.touch(phone)
            for item in found:
                owners.append(event.id)
                sends.append(client.publish(item.topic, item.payload, qos=1, retain=item.retain))
        client.pending_calls_threshold = max(client.pending_calls_threshold, len(sends) + 10)
        outcomes = await asyncio.gather(*sends, return_exceptions=True)
        failed = {owner for owner, o in zip(owners, outcomes, strict=True) if o is not None}
        done = [event.id for event in events if event.id not in failed]
        if done:  # also when the connection broke: what the broker has is not sent again
            await store.mark_published(self._db, done, at=self._clock())
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome

    async def _commands(self, client: aiomqtt.Client) -> None:
        birth = f"{self._config.discovery_prefix}/status"
        async for message in client.messages:
            topic = message.topic.value
            payload = bytes(message.payload)
            if topic == self.topics.send or (
                topic.startswith(f"{self.topics.send}/") and topic != self.topics.result
            ):
                delivery = (
                    delivery_key(self._config.client_id, message.mid, topic, payload)
                    if message.qos > 0
                    else None
                )
                dup = message.mid in self._dups
                await self._handle(
                    client, topic, payload, delivery=delivery, dup=dup, retained=message.retain
                )
            elif topic == birth and payload == b"online":
                self._presence.reset()
                await self._refresh(client)
            elif self._discovery is not None and payload:
                await self._presence.clean(topic, self._phones(), _Publisher(client))
            # Only now (stored, result published): an exception above leaves the command
            # unacknowledged, and the broker delivers it again on the next connection.
            client._client.ack(message.mid, message.qos)  # noqa: SLF001 - see _client
            self._dups.discard(message.mid)

    async def _handle(
        self,
        client: aiomqtt.Client,
        topic: str,
        payload: bytes,
        *,
        delivery: CommandKey | None,
        dup: bool,
        retained: bool,
    ) -> None:
        if retained:
            self._once.warn(
                self._log, f"retained:{topic}", "mqtt_retained_command_ignored", topic=topic
            )
            return
        result = await self._result(topic, payload, delivery=delivery, dup=dup)
        await client.publish(self.topics.result, result, qos=1)

    async def _result(
        self, topic: str, payload: bytes, *, delivery: CommandKey | None, dup: bool
    ) -> bytes:
        ref: object = None
        try:
            command: SendCommand
            if topic == self.topics.send:
                ref = ref_of(payload)
                command = parse_json(payload)
            else:
                command = parse_plain(self.topics.number_of(topic) or "", payload)
            by_ref = ref_key(command)
            looked_up = [] if delivery is None or not dup else [delivery]
            stored = await execute(
                self._db,
                command,
                id_user=self._id_user,
                keys=looked_up if by_ref is None else [*looked_up, by_ref],
                remember=[] if delivery is None or dup else [delivery],
            )
        except CommandError as exc:
            self._log.info("mqtt_command_refused", topic=topic, error=exc.code)
            answer: dict[str, object] = {"ok": False, "error": exc.code, "message": str(exc)}
        else:
            id_scheduled = stored.ids[0]
            if stored.replayed:
                self._log.info("mqtt_command_repeated", id_scheduled=id_scheduled, to=command.to)
            else:
                self._wake()
                self._log.info("mqtt_command_stored", id_scheduled=id_scheduled, to=command.to)
            answer = {"ok": True, "id": id_scheduled, "to": command.to}
        if ref is not None:
            answer["ref"] = ref
        return json.dumps(answer, ensure_ascii=False, separators=(",", ":")).encode()


class _Publisher:
    """Publishes on one connection with QoS 1 (the :class:`~smsd.mqtt.presence.Publish`)."""

    def __init__(self, client: aiomqtt.Client) -> None:
        self._client = client

    async def __call__(self, topic: str, payload: bytes, *, retain: bool) -> None:
        await self._client.publish(topic, payload, qos=1, retain=retain)


def _retrieve(client: aiomqtt.Client) -> None:
    """Read the outcome aiomqtt left in its disconnection future (else asyncio logs it at GC)."""
    future = client._disconnected  # noqa: SLF001 - aiomqtt keeps the lost connection's error there
    if future.done() and not future.cancelled():
        future.exception()
