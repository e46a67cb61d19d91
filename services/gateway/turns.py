"""One turn of a stored session: load it, let the engine respond, persist state and history."""

from __future__ import annotations

import time
from typing import Any

from opentelemetry import trace

from services.gateway.engine import ConversationEngine, Draft, TurnResult
from services.gateway.metrics import DEGRADED_REPLIES, TURNS, observe_stages
from services.gateway.sessions import SessionStore

tracer = trace.get_tracer(__name__)


class TurnService:
    """Shared by the REST chat endpoint and the voice conversation, so both behave the same."""

    def __init__(self, store: SessionStore, engine: ConversationEngine) -> None:
        self.store = store
        self.engine = engine

    async def draft(self, session_id: str, text: str) -> Draft:
        """Prepare a turn from a tentative transcript; nothing is stored or changed."""
        with tracer.start_as_current_span("turn.draft"):
            session = await self.store.get(session_id)
            return await self.engine.draft(session, text)

    async def take_turn(self, session_id: str, text: str, channel: str, draft: Draft | None = None) -> TurnResult:
        with tracer.start_as_current_span("turn", attributes={"voiceagent.channel": channel}) as span:
            session = await self.store.get(session_id)
            result = await self.engine.respond(session, text, draft)
            await self.store.save(session)
            await self.store.append_history(session_id, history_entries(text, result, channel))
            span.set_attributes(
                {
                    "voiceagent.route": result.route,
                    "voiceagent.intent": result.intent,
                    "voiceagent.degraded": ",".join(result.degraded),
                    "voiceagent.drafted": result.drafted,
                }
            )
        TURNS.labels(result.route, channel).inc()
        for service in result.degraded:
            DEGRADED_REPLIES.labels(service).inc()
        observe_stages(result.timings)
        return result


class SessionTurns:
    """``TurnService`` bound to one session: what a voice conversation takes its turns from."""

    def __init__(self, service: TurnService, session_id: str) -> None:
        self.service = service
        self.session_id = session_id

    async def draft(self, text: str) -> Draft:
        return await self.service.draft(self.session_id, text)

    async def take(self, text: str, channel: str, draft: Draft | None = None) -> TurnResult:
        return await self.service.take_turn(self.session_id, text, channel, draft)


def history_entries(text: str, result: TurnResult, channel: str) -> list[dict[str, Any]]:
    at = round(time.time(), 3)
    agent: dict[str, Any] = {"role": "agent", "text": result.reply, "route": result.route, "at": at}
    if result.sources:
        agent["sources"] = [source.document for source in result.sources]
    if result.booking is not None:
        agent["booking_state"] = result.booking.state
    return [{"role": "caller", "text": text, "intent": result.intent, "channel": channel, "at": at}, agent]
