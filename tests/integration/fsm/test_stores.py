"""The appointment store on a real MongoDB-protocol server and the flow store on a real Redis."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import date

import pytest
from pymongo import AsyncMongoClient

from services.common.errors import Conflict, NotFound, ResourceExhausted
from services.common.stores import connect_mongo, connect_redis
from services.fsm.appointments import AppointmentStore, Draft, SlotTaken
from services.fsm.flow import Flow, Stage
from services.fsm.sessions import FlowStore
from services.stack.backends import BackendEndpoints

pytestmark = pytest.mark.integration


@pytest.fixture
async def store(backends: BackendEndpoints) -> AsyncIterator[AppointmentStore]:
    client: AsyncMongoClient = await connect_mongo(backends.mongo_url)
    agent = f"it/stores-{uuid.uuid4().hex[:8]}"
    appointments = AppointmentStore(client, agent.replace("/", "--"), agent)
    await appointments.ensure_indexes()
    yield appointments
    await client.drop_database(agent.replace("/", "--"))
    await client.close()


@pytest.fixture
async def flows(backends: BackendEndpoints) -> AsyncIterator[FlowStore]:
    redis = await connect_redis(backends.redis_url)
    yield FlowStore(redis, "va:it/stores:", ttl_s=120, lock_timeout_s=1.0)
    await redis.aclose()


def draft(time: str = "10:00", name: str = "Lena Hoffmann", day: str = "2026-03-05") -> Draft:
    return Draft(date=day, time=time, purpose="thesis", user_name=name, session_id="s")


async def test_a_slot_is_booked_once_even_under_concurrent_inserts(store: AppointmentStore) -> None:
    results = await asyncio.gather(
        *[store.book(draft(name=f"Caller {i}"), idempotency_key=f"flow-{i}") for i in range(5)], return_exceptions=True
    )
    booked = [r for r in results if not isinstance(r, BaseException)]
    assert len(booked) == 1
    assert all(isinstance(r, SlotTaken) for r in results if isinstance(r, BaseException))
    assert await store.taken(date(2026, 3, 5), date(2026, 3, 5)) == {("2026-03-05", "10:00")}


async def test_a_retried_confirmation_returns_the_same_booking(store: AppointmentStore) -> None:
    first = await store.book(draft(), idempotency_key="flow-1")
    again = await store.book(draft(), idempotency_key="flow-1")
    assert again == first
    assert await store.collection.count_documents({}) == 1


async def test_a_retry_after_a_change_moves_the_earlier_booking(store: AppointmentStore) -> None:
    first = await store.book(draft("10:00"), idempotency_key="flow-1")
    moved = await store.book(draft("11:00"), idempotency_key="flow-1")
    assert moved.code == first.code and moved.time == "11:00"
    assert await store.taken(date(2026, 3, 5), date(2026, 3, 5)) == {("2026-03-05", "11:00")}


async def test_cancelling_frees_the_slot(store: AppointmentStore) -> None:
    first = await store.book(draft(), idempotency_key="flow-1")
    cancelled = await store.cancel(first.code)
    assert cancelled.status == "cancelled"
    assert await store.cancel(first.code) == cancelled  # twice is harmless
    second = await store.book(draft(name="Ben Okafor"), idempotency_key="flow-2")
    assert second.status == "booked" and second.code != first.code


async def test_rescheduling_moves_the_slot_and_refuses_a_taken_one(store: AppointmentStore) -> None:
    mine = await store.book(draft("10:00"), idempotency_key="flow-1")
    await store.book(draft("11:00", name="Someone Else"), idempotency_key="flow-2")
    with pytest.raises(SlotTaken):
        await store.reschedule(mine.code, "2026-03-05", "11:00")
    moved = await store.reschedule(mine.code, "2026-03-06", "09:00")
    assert (moved.date, moved.time) == ("2026-03-06", "09:00")
    freed = await store.book(draft("10:00", name="Third Caller"), idempotency_key="flow-3")
    assert freed.time == "10:00"
    await store.cancel(moved.code)
    with pytest.raises(Conflict, match="cancelled"):
        await store.reschedule(moved.code, "2026-03-09", "09:00")


async def test_lookups_by_code_name_and_date(store: AppointmentStore) -> None:
    lena = await store.book(draft("10:00"), idempotency_key="flow-1")
    await store.book(draft("09:00", day="2026-03-06"), idempotency_key="flow-2")
    await store.book(draft("11:00", name="Ben Okafor"), idempotency_key="flow-3")
    assert [a.code for a in await store.find(code=lena.code)] == [lena.code]
    by_name = await store.find(user_name="  LENA hoffmann ")
    assert [(a.date, a.time) for a in by_name] == [("2026-03-05", "10:00"), ("2026-03-06", "09:00")]
    assert len(await store.find(user_name="lena hoffmann", day="2026-03-06")) == 1
    await store.cancel(lena.code)
    assert len(await store.find(user_name="lena hoffmann")) == 1
    assert len(await store.find(user_name="lena hoffmann", include_cancelled=True)) == 2
    assert len(await store.find(limit=1)) == 1
    with pytest.raises(NotFound):
        await store.get("AAAAAA")


async def test_taken_covers_a_date_range(store: AppointmentStore) -> None:
    await store.book(draft("10:00", day="2026-03-05"), idempotency_key="flow-1")
    await store.book(draft("10:00", day="2026-03-09"), idempotency_key="flow-2")
    assert await store.taken(date(2026, 3, 6), date(2026, 3, 9)) == {("2026-03-09", "10:00")}


async def test_flows_are_saved_with_a_ttl_that_each_save_refreshes(flows: FlowStore) -> None:
    flow = Flow(session_id=f"s-{uuid.uuid4().hex}", flow_id="f", stage=Stage.WAITING_FOR_TIME)
    await flows.save(flow)
    assert await flows.load(flow.session_id) == flow
    await flows.redis.expire(flows.key(flow.session_id), 5)
    await flows.save(flow)
    assert 100 < await flows.redis.ttl(flows.key(flow.session_id)) <= 120
    assert await flows.load("never-started") is None


async def test_a_corrupt_stored_flow_reads_as_absent(flows: FlowStore) -> None:
    await flows.redis.set(flows.key("corrupt"), b"{not json")
    assert await flows.load("corrupt") is None


async def test_turns_of_one_session_are_serialised(flows: FlowStore) -> None:
    order: list[str] = []

    async def turn(name: str) -> None:
        async with flows.locked("serial"):
            order.append(f"{name}-in")
            await asyncio.sleep(0.05)
            order.append(f"{name}-out")

    await asyncio.gather(turn("a"), turn("b"))
    assert order in (["a-in", "a-out", "b-in", "b-out"], ["b-in", "b-out", "a-in", "a-out"])


async def test_a_lock_held_too_long_is_reported(flows: FlowStore) -> None:
    async with flows.locked("busy"):
        with pytest.raises(ResourceExhausted, match="still being processed"):
            async with flows.locked("busy"):
                pass
