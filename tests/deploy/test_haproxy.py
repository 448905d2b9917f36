"""The HAProxy configuration `make run-cluster` writes (scripts/cluster.py)."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from lapor.paths import REPO_ROOT

HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"


def cluster_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("cluster", REPO_ROOT / "scripts" / "cluster.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["cluster"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cluster = cluster_script()
    config = cluster.Config(replicas=3, backend_port=18000, rasa_port=15005, actions_port=15055)
    path = tmp_path_factory.mktemp("haproxy") / "haproxy.cfg"
    path.write_text(cluster.haproxy_config(config))
    return path


def test_haproxy_accepts_the_configuration(written: Path) -> None:
    result = subprocess.run([HAPROXY, "-c", "-f", str(written)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_replica_is_behind_its_front_with_a_health_check(written: Path) -> None:
    text = written.read_text()
    assert not re.search(r"@[A-Z_]+@", text)  # every placeholder filled in
    for name, front in (("backend", 18000), ("rasa", 15005), ("actions", 15055)):
        assert f"bind 127.0.0.1:{front}" in text
        for i in (1, 2, 3):
            assert f"server {name}-{i} 127.0.0.1:{front + i} check" in text


def test_only_socketio_is_sticky(written: Path) -> None:
    sections = written.read_text().split("\nbackend ")[1:]
    sticky = [s.split()[0] for s in sections if "balance source" in s or "cookie " in s]
    assert sticky == ["rasa_socketio"]
