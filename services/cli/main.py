"""``voiceagent``: run the local stack and talk to it.

``voiceagent up`` starts real backends and all six services on free ports,
writes the stack's state file (``VA_STACK_STATE``, default
``~/.cache/voiceagent/stack.json``) and, unless ``--no-auth``, a freshly
generated development API key next to it (``dev-api-key``, mode 0600). The
other commands find the gateway and that key through these files, so they work
without options against a running ``voiceagent up``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Annotated, Any

import typer

from services.cli.client import (
    GatewayClient,
    GatewayError,
    read_wav,
    replies_done,
    silence,
    voice_call,
    write_wav,
)
from services.gateway.auth import hash_key
from services.stack.health import grpc_serving, http_ready
from services.stack.stack import GRPC_COMPONENTS, STATE_FILE, LocalStack, StackInfo

app = typer.Typer(help="VoiceAgent: run the local stack and talk to it.", no_args_is_help=True, add_completion=False)

DEV_KEY_FILE = STATE_FILE.with_name("dev-api-key")

UrlOption = Annotated[str | None, typer.Option("--url", help="Gateway base URL (default: the running stack's)")]
KeyOption = Annotated[
    str | None, typer.Option("--api-key", envvar="VA_API_KEY", help="API key (default: the running stack's dev key)")
]


def _fail(message: str) -> typer.Exit:
    typer.secho(message, fg=typer.colors.RED, err=True)
    return typer.Exit(1)


def _client(url: str | None, api_key: str | None) -> GatewayClient:
    if url is None:
        try:
            url = StackInfo.load().gateway_url
        except (OSError, KeyError, ValueError):
            raise _fail(
                f"no running stack found ({STATE_FILE}); start one with `voiceagent up` or pass --url"
            ) from None
    if api_key is None and DEV_KEY_FILE.exists():
        api_key = DEV_KEY_FILE.read_text().strip()
    return GatewayClient(url, api_key)


@app.command()
def up(
    no_auth: Annotated[bool, typer.Option("--no-auth", help="Run the gateway without API keys")] = False,
    session_clock: Annotated[
        bool, typer.Option("--session-clock", help="Let sessions carry their own reference clock (evaluations, demos)")
    ] = False,
    timeout_s: Annotated[
        float,
        typer.Option(
            "--timeout",
            help="Seconds each service may take to become ready (models load, the knowledge base is indexed)",
        ),
    ] = 300.0,
) -> None:
    """Start backends and all six services; Ctrl-C stops everything."""
    key = None if no_auth else secrets.token_urlsafe(24)
    env = {
        "VA_API_KEYS": f"dev:{hash_key(key)}" if key else "",
        "VA_ALLOW_SESSION_CLOCK": "true" if session_clock else "false",
    }
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():
            return
        stop.set()
        raise KeyboardInterrupt  # also interrupts a start-up in progress

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    typer.echo("starting backends and services (models load in parallel; this takes a little while)...")
    stack = LocalStack(extra_env=env, redis_dir=STATE_FILE.parent / "redis")
    try:
        info = stack.start(timeout_s=timeout_s)
        info.save()
        if key:
            DEV_KEY_FILE.touch(mode=0o600)
            DEV_KEY_FILE.write_text(key + "\n")
        _print_stack(info, key)
        stop.wait()
    except KeyboardInterrupt:
        pass
    except RuntimeError as error:  # a backend or service did not come up; its log tail is in the message
        typer.secho(f"the stack did not start: {error}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not abort the clean-up
        typer.echo("stopping...")
        stack.stop()
        for path in (STATE_FILE, DEV_KEY_FILE):
            path.unlink(missing_ok=True)
        typer.echo("stopped")


def _print_stack(info: StackInfo, key: str | None) -> None:
    gateway = info.gateway_url
    typer.secho(f"gateway      {gateway}   (OpenAPI: {gateway}/docs)", bold=True)
    for name in GRPC_COMPONENTS:
        service = info.services[name]
        typer.echo(f"{name:<12} {service.address}   metrics :{service.metrics_port}")
    typer.echo(f"redis        {info.backends['VA_REDIS_URL']}")
    typer.echo(f"mongo        {info.backends['VA_MONGO_URL']}")
    typer.echo(f"s3           {info.backends['VA_S3_ENDPOINT']}")
    typer.echo(f"logs         {info.workdir}/logs")
    if key:
        typer.secho(f"dev API key  {key}   (also in {DEV_KEY_FILE}; header X-API-Key)", fg=typer.colors.YELLOW)
    else:
        typer.secho("authentication is DISABLED (--no-auth)", fg=typer.colors.YELLOW)
    typer.echo(f"state        {STATE_FILE}")
    typer.echo("press Ctrl-C to stop")


@app.command()
def status() -> None:
    """Health of the running stack; exit code 1 if any service is down."""
    try:
        info = StackInfo.load()
    except (OSError, ValueError, KeyError):
        raise _fail(f"no running stack found ({STATE_FILE})") from None
    down = 0
    for name, service in info.services.items():
        serving = http_ready(f"{service.address}/health/ready") if name == "gateway" else grpc_serving(service.address)
        down += not serving
        label = "SERVING" if serving else "DOWN"
        typer.secho(f"{name:<10} {label:<8} {service.address}", fg=typer.colors.GREEN if serving else typer.colors.RED)
    if down:
        raise typer.Exit(1)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="What to ask the agent")],
    url: UrlOption = None,
    api_key: KeyOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the full JSON reply")] = False,
    session: Annotated[
        str | None,
        typer.Option("--session", help="Continue this session (e.g. a booking dialogue) instead of starting one"),
    ] = None,
    now: Annotated[
        str | None,
        typer.Option("--now", help="Reference clock of a new session (needs `voiceagent up --session-clock`)"),
    ] = None,
) -> None:
    """Ask one question (or say one turn) by text chat."""
    client = _client(url, api_key)
    try:
        session_id = session or client.create_session(now)
        reply = client.message(session_id, question)
    except GatewayError as error:
        raise _fail(str(error)) from None
    finally:
        client.close()
    if as_json:
        typer.echo(json.dumps({"session_id": session_id, **reply}, indent=2))
        return
    typer.echo(reply["reply"])
    for source in reply["sources"]:
        typer.secho(f"  source: {source['document']} — {source['section']}", dim=True)
    stages = ", ".join(f"{name} {ms:.0f} ms" for name, ms in reply["timings"].items())
    typer.secho(f"  [{reply['intent'] or 'no intent'} via {reply['route']}; {stages}]", dim=True)
    typer.secho(f"  [session {session_id}; continue with --session {session_id}]", dim=True)


@app.command()
def talk(
    audio: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A spoken question (16-bit WAV)")],
    out: Annotated[Path, typer.Option("--out", help="Where to write the spoken reply")] = Path("reply.wav"),
    url: UrlOption = None,
    api_key: KeyOption = None,
    realtime: Annotated[
        bool,
        typer.Option(help="Stream the audio in real time, like a microphone (recognizers may refuse faster audio)"),
    ] = True,
    timeout_s: Annotated[float, typer.Option("--timeout", help="Seconds to wait for the reply")] = 60.0,
) -> None:
    """Send a spoken question over the voice WebSocket and save the spoken reply."""
    try:
        pcm, rate = read_wav(audio)
    except (ValueError, OSError) as error:
        raise _fail(f"cannot read {audio}: {error}") from None
    client = _client(url, api_key)
    try:
        result = asyncio.run(_talk(client, pcm, rate, realtime, timeout_s))
    except GatewayError as error:
        raise _fail(str(error)) from None
    except TimeoutError:
        raise _fail("no reply in time (was any speech recognized?)") from None
    finally:
        client.close()
    for line in result["lines"]:
        typer.echo(line)
    if result["audio"]:
        write_wav(out, result["audio"], 16_000)
        typer.echo(f"reply audio: {out} ({len(result['audio']) / 32_000:.1f} s)")
    else:
        typer.secho("no reply audio (speech output unavailable?)", fg=typer.colors.YELLOW)


async def _talk(client: GatewayClient, pcm: bytes, rate: int, realtime: bool, timeout_s: float) -> dict[str, Any]:
    session_id = client.create_session()
    config = {
        "sample_rate_hz": rate,
        "output": {"encoding": "pcm16", "sample_rate_hz": 16_000},
        "pace_output": False,
        "partials": False,  # only the final transcript is shown
    }
    async with voice_call(client, session_id, config) as call:
        # Pauses around the speech, as on a call: voice activity detection needs a little of both.
        await call.send_audio(silence(rate, 0.3) + pcm + silence(rate, 1.0), rate, realtime=realtime)
        with contextlib.suppress(TimeoutError):
            await call.wait_for(replies_done, timeout_s)
        if not replies_done(call):
            errors = call.of_type("error")
            if errors:
                raise GatewayError(errors[0]["message"])
            raise TimeoutError
        await call.send_json({"type": "end"})
    lines = [f"you:   {e['text']}" for e in call.of_type("transcript") if e["final"]]
    lines += [f"agent: {e['text']}" for e in call.of_type("answer")]
    return {"lines": lines, "audio": bytes(call.audio)}
