"""Suite-wide guards: no test may reach beyond this machine."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.netguard import no_real_network


@pytest.fixture(autouse=True, scope="session")
def _no_real_network() -> Iterator[None]:
    """Make any connection or DNS lookup beyond loopback fail the test."""
    with no_real_network():
        yield
