"""Block every connection and DNS lookup beyond loopback (installed by tests/conftest.py)."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo

LOCAL_NAMES = {"localhost", "127.0.0.1", "::1", "ip6-localhost"}


class RealNetworkCallError(RuntimeError):
    """A test tried to reach a host that is not this machine."""


def _is_local(host: object) -> bool:
    if not isinstance(host, str):
        return False
    if host in LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _check(address: Any) -> None:
    if isinstance(address, (str, bytes)):  # a Unix socket path
        return
    host = address[0] if isinstance(address, tuple) and address else address
    if not _is_local(host):
        raise RealNetworkCallError(
            f"a test tried to connect to {address!r}; only loopback is allowed"
        )


def _guarded_connect(self: socket.socket, address: Any) -> None:
    _check(address)
    return _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    _check(address)
    return _real_connect_ex(self, address)


def _guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    if host is not None:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if not _is_local(name):
            raise RealNetworkCallError(
                f"a test tried to resolve {name!r}; only loopback is allowed"
            )
    return _real_getaddrinfo(host, *args, **kwargs)


@contextmanager
def no_real_network() -> Iterator[None]:
    """Make any connection or DNS lookup beyond loopback fail the test."""
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = _guarded_getaddrinfo
    try:
        yield
    finally:
        socket.socket.connect = _real_connect  # type: ignore[method-assign]
        socket.socket.connect_ex = _real_connect_ex  # type: ignore[method-assign]
        socket.getaddrinfo = _real_getaddrinfo
