"""A TCP relay between smsd and the broker that reads the MQTT packets crossing it.

It lets a test hold back the daemon's PUBACKs of the commands on one topic (the broker then
still owes the command, as when smsd dies between its commit and its acknowledgement) and see
the PUBLISH packets the broker delivers, with their packet id and DUP flag. Packets are framed
by MQTT's fixed header (type and flags, then the remaining length as a variable-length
integer); their bytes cross unchanged.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

PUBLISH = 3
PUBACK = 4


@dataclass(frozen=True)
class Packet:
    """One MQTT control packet: its type, its flags (low nibble) and its body."""

    kind: int
    flags: int
    body: bytes

    @property
    def packet_id(self) -> int | None:
        """The packet identifier of a PUBACK or of a QoS > 0 PUBLISH."""
        if self.kind == PUBACK:
            return int.from_bytes(self.body[:2], "big")
        if self.kind == PUBLISH and self.flags & 0x06:
            topic_length = int.from_bytes(self.body[:2], "big")
            return int.from_bytes(self.body[2 + topic_length : 4 + topic_length], "big")
        return None

    @property
    def topic(self) -> str:
        """The topic of a PUBLISH."""
        length = int.from_bytes(self.body[:2], "big")
        return self.body[2 : 2 + length].decode()

    @property
    def dup(self) -> bool:
        """The DUP flag of a PUBLISH (a redelivery)."""
        return bool(self.flags & 0x08)


async def _read_packet(reader: asyncio.StreamReader) -> tuple[Packet, bytes]:
    first = await reader.readexactly(1)
    raw = bytearray(first)
    length, shift = 0, 0
    while True:
        byte = (await reader.readexactly(1))[0]
        raw.append(byte)
        length |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            break
    body = await reader.readexactly(length)
    raw += body
    return Packet(first[0] >> 4, first[0] & 0x0F, body), bytes(raw)


class MqttProxy:
    """Listens on a free loopback port and relays every connection to the broker's port."""

    def __init__(self, broker_port: int) -> None:
        self.broker_port = broker_port
        self.port = 0
        self.hold_topic: str | None = None
        """The clients' PUBACKs of deliveries on this topic are not passed on (kept in
        ``held``)."""
        self.held: list[Packet] = []
        self.passed_pubacks: list[Packet] = []
        self.delivered: list[Packet] = []
        """Every PUBLISH the broker sent through the relay, in order."""
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.broker_port)
        except OSError:
            writer.close()
            self._tasks.discard(task)
            return
        try:
            await asyncio.gather(
                self._relay(reader, up_writer, upstream=True),
                self._relay(up_reader, writer, upstream=False),
            )
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            for w in (writer, up_writer):
                w.close()
            self._tasks.discard(task)

    def _topic_of(self, puback: Packet) -> str | None:
        """The topic of the latest delivery with the packet id this PUBACK acknowledges."""
        for packet in reversed(self.delivered):
            if packet.packet_id == puback.packet_id:
                return packet.topic
        return None

    async def _relay(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, upstream: bool
    ) -> None:
        try:
            while True:
                packet, raw = await _read_packet(reader)
                if upstream and packet.kind == PUBACK:
                    if self.hold_topic is not None and self._topic_of(packet) == self.hold_topic:
                        self.held.append(packet)
                        continue
                    self.passed_pubacks.append(packet)
                if not upstream and packet.kind == PUBLISH:
                    self.delivered.append(packet)
                writer.write(raw)
                await writer.drain()
        finally:
            # One side ended: end the other too, as a broken TCP connection would.
            with contextlib.suppress(OSError):
                writer.close()
