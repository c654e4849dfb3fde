"""Helpers of the MQTT tests: a subscriber that survives broker restarts, polling."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Self

import aiomqtt


class Subscriber:
    """A test client with a persistent session (QoS 1) that reconnects by itself.

    ``messages`` keeps every (topic, payload, retain) received, in order.
    """

    def __init__(self, port: int, *filters: str, client_id: str = "test-subscriber") -> None:
        self.port = port
        self.filters = filters
        self.client_id = client_id
        self.messages: list[tuple[str, bytes, bool]] = []
        self.connected = asyncio.Event()
        self.client: aiomqtt.Client | None = None
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Self:
        self._task = asyncio.create_task(self._run())
        await asyncio.wait_for(self.connected.wait(), 10)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                async with aiomqtt.Client(
                    "127.0.0.1", self.port, identifier=self.client_id, clean_session=False
                ) as client:
                    self.client = client
                    await client.subscribe([(f, 1) for f in self.filters])
                    self.connected.set()
                    async for message in client.messages:
                        self.messages.append(
                            (message.topic.value, bytes(message.payload), message.retain)
                        )
            except aiomqtt.MqttError:
                self.connected.clear()
                self.client = None
                await asyncio.sleep(0.1)

    def on(self, topic: str) -> list[bytes]:
        return [payload for t, payload, _ in self.messages if t == topic]

    def json_on(self, topic: str) -> list[dict]:
        return [json.loads(p) for p in self.on(topic) if p]

    def matching(self, prefix: str) -> list[tuple[str, bytes]]:
        return [(t, p) for t, p, _ in self.messages if t.startswith(prefix)]


async def publish(
    port: int, topic: str, payload: bytes | str, *, qos: int = 1, retain: bool = False
) -> None:
    """Publish one message from a separate client."""
    async with aiomqtt.Client("127.0.0.1", port) as client:
        await client.publish(topic, payload, qos=qos, retain=retain)
