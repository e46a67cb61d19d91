"""Booked appointments in MongoDB (one database per agent, collection ``appointments``).

No double booking, ever: a unique index on ``slot`` (``<agent>|<date>|<time>``)
lets exactly one insert win a slot. Cancelling or moving an appointment
rewrites its ``slot`` (to ``cancelled:<code>`` or to the new slot), which frees
the old one — a plain unique index instead of a partial one, because the test
server (nx-27017) ignores ``partialFilterExpression``. A unique
``idempotency_key`` (the dialogue's flow id) makes a retried confirmation
return the booking it already made instead of inserting a second one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pymongo
from pymongo import ASCENDING, AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError, PyMongoError

from services.common.errors import BackendUnavailable, Conflict, NotFound
from services.fsm.codes import new_code
from services.fsm.flow import Appointment

BOOKED = "booked"
CANCELLED = "cancelled"
CODE_ATTEMPTS = 5


class SlotTaken(Conflict):
    """Another booking holds the slot."""


@dataclass(frozen=True)
class Draft:
    """What a confirmed dialogue books."""

    date: str
    time: str
    purpose: str
    user_name: str
    session_id: str


def _appointment(doc: dict[str, Any]) -> Appointment:
    return Appointment(
        code=doc["_id"],
        date=doc["date"],
        time=doc["time"],
        purpose=doc["purpose"],
        user_name=doc["user_name"],
        status=doc["status"],
        created_at=doc["created_at"],
        session_id=doc.get("session_id", ""),
    )


def _utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class AppointmentStore:
    def __init__(self, client: AsyncMongoClient, database: str, agent: str, timeout_s: float = 1.5) -> None:
        self.collection: AsyncCollection = client[database]["appointments"]
        self.agent = agent
        self.timeout_s = timeout_s

    @asynccontextmanager
    async def _mongo_errors(self) -> AsyncIterator[None]:
        """Bound the operations inside by the store's timeout; a failing server is BackendUnavailable."""
        try:
            with pymongo.timeout(self.timeout_s):
                yield
        except DuplicateKeyError:
            raise
        except PyMongoError as error:
            raise BackendUnavailable(f"the appointment database is unavailable: {type(error).__name__}") from None

    def slot_key(self, day: str, start: str) -> str:
        return f"{self.agent}|{day}|{start}"

    async def ensure_indexes(self) -> None:
        async with self._mongo_errors():
            await self.collection.create_index("slot", unique=True)
            await self.collection.create_index("idempotency_key", unique=True)
            await self.collection.create_index([("user_key", ASCENDING), ("date", ASCENDING)])
            await self.collection.create_index([("date", ASCENDING), ("time", ASCENDING)])

    # --- the calendar the machine reads ---------------------------------------------------------

    async def taken(self, first: date, last: date) -> set[tuple[str, str]]:
        query = {"date": {"$gte": first.isoformat(), "$lte": last.isoformat()}, "status": BOOKED}
        async with self._mongo_errors():
            docs = await self.collection.find(query, {"date": 1, "time": 1}).to_list(None)
        return {(doc["date"], doc["time"]) for doc in docs}

    # --- writes ---------------------------------------------------------------------------------

    async def book(self, draft: Draft, idempotency_key: str) -> Appointment:
        """Insert the booking; the same key again returns (or moves) the booking it made. SlotTaken if held."""
        slot = self.slot_key(draft.date, draft.time)
        for _ in range(CODE_ATTEMPTS):
            doc = {
                "_id": new_code(),
                "slot": slot,
                "date": draft.date,
                "time": draft.time,
                "purpose": draft.purpose,
                "user_name": draft.user_name,
                "user_key": draft.user_name.casefold(),
                "status": BOOKED,
                "created_at": _utc_now(),
                "session_id": draft.session_id,
                "idempotency_key": idempotency_key,
            }
            try:
                async with self._mongo_errors():
                    await self.collection.insert_one(doc)
                return _appointment(doc)
            except DuplicateKeyError:
                async with self._mongo_errors():
                    earlier = await self.collection.find_one({"idempotency_key": idempotency_key})
                    if earlier is not None:
                        return await self._bring_up_to_date(earlier, draft)
                    if await self.collection.find_one({"slot": slot}, {"_id": 1}) is not None:
                        raise SlotTaken("that slot has just been booked by someone else") from None
                # Otherwise the random code collided with an existing one: draw another.
        raise BackendUnavailable("could not allocate a confirmation code; please try again")

    async def _bring_up_to_date(self, earlier: dict[str, Any], draft: Draft) -> Appointment:
        """A retried confirmation: the booking exists; align it with what the caller confirmed last."""
        wanted = {
            "slot": self.slot_key(draft.date, draft.time),
            "date": draft.date,
            "time": draft.time,
            "purpose": draft.purpose,
            "user_name": draft.user_name,
            "user_key": draft.user_name.casefold(),
            "status": BOOKED,
        }
        if all(earlier.get(key) == value for key, value in wanted.items()):
            return _appointment(earlier)
        return await self._update(earlier["_id"], {**wanted, "updated_at": _utc_now()}, {})

    async def _update(self, code: str, changes: dict[str, Any], condition: dict[str, Any]) -> Appointment:
        # update_one, not find_one_and_update: nx-27017 answers a unique-index violation of the
        # latter with "no document" instead of DuplicateKeyError.
        try:
            async with self._mongo_errors():
                result = await self.collection.update_one({"_id": code, **condition}, {"$set": changes})
        except DuplicateKeyError:
            raise SlotTaken("that slot is already booked") from None
        if result.matched_count == 0:
            raise NotFound(f"no appointment {code} to change")
        return await self.get(code)

    async def cancel(self, code: str) -> Appointment:
        """Mark the appointment cancelled and free its slot; cancelling twice is harmless."""
        current = await self.get(code)
        if current.status == CANCELLED:
            return current
        return await self._update(
            code, {"status": CANCELLED, "slot": f"cancelled:{code}", "updated_at": _utc_now()}, {"status": BOOKED}
        )

    async def reschedule(self, code: str, day: str, start: str) -> Appointment:
        """Move a booked appointment to another slot (SlotTaken if that one is held)."""
        current = await self.get(code)
        if current.status != BOOKED:
            raise Conflict(f"appointment {code} was cancelled; please book a new one")
        if (current.date, current.time) == (day, start):
            return current
        return await self._update(
            code,
            {"slot": self.slot_key(day, start), "date": day, "time": start, "updated_at": _utc_now()},
            {"status": BOOKED},
        )

    # --- reads ----------------------------------------------------------------------------------

    async def get(self, code: str) -> Appointment:
        async with self._mongo_errors():
            doc = await self.collection.find_one({"_id": code})
        if doc is None:
            raise NotFound(f"there is no appointment with the code {code}")
        return _appointment(doc)

    async def find(
        self, *, code: str = "", user_name: str = "", day: str = "", include_cancelled: bool = False, limit: int = 50
    ) -> list[Appointment]:
        query: dict[str, Any] = {}
        if code:
            query["_id"] = code
        if user_name:
            query["user_key"] = user_name.strip().casefold()
        if day:
            query["date"] = day
        if not include_cancelled:
            query["status"] = BOOKED
        async with self._mongo_errors():
            cursor = self.collection.find(query).sort([("date", ASCENDING), ("time", ASCENDING)]).limit(limit)
            return [_appointment(doc) for doc in await cursor.to_list(None)]
