"""How `make run-cluster` (scripts/cluster.py) and its tests start: ports, failures."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.cluster.harness import _ephemeral_low, _fronts
from tests.deploy.test_haproxy import cluster_script


def test_a_replica_that_exits_at_start_is_named_with_the_end_of_its_log(tmp_path: Path) -> None:
    cluster = cluster_script()
    args = [sys.executable, "-c", "print('address already in use: 18001'); raise SystemExit(3)"]
    process = cluster.spawn("backend-1", args, {}, tmp_path, "http://127.0.0.1:9/health")

    with pytest.raises(SystemExit) as exited:
        cluster.wait_for([process], timeout=30)

    message = str(exited.value)
    assert message.startswith("backend-1 exited;")
    assert "address already in use: 18001" in message


def test_the_test_cluster_listens_below_the_ports_outgoing_connections_take() -> None:
    ports = [int(port) for port in _fronts().values()]
    every = [port + offset for port in ports for offset in (0, 1, 2)]

    assert max(every) < _ephemeral_low()
    assert len(set(every)) == len(every) == 12
