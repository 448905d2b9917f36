"""The cluster the replica tests share (`make test-cluster`, marker `cluster`)."""

from __future__ import annotations

from typing import Iterator

import pytest

from tests.cluster.harness import Cluster, running_cluster
from tests.fake_twilio import FakeTwilio


@pytest.fixture(scope="package")
def cluster(tmp_path_factory: pytest.TempPathFactory, twilio: FakeTwilio) -> Iterator[Cluster]:
    folder = tmp_path_factory.mktemp("cluster")
    # A killed replica's messages run again within seconds, not a minute, and
    # its hold on a conversation's lock lapses as quickly.
    with running_cluster(
        folder,
        twilio,
        WHATSAPP_LEASE_SECONDS="4",
        WHATSAPP_RECOVER_SECONDS="1",
        TICKET_LOCK_LIFETIME="8",
        OUTBOX_INTERVAL="1",
        EMERGENCY_CHECK_INTERVAL="0.5",
    ) as running:
        yield running
