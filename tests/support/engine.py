"""Helpers of the tests that run the runtime's engine over pty modems (runtime, hot-plug)."""

from __future__ import annotations

from smsd.store.outbox import Recipient, create_scheduled

__all__ = ["schedule"]


async def schedule(rig, text: str, *numbers: str, **settings: object) -> int:
    """A message from ``rig.id_user`` to ``numbers``, due now, and the engine woken; its id.

    ``settings`` go to :func:`~smsd.store.outbox.create_scheduled` (``id_phone=``, ...).
    """
    id_scheduled = await create_scheduled(
        rig.db,
        id_user=rig.id_user,
        text=text,
        at=None,
        numbers=[Recipient(number=n) for n in numbers],
        **settings,  # type: ignore[arg-type]
    )
    rig.engine.wake()
    return id_scheduled
