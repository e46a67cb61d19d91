"""The conversation engine: one caller utterance in, one reply out.

Intent classification and knowledge retrieval run in parallel: retrieval starts
on the raw transcript at once (speculatively) and its result is used or
discarded once the intent is known. The reply then comes from the booking flow,
the knowledge base or a template. A downstream that is down degrades the reply
instead of failing the turn.

A voice turn can be drafted from the tentative transcript while the end of the
caller's speech is still being confirmed: everything but the booking flow's
state change is done then, and the turn taken on the final transcript reuses it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import TypeVar

from services.common.errors import BackendUnavailable, InvalidInput, NotFound
from services.gateway import templates
from services.gateway.ports import (
    Answer,
    BookingPort,
    BookingTurn,
    IntentPort,
    IntentResult,
    KnowledgePort,
    Source,
)
from services.gateway.sessions import Session

log = logging.getLogger(__name__)

T = TypeVar("T")

KNOWLEDGE_INTENT = "RAG_QUERY"
SCHEDULING_INTENT = "APPOINTMENT_SCHEDULING"
# About an existing appointment: the booking flow answers them only within a session that booked.
MANAGE_INTENTS = frozenset({"APPOINTMENT_CANCEL", "APPOINTMENT_RESCHEDULE", "APPOINTMENT_STATUS"})


@dataclass
class TurnResult:
    """Everything a client is told about one turn."""

    reply: str
    route: str  # booking, knowledge, side_question, template or fallback
    intent: str = ""
    confidence: float = 0.0
    entities: dict[str, str] = field(default_factory=dict)
    sources: tuple[Source, ...] = ()
    booking: BookingTurn | None = None
    timings: dict[str, float] = field(default_factory=dict)
    degraded: list[str] = field(default_factory=list)
    drafted: bool = False  # worked out from a tentative transcript, before the final one came


class BookingDeferred(Exception):
    """A draft reached the booking flow, which changes state: that part waits for the final transcript."""


@dataclass
class Draft:
    """What a turn can work out without changing anything, prepared while the caller's pause is confirmed.

    ``result`` is the whole reply when it needs no booking call (knowledge, templates);
    otherwise it is None and the booking flow runs when the turn is taken.
    """

    text: str
    turns: int  # the session's turn count when drafted: a turn taken since makes the draft stale
    understood: IntentResult | None
    retrieval: asyncio.Task[Answer]
    timings: dict[str, float]
    result: TurnResult | None = None

    def fits(self, session: Session, text: str) -> bool:
        return self.text == text and self.turns == session.turns

    async def discard(self) -> None:
        await _settle(self.retrieval)


class ConversationEngine:
    """Routes a turn; mutates the :class:`Session` it is given (the caller persists it)."""

    def __init__(self, intent: IntentPort, knowledge: KnowledgePort, booking: BookingPort) -> None:
        self.intent = intent
        self.knowledge = knowledge
        self.booking = booking

    async def draft(self, session: Session, text: str) -> Draft:
        """Classify and retrieve, and compose the reply unless it needs the booking flow; changes nothing."""
        draft = await self._understand(session, text)
        try:
            draft.result = await self._route(session, text, draft, booking=False)
        except BookingDeferred:
            pass
        except BaseException:
            await draft.discard()
            raise
        return draft

    async def respond(self, session: Session, text: str, draft: Draft | None = None) -> TurnResult:
        """Take the turn, from ``draft`` when it was made for this text and session state."""
        started = time.perf_counter()
        if draft is not None and not draft.fits(session, text):
            await draft.discard()
            draft = None
        if draft is None:
            draft = await self._understand(session, text)
        elif draft.result is not None:
            draft.result.drafted = True
        try:
            result = draft.result or await self._route(session, text, draft, booking=True)
        finally:
            await draft.discard()
            if draft.retrieval.cancelled():
                draft.timings.pop("rag", None)
        timings = dict(draft.timings)
        timings["turn"] = (time.perf_counter() - started) * 1000.0
        result.timings = timings
        _remember(session, result)
        return result

    async def _understand(self, session: Session, text: str) -> Draft:
        """Start the retrieval (speculatively, on the raw transcript) and classify the intent meanwhile."""
        timings: dict[str, float] = {}
        retrieval = asyncio.create_task(_timed(self.knowledge.query(text, session.id), timings, "rag"))
        try:
            understood: IntentResult | None = await _timed(
                self.intent.classify(text, session.id, session.previous_intent, session.expecting, session.now()),
                timings,
                "intent",
            )
        except (BackendUnavailable, InvalidInput) as error:
            # The type only: downstream messages may quote the caller's words.
            log.warning("intent unavailable; using the fallback route", extra={"error": type(error).__name__})
            understood = None
        except BaseException:
            await _settle(retrieval)
            raise
        if understood is not None and understood.intent != KNOWLEDGE_INTENT:
            retrieval.cancel()  # the speculative retrieval is of no use: free its CPU now
        return Draft(text, session.turns, understood, retrieval, timings)

    async def _route(self, session: Session, text: str, draft: Draft, *, booking: bool) -> TurnResult:
        """The reply; with ``booking`` False, a turn for the booking flow raises :class:`BookingDeferred`."""
        now, understood, retrieval, timings = session.now(), draft.understood, draft.retrieval, draft.timings
        if understood is None:
            result = await self._fallback(session, text, now, retrieval, timings, booking)
            result.degraded.insert(0, "intent")
            return result

        intent = understood.intent
        if intent == "REPEAT":
            result = TurnResult(templates.reply_for(intent, session.last_reply), "template")
        elif session.booking_active and intent == KNOWLEDGE_INTENT:
            result = await self._side_question(session, text, now, understood, retrieval, timings, booking)
        elif session.booking_active or intent.startswith("APPOINTMENT_"):
            result = await self._book(session, text, now, understood, timings, booking)
        elif intent == KNOWLEDGE_INTENT:
            result = await self._answer(retrieval)
        else:
            result = TurnResult(templates.reply_for(intent, session.last_reply), "template")
        result.intent, result.confidence, result.entities = intent, understood.confidence, understood.entities
        return result

    async def _answer(self, retrieval: asyncio.Task[Answer]) -> TurnResult:
        try:
            answer = await retrieval
        except BackendUnavailable:
            return TurnResult(templates.KNOWLEDGE_DOWN, "knowledge", degraded=["rag"])
        return TurnResult(answer.text, "knowledge", sources=answer.sources)

    async def _book(
        self,
        session: Session,
        text: str,
        now: str,
        understood: IntentResult | None,
        timings: dict[str, float],
        booking: bool,
    ) -> TurnResult:
        if not booking:
            raise BookingDeferred
        try:
            if understood is not None and understood.intent == SCHEDULING_INTENT and not session.booking_active:
                turn = await _timed(self.booking.start(session.id, text, now), timings, "fsm")
            else:
                intent, entities = (understood.intent, understood.entities) if understood else ("", {})
                turn = await _timed(self.booking.process_turn(session.id, text, now, intent, entities), timings, "fsm")
        except BackendUnavailable:
            return TurnResult(templates.BOOKING_DOWN, "booking", degraded=["fsm"])
        except NotFound:  # the session has no booking flow (never started, or it expired)
            if understood is not None and understood.intent in MANAGE_INTENTS:
                reply = templates.MANAGE_EXISTING
            else:
                reply = templates.BOOKING_EXPIRED
            return TurnResult(reply, "booking", booking=BookingTurn(reply, state=""))
        return TurnResult(turn.reply, "booking", booking=turn)

    async def _side_question(
        self,
        session: Session,
        text: str,
        now: str,
        understood: IntentResult,
        retrieval: asyncio.Task[Answer],
        timings: dict[str, float],
        booking: bool,
    ) -> TurnResult:
        """A knowledge question in the middle of a booking: answer it, then ask for the slot again."""
        try:
            answer = await retrieval
        except BackendUnavailable:
            return TurnResult(
                f"{templates.KNOWLEDGE_DOWN} {session.booking_prompt}".strip(), "side_question", degraded=["rag"]
            )
        if not answer.found:  # probably a slot value the classifier misread: let the flow judge it
            return await self._book(session, text, now, understood, timings, booking)
        return TurnResult(f"{answer.text} {session.booking_prompt}".strip(), "side_question", sources=answer.sources)

    async def _fallback(
        self,
        session: Session,
        text: str,
        now: str,
        retrieval: asyncio.Task[Answer],
        timings: dict[str, float],
        booking: bool,
    ) -> TurnResult:
        """Without an intent: a running booking flow parses the text itself, else try the knowledge base."""
        if session.booking_active:
            return await self._book(session, text, now, None, timings, booking)
        try:
            answer = await retrieval
        except BackendUnavailable:
            return TurnResult(templates.NOT_UNDERSTOOD, "fallback", degraded=["rag"])
        if answer.found:
            return TurnResult(answer.text, "knowledge", sources=answer.sources)
        return TurnResult(templates.NOT_UNDERSTOOD, "fallback")


async def _settle(task: asyncio.Task[Answer]) -> None:
    """Cancel the speculative retrieval if still running and wait for it (never raising its error)."""
    task.cancel()
    await asyncio.wait({task})
    if not task.cancelled():
        task.exception()  # mark a failure as seen; the route already handled it


async def _timed(awaitable: Awaitable[T], timings: dict[str, float], stage: str) -> T:
    started = time.perf_counter()
    try:
        return await awaitable
    finally:
        timings[stage] = (time.perf_counter() - started) * 1000.0


def _remember(session: Session, result: TurnResult) -> None:
    """What the next turn needs: the intent context, the booking flow and the reply to repeat."""
    session.turns += 1
    if result.intent:
        session.previous_intent = result.intent
    if result.booking is not None:
        session.booking_state = result.booking.state
        session.expecting = result.booking.expecting if result.booking.active else ""
        session.booking_prompt = result.booking.reply if result.booking.active else ""
    if result.intent != "REPEAT":
        session.last_reply = result.reply
