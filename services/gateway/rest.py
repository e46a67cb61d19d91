"""REST API: sessions, history and text chat through the same conversation engine."""

from __future__ import annotations

import contextlib
import re
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response, status
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from services.common.errors import BackendUnavailable, InvalidInput, NotFound, ServiceError
from services.common.logs import session_id_var
from services.gateway.auth import Principal
from services.gateway.engine import TurnResult
from services.gateway.errors import TooLarge
from services.gateway.schemas import (
    BookingModel,
    CreateSessionRequest,
    ErrorResponse,
    HistoryEntry,
    HistoryResponse,
    MessageRequest,
    MessageResponse,
    SessionResponse,
    SourceModel,
)
from services.gateway.sessions import Session, new_session_id, parse_clock
from services.gateway.wiring import Gateway

SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="The tenant's API key")
_bearer = HTTPBearer(auto_error=False, description="The tenant's API key as a bearer token")

ERRORS: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorResponse, "description": text}
    for code, text in (
        (401, "Missing or unknown API key"),
        (403, "The session belongs to another API key"),
        (404, "No such session (or it expired)"),
        (429, "Rate limit exceeded"),
        (503, "The session store is unavailable"),
    )
}

router = APIRouter(prefix="/v1/sessions", tags=["sessions"], responses=ERRORS)


def gateway_of(request: Request) -> Gateway:
    gateway: Gateway = request.app.state.gateway
    return gateway


GatewayDep = Annotated[Gateway, Depends(gateway_of)]


async def principal_of(
    gateway: GatewayDep,
    api_key: Annotated[str | None, Depends(_api_key_header)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """Authenticate the caller and count the request against its rate limit."""
    principal = gateway.auth.authenticate(api_key or (bearer.credentials if bearer else None))
    await gateway.rate_limiter.hit(principal.name)
    return principal


PrincipalDep = Annotated[Principal, Depends(principal_of)]
SessionIdPath = Annotated[str, Path(description="Session id returned by POST /v1/sessions")]


async def owned_session(gateway: Gateway, principal: Principal, session_id: str) -> Session:
    if not SESSION_ID.match(session_id):
        raise NotFound(f"session {session_id[:64]} does not exist")
    session = await gateway.store.get(session_id)
    gateway.auth.authorize(principal, session.owner)
    session_id_var.set(session_id)
    return session


def session_response(gateway: Gateway, session: Session) -> SessionResponse:
    return SessionResponse(
        session_id=session.id,
        created_at=session.created_iso,
        now=session.now() or None,
        turns=session.turns,
        booking_state=session.booking_state,
        expecting=session.expecting,
        expires_in_s=gateway.settings.session_ttl_s,
        conversation_path=f"/v1/conversations/{session.id}",
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=SessionResponse,
    summary="Create a session",
    responses={400: {"model": ErrorResponse, "description": "Bad clock, or session clocks are disabled"}},
)
async def create_session(
    gateway: GatewayDep, principal: PrincipalDep, body: CreateSessionRequest | None = None
) -> SessionResponse:
    """A new session owned by the calling API key. Use its id for chat messages or a voice conversation."""
    clock = ""
    if body is not None and body.now is not None:
        if not gateway.settings.allow_session_clock:
            raise InvalidInput("this deployment does not accept session clocks (VA_ALLOW_SESSION_CLOCK is off)")
        clock = parse_clock(body.now).isoformat(timespec="seconds")
    session = Session(new_session_id(), principal.name, clock=clock)
    await gateway.store.create(session)
    return session_response(gateway, session)


@router.get("/{session_id}", response_model=SessionResponse, summary="Get a session")
async def get_session(gateway: GatewayDep, principal: PrincipalDep, session_id: SessionIdPath) -> SessionResponse:
    return session_response(gateway, await owned_session(gateway, principal, session_id))


@router.get(
    "/{session_id}/history",
    response_model=HistoryResponse,
    response_model_exclude_none=True,
    summary="Conversation history",
)
async def get_history(gateway: GatewayDep, principal: PrincipalDep, session_id: SessionIdPath) -> HistoryResponse:
    """Caller and agent turns, oldest first (capped at VA_MAX_HISTORY_TURNS entries)."""
    await owned_session(gateway, principal, session_id)
    entries = [HistoryEntry.model_validate(entry) for entry in await gateway.store.history(session_id)]
    return HistoryResponse(session_id=session_id, entries=entries)


@router.post(
    "/{session_id}/messages",
    response_model=MessageResponse,
    summary="Send a text message",
    responses={413: {"model": ErrorResponse, "description": "Message longer than VA_MAX_MESSAGE_CHARS"}},
)
async def post_message(
    gateway: GatewayDep, principal: PrincipalDep, session_id: SessionIdPath, body: MessageRequest
) -> MessageResponse:
    """One text turn through the conversation engine (the same one voice uses).

    Returns the reply with its intent, sources, booking state and per-stage
    timings; with ``audio: true`` also a presigned URL of the spoken reply.
    """
    limit = gateway.settings.max_message_chars
    if len(body.text) > limit:
        raise TooLarge(f"the message is longer than {limit} characters")
    if not body.text.strip():
        raise InvalidInput("the message is empty")
    await owned_session(gateway, principal, session_id)
    result = await gateway.turns.take_turn(session_id, body.text.strip(), "text")
    response = message_response(result)
    if body.audio:
        try:
            audio = await gateway.synthesizer.to_url(result.reply, body.voice or gateway.settings.voice, session_id)
        except BackendUnavailable:
            response.degraded.append("tts")
        else:
            response.audio_url, response.audio_duration_ms = audio.url, audio.duration_ms
    return response


@router.delete("/{session_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a session")
async def delete_session(gateway: GatewayDep, principal: PrincipalDep, session_id: SessionIdPath) -> Response:
    """Deletes the session and its history, and drops a booking flow in progress (not booked appointments)."""
    session = await owned_session(gateway, principal, session_id)
    if session.booking_active:
        with contextlib.suppress(ServiceError):
            await gateway.booking.cancel(session_id)
    await gateway.store.delete(session_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def message_response(result: TurnResult) -> MessageResponse:
    booking = None
    if result.booking is not None:
        b = result.booking
        booking = BookingModel(
            state=b.state,
            expecting=b.expecting,
            slots=b.slots,
            appointment=b.appointment or None,
            rejected=b.rejected,
            rejection_reason=b.rejection_reason,
        )
    return MessageResponse(
        reply=result.reply,
        route=result.route,
        intent=result.intent,
        confidence=round(result.confidence, 4),
        entities=result.entities,
        sources=[
            SourceModel(document=s.document, section=s.section, category=s.category, score=s.score, snippet=s.snippet)
            for s in result.sources
        ],
        booking=booking,
        timings={k: round(v, 2) for k, v in result.timings.items()},
        degraded=list(result.degraded),
    )
