"""Generate the Python gRPC stubs from protos/ (``make protos``).

Stubs are written next to the .proto files, so the proto package
``voiceagent.v1`` is also the Python package ``voiceagent.v1`` and generated
imports resolve without touching ``sys.path``.
"""

from __future__ import annotations

import sys
from pathlib import Path

PROTO_ROOT = Path(__file__).resolve().parents[2] / "protos"


def generate(out_dir: Path, proto_root: Path = PROTO_ROOT) -> list[Path]:
    """Run protoc for every .proto under ``proto_root``; returns the files written."""
    from grpc_tools import protoc

    protos = sorted(str(p.relative_to(proto_root)) for p in proto_root.rglob("*.proto"))
    import grpc_tools

    include = str(Path(grpc_tools.__file__).parent / "_proto")
    args = [
        "protoc",
        f"-I{proto_root}",
        f"-I{include}",
        f"--python_out={out_dir}",
        f"--pyi_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        *protos,
    ]
    if protoc.main(args) != 0:
        raise RuntimeError("protoc failed")
    return sorted(p for p in out_dir.rglob("*_pb2*.py*"))


if __name__ == "__main__":
    written = generate(PROTO_ROOT)
    print(f"generated {len(written)} files under {PROTO_ROOT}", file=sys.stderr)
