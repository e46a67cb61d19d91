"""Reply audio synthesized ahead of need: drafted replies start speaking the moment they are committed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from contextlib import aclosing

from services.gateway.ports import AudioPiece


class _End:
    """Marks the end of the synthesized pieces."""


_END = _End()


class PrefetchedAudio:
    """Pulls a synthesis stream into memory in the background until it is consumed or cancelled.

    A reply is a few seconds of audio (well under a megabyte), so keeping all of
    it is cheaper than holding the synthesis back.
    """

    def __init__(self, stream: AsyncGenerator[AudioPiece, None]) -> None:
        self._queue: asyncio.Queue[AudioPiece | BaseException | _End] = asyncio.Queue()
        self._task = asyncio.create_task(self._pull(stream))

    async def _pull(self, stream: AsyncGenerator[AudioPiece, None]) -> None:
        try:
            async with aclosing(stream) as pieces:
                async for piece in pieces:
                    self._queue.put_nowait(piece)
        except Exception as error:  # handed to the consumer, who raises it
            self._queue.put_nowait(error)
        else:
            self._queue.put_nowait(_END)

    async def pieces(self) -> AsyncGenerator[AudioPiece, None]:
        """The pieces in order, as they become available; closing the generator stops the synthesis."""
        try:
            while not isinstance(item := await self._queue.get(), _End):
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            await self.cancel()

    async def cancel(self) -> None:
        self._task.cancel()
        await asyncio.wait({self._task})
