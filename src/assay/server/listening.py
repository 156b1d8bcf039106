"""The server's listening socket, bound before anything else starts, so that a busy port or an
address that is not this machine's is one clear refusal (exit 2) and port 0 picks a free
port that the banner then names."""

from __future__ import annotations

import errno
import socket

from assay.errors import ConfigurationError

__all__ = ["listen"]


def listen(host: str, port: int) -> socket.socket:
    """A TCP socket listening on ``host``:``port`` (0: a free port the system picks);
    :class:`ConfigurationError` naming the option when it cannot be bound."""
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
    sock = socket.socket(family, kind, proto)
    try:
        # Lets a restarted server reuse its port at once; never a port another process
        # listens on.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Answers go out at once (no Nagle delay waiting for an acknowledgement); connections
        # accepted from this socket inherit it, in worker processes too.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind(address)
        sock.listen(2048)
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
    sock.set_inheritable(True)  # worker processes (--workers) serve on it too
    return sock


def _reason(error: Exception) -> str:
    return getattr(error, "strerror", None) or str(error)
