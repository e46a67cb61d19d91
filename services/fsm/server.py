"""gRPC transport of the fsm service: proto messages in and out of :class:`BookingService`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import grpc
from voiceagent.v1 import fsm_pb2, fsm_pb2_grpc

from services.common.config import load_settings
from services.common.server import Registration, Runtime, run_service
from services.common.stores import connect_mongo, connect_redis
from services.common.timing import timing_proto
from services.fsm.appointments import AppointmentStore
from services.fsm.config import FsmSettings
from services.fsm.flow import Appointment, Flow
from services.fsm.rules import load_rules
from services.fsm.service import BookingService, TurnResult
from services.fsm.sessions import FlowStore

SERVICE_NAME = fsm_pb2.DESCRIPTOR.services_by_name["AppointmentBooking"].full_name


def appointment_proto(appointment: Appointment) -> fsm_pb2.Appointment:
    return fsm_pb2.Appointment(**appointment.model_dump())


def state_proto(flow: Flow) -> fsm_pb2.BookingState:
    slots = {key: value for key, value in flow.slots.model_dump().items() if value}
    return fsm_pb2.BookingState(
        session_id=flow.session_id,
        state=flow.stage.value,
        slots=fsm_pb2.Slots(**slots),
        expecting=flow.expecting or "",
        failed_attempts=flow.failed_attempts,
        appointment=appointment_proto(flow.appointment) if flow.appointment else None,
        prompt=flow.prompt,
    )


def turn_proto(result: TurnResult) -> fsm_pb2.TurnResponse:
    decision = result.decision
    return fsm_pb2.TurnResponse(
        state=state_proto(decision.flow),
        reply=decision.reply,
        rejected=bool(decision.refusals),
        rejection_reason=" ".join(refusal.reason for refusal in decision.refusals),
        rejection_code=",".join(refusal.code for refusal in decision.refusals),
        alternatives=[
            fsm_pb2.SlotOption(date=option.day.isoformat(), time=option.start.strftime("%H:%M"))
            for option in decision.alternatives
        ],
        timing=timing_proto(result.stages, result.total_ms),
    )


class AppointmentBookingServicer(fsm_pb2_grpc.AppointmentBookingServicer):
    def __init__(self, service: BookingService) -> None:
        self.service = service

    async def Start(self, request: fsm_pb2.StartRequest, context: grpc.aio.ServicerContext) -> fsm_pb2.TurnResponse:
        return turn_proto(await self.service.start(request.session_id, request.now, request.text))

    async def ProcessTurn(
        self, request: fsm_pb2.TurnRequest, context: grpc.aio.ServicerContext
    ) -> fsm_pb2.TurnResponse:
        return turn_proto(
            await self.service.turn(
                request.session_id, request.text, request.now, request.intent, dict(request.entities)
            )
        )

    async def Get(self, request: fsm_pb2.GetRequest, context: grpc.aio.ServicerContext) -> fsm_pb2.BookingState:
        return state_proto(await self.service.get(request.session_id))

    async def Cancel(self, request: fsm_pb2.CancelRequest, context: grpc.aio.ServicerContext) -> fsm_pb2.BookingState:
        return state_proto(await self.service.cancel_flow(request.session_id))

    async def ListAppointments(
        self, request: fsm_pb2.ListAppointmentsRequest, context: grpc.aio.ServicerContext
    ) -> fsm_pb2.ListAppointmentsResponse:
        found = await self.service.list_appointments(
            request.code, request.user_name, request.date, request.include_cancelled, request.limit
        )
        return fsm_pb2.ListAppointmentsResponse(appointments=[appointment_proto(item) for item in found])

    async def CancelAppointment(
        self, request: fsm_pb2.CancelAppointmentRequest, context: grpc.aio.ServicerContext
    ) -> fsm_pb2.AppointmentResponse:
        appointment, message = await self.service.cancel_appointment(
            request.code, request.user_name, request.date, request.now
        )
        return fsm_pb2.AppointmentResponse(appointment=appointment_proto(appointment), message=message)

    async def RescheduleAppointment(
        self, request: fsm_pb2.RescheduleAppointmentRequest, context: grpc.aio.ServicerContext
    ) -> fsm_pb2.AppointmentResponse:
        appointment, message = await self.service.reschedule_appointment(
            request.code, request.date, request.time, request.now
        )
        return fsm_pb2.AppointmentResponse(appointment=appointment_proto(appointment), message=message)


async def build_service(settings: FsmSettings) -> tuple[BookingService, Callable[[], Awaitable[None]]]:
    """Connect the backends and assemble the service; returns it with a function that closes the clients."""
    rules = load_rules(settings.booking_rules_file)
    redis = await connect_redis(settings.redis_url)
    try:
        mongo = await connect_mongo(settings.mongo_url)
        appointments = AppointmentStore(mongo, settings.agent_slug, settings.agent, settings.mongo_timeout_s)
        await appointments.ensure_indexes()
    except Exception:
        await redis.aclose()
        raise

    async def close() -> None:
        await redis.aclose()
        await mongo.close()

    flows = FlowStore(redis, settings.key_prefix, settings.state_ttl_s, settings.lock_timeout_s)
    return BookingService(rules, flows, appointments), close


def main() -> None:
    settings = load_settings(FsmSettings)

    async def build() -> Runtime:
        service, close = await build_service(settings)
        servicer = AppointmentBookingServicer(service)
        return Runtime(
            registrations=[
                Registration(
                    SERVICE_NAME, lambda server: fsm_pb2_grpc.add_AppointmentBookingServicer_to_server(servicer, server)
                )
            ],
            close=close,
        )

    run_service("fsm", settings, build)
