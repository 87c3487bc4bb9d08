"""Sockets for probes: one deadline for the whole exchange, a cap on what a server may send.

A probe's ``--timeout`` bounds the probe, not each socket call: a server that accepts and
then drips one byte a second must not keep a 2 s probe alive for minutes. Every operation
here (resolving the name, each connection attempt, the TLS handshake, each send and read)
gets only the time left until one ``deadline`` (a ``time.monotonic()`` value), and raises
``TimeoutError`` once it has passed.

What a server sends is bounded too: a :class:`BoundedStream` refuses to receive more than its
budget (:class:`TooMuchData`), so a 16 MiB header or error line is never buffered.
"""

from __future__ import annotations

import io
import socket
import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # ssl is imported only when TLS is used
    import ssl

DEFAULT_BUDGET = 256 * 1024  # bytes a server may send to one probe


class TooMuchData(OSError):
    """The server sent more than the probe reads (not a healthcheck answer)."""


def bad_host(host: str) -> str | None:
    """Why ``host`` is not a host name or address (``None`` when it is one). A leading ``-``
    would reach a tool such as ``nc`` as an option; a control character would forge output."""
    if not host:
        return "no host given"
    if host.startswith("-"):
        return f"not a host name or address (starts with '-'): {host!r}"
    if not host.isprintable() or any(c.isspace() for c in host):
        return f"not a host name or address: {host!r}"
    return None


def remaining(deadline: float) -> float:
    """Seconds left until ``deadline``; ``TimeoutError`` when none are."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("the probe's deadline passed")
    return left


def resolve(host: str, port: int, deadline: float) -> list[tuple[int, int, int, tuple[str, int]]]:
    """``(family, type, proto, address)`` for ``host:port`` (TCP), within the deadline.

    ``getaddrinfo`` takes no timeout, so it runs in a daemon thread the probe stops waiting
    for (a hung resolver is the thread's problem, not the probe's)."""
    found: list[tuple[int, int, int, tuple[str, int]]] = []
    failed: list[OSError] = []

    def lookup() -> None:
        try:
            for family, kind, proto, _, addr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
                found.append((family, kind, proto, (str(addr[0]), int(addr[1]))))
        except OSError as e:
            failed.append(e)

    worker = threading.Thread(target=lookup, name="probe-resolve", daemon=True)
    worker.start()
    worker.join(remaining(deadline))
    if worker.is_alive():
        raise TimeoutError(f"could not resolve {host} in time")
    if failed:
        raise failed[0]
    if not found:
        raise socket.gaierror(socket.EAI_NONAME, "no address")
    return found


def connect(host: str, port: int, deadline: float) -> socket.socket:
    """A TCP connection to ``host:port``; every address tried gets only the time left."""
    last: OSError | None = None
    for family, kind, proto, addr in resolve(host, port, deadline):
        sock = socket.socket(family, kind, proto)
        try:
            sock.settimeout(remaining(deadline))
            sock.connect(addr)
        except OSError as e:
            sock.close()
            if isinstance(e, TimeoutError):
                raise
            last = e
            continue
        return sock
    assert last is not None
    raise last


def start_tls(sock: socket.socket, ctx: ssl.SSLContext, server_hostname: str | None, deadline: float) -> ssl.SSLSocket:
    """The TLS handshake on ``sock``, bounded by the deadline (CPython's handshake treats the
    socket timeout as a deadline for the whole handshake, not per read)."""
    tls = ctx.wrap_socket(sock, server_hostname=server_hostname, do_handshake_on_connect=False)
    try:
        tls.settimeout(remaining(deadline))
        tls.do_handshake()
    except BaseException:
        tls.close()  # the wrapped socket owns the connection now
        raise
    return tls


class BoundedStream:
    """A connected socket used under one deadline and a receive budget.

    It offers what ``http.client`` and the PostgreSQL client use of a socket: ``sendall``,
    ``recv``, ``makefile("rb")`` and ``close``. As with a socket, ``close`` while a file
    made by ``makefile`` is open closes the connection when that file is closed
    (``http.client`` closes the connection of a ``Connection: close`` response before its
    body is read)."""

    def __init__(self, sock: socket.socket, deadline: float, budget: int = DEFAULT_BUDGET) -> None:
        self.sock = sock
        self.deadline = deadline
        self.budget = budget
        self.received = 0
        self._files = 0
        self._closed = False

    def sendall(self, data: bytes) -> None:
        self.sock.settimeout(remaining(self.deadline))
        self.sock.sendall(data)

    def recv_into(self, buffer: memoryview) -> int:
        room = self.budget - self.received
        if room <= 0:
            raise TooMuchData(f"the server sent more than {self.budget // 1024} KiB")
        self.sock.settimeout(remaining(self.deadline))
        n = self.sock.recv_into(buffer[:room])
        self.received += n
        return n

    def recv(self, size: int) -> bytes:
        buf = bytearray(size)
        n = self.recv_into(memoryview(buf))
        return bytes(buf[:n])

    def makefile(self, mode: str = "rb") -> io.BufferedReader:
        if mode != "rb":
            raise ValueError("a BoundedStream reads bytes only")
        self._files += 1
        return io.BufferedReader(_Reader(self))

    def version(self) -> str | None:
        """The TLS version (``None`` in plaintext)."""
        get = getattr(self.sock, "version", None)
        return get() if get is not None else None

    def close(self) -> None:
        self._closed = True
        if self._files == 0:
            self.sock.close()

    def _file_closed(self) -> None:
        self._files -= 1
        if self._closed and self._files == 0:
            self.sock.close()


class _Reader(io.RawIOBase):
    def __init__(self, stream: BoundedStream) -> None:
        self._stream = stream

    def close(self) -> None:
        if not self.closed:
            self._stream._file_closed()
        super().close()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]  # io's is Buffer
        return self._stream.recv_into(memoryview(buffer).cast("B"))
