"""The suite-wide guard that keeps tests off the internet."""

from __future__ import annotations

import socket

import httpx
import pytest

from tests.netguard import RealNetworkCallError


def test_a_connection_to_a_public_address_fails() -> None:
    """Connecting to a public IP raises before any packet leaves."""
    with socket.socket() as sock, pytest.raises(RealNetworkCallError):
        sock.connect(("1.1.1.1", 443))


async def test_an_http_request_to_a_public_host_fails() -> None:
    """httpx (used by PTB and the forum source) cannot resolve a public host name."""
    async with httpx.AsyncClient() as client:
        with pytest.raises((RealNetworkCallError, httpx.ConnectError)) as info:
            await client.get("https://api.telegram.org/")
    assert "only loopback" in str(info.value) or isinstance(
        info.value.__cause__, RealNetworkCallError
    )


def test_loopback_stays_allowed() -> None:
    """Loopback connections (fake servers, PostgreSQL) still work."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        with socket.socket() as client:
            client.connect(server.getsockname())
