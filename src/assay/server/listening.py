"""The server's listening socket, bound before anything else starts, so that a busy port or an
address that is not this machine's is one clear refusal (exit 2) and port 0 picks a free
port that the banner then names. Several worker processes each listen on a socket of their
own at that address (``SO_REUSEPORT``, see :mod:`assay.server.workers`)."""

from __future__ import annotations

import errno
import socket
from typing import Any

from assay.errors import ConfigurationError

_BACKLOG = 2048

__all__ = ["SHARED_PORTS", "listen", "listen_beside"]

# Whether this system lets several sockets listen on one port, the kernel spreading the
# connections over them (Linux, the BSDs, macOS).
SHARED_PORTS = hasattr(socket, "SO_REUSEPORT")


def listen(host: str, port: int, *, shared: bool = False) -> socket.socket:
    """A TCP socket listening on ``host``:``port`` (0: a free port the system picks);
    :class:`ConfigurationError` naming the option when it cannot be bound. ``shared``: bound
    with ``SO_REUSEPORT`` and not listening, so that it only keeps the port while worker
    processes listen beside it (:func:`listen_beside`)."""
    try:
        found = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE | socket.AI_NUMERICSERV
        )
    except (socket.gaierror, UnicodeError) as error:
        raise ConfigurationError(
            f"{host!r} is not an address of this machine ({_reason(error)})",
            source="--host",
            expected="an IP address or host name of this machine, such as 127.0.0.1 or 0.0.0.0",
        ) from None
    family, kind, proto, _, address = found[0]
    sock = _bound(family, kind, proto, address, host, port, shared=False)
    if shared:
        # Bound plainly first: that refuses a port any other socket holds, a server started
        # with SO_REUSEPORT included, which a shared socket would silently join instead.
        address = sock.getsockname()  # port 0: the one the system picked
        sock.close()
        return _bound(family, kind, proto, address, host, port, shared=True)
    sock.listen(_BACKLOG)
    sock.set_inheritable(True)  # worker processes (--workers) may serve on it too
    return sock


def _bound(
    family: int, kind: int, proto: int, address: Any, host: str, port: int, *, shared: bool
) -> socket.socket:
    sock = socket.socket(family, kind, proto)
    try:
        # Lets a restarted server reuse its port at once; never a port another process
        # listens on.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Answers go out at once (no Nagle delay waiting for an acknowledgement); connections
        # accepted from this socket inherit it, in worker processes too.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if shared:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            raise ConfigurationError(
                f"port {port} is in use on {host}",
                source="--port",
                expected="a free port, or --port 0 to pick one",
            ) from None
        raise ConfigurationError(
            f"cannot listen on {host}:{port} ({error.strerror})",
            source="--host",
            expected="an address of this machine and a port this user may open",
        ) from None
    return sock


def listen_beside(family: int, address: tuple[str, int]) -> socket.socket:
    """A socket of this process listening at ``address``, where a :func:`listen` socket made
    ``shared`` keeps the port: each worker accepts on its own, the kernel spreading new
    connections over them."""
    host, port = address[0], address[1]
    sock = _bound(family, socket.SOCK_STREAM, 0, address, host, port, shared=True)
    sock.listen(_BACKLOG)
    return sock


def _reason(error: Exception) -> str:
    return getattr(error, "strerror", None) or str(error)
