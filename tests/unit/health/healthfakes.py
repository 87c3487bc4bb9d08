"""Small in-process servers for probe tests: an HTTP server that records requests, a
socket that accepts but never answers, a server that runs a script per connection (hostile
answers: drips, floods, forged lines), and a fake PostgreSQL server (protocol 3.0: SSL/GSS
refusal, trust / cleartext / md5 authentication, the start of SCRAM, simple query)."""

from __future__ import annotations

import hashlib
import socket
import socketserver
import struct
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class HttpLog:
    requests: list[dict[str, str]] = field(default_factory=list)


@contextmanager
def http_server(routes: dict[str, int]) -> Iterator[tuple[int, HttpLog]]:
    """Serve ``routes`` (path -> status) on 127.0.0.1; yields (port, log of headers)."""
    log = HttpLog()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            log.requests.append({"path": self.path, **{k.lower(): v for k, v in self.headers.items()}})
            status = routes.get(self.path, 404)
            self.send_response(status)
            if status in (301, 302):
                self.send_header("Location", "/")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        yield srv.server_address[1], log
    finally:
        srv.shutdown()
        srv.server_close()


@contextmanager
def silent_server() -> Iterator[int]:
    """A listening socket that accepts connections (kernel backlog) but never answers."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    try:
        yield s.getsockname()[1]
    finally:
        s.close()


@contextmanager
def scripted_server(script: Callable[[socket.socket], None]) -> Iterator[int]:
    """A TCP server on 127.0.0.1 that runs ``script(connection)`` for each connection (in a
    thread of its own; a client that hangs up ends the script)."""

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            try:
                script(self.request)
            except OSError:
                pass

    class Server(socketserver.ThreadingTCPServer):
        daemon_threads = True
        allow_reuse_address = True

    srv = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        yield srv.server_address[1]
    finally:
        srv.shutdown()
        srv.server_close()


def closed_port() -> int:
    """A port nothing listens on."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@dataclass(frozen=True)
class PgBehaviour:
    auth: str = "trust"  # trust | cleartext | md5 | fatal | scram (server-first, then silence)
    password: str = "s3cret-pw"
    answer: str = "1"
    fatal_message: str = "the database system is starting up"
    scram_iterations: str = "4096"


def _msg(kind: bytes, body: bytes) -> bytes:
    return kind + struct.pack("!I", len(body) + 4) + body


def _error(message: str) -> bytes:
    return _msg(b"E", b"SFATAL\0VFATAL\0C28P01\0M" + message.encode() + b"\0\0")


@contextmanager
def fake_postgres(behaviour: PgBehaviour) -> Iterator[int]:
    """Yields the port of a fake PostgreSQL server."""

    class Handler(socketserver.BaseRequestHandler):
        def _read(self, n: int) -> bytes:
            buf = b""
            while len(buf) < n:
                chunk = self.request.recv(n - len(buf))
                if not chunk:
                    raise ConnectionError
                buf += chunk
            return buf

        def _message(self) -> tuple[bytes, bytes]:
            head = self._read(5)
            (length,) = struct.unpack("!I", head[1:])
            return head[:1], self._read(length - 4)

        def handle(self) -> None:
            try:
                self._handle()
            except (ConnectionError, OSError):
                pass

        def _handle(self) -> None:
            sock = self.request
            while True:
                (length,) = struct.unpack("!I", self._read(4))
                body = self._read(length - 4)
                (code,) = struct.unpack("!I", body[:4])
                if code in (80877103, 80877104):  # SSLRequest, GSSENCRequest
                    sock.sendall(b"N")
                    continue
                break
            params = body[4:].split(b"\0")
            fields = dict(zip(params[0::2], params[1::2], strict=False))
            user = fields.get(b"user", b"").decode()
            b = behaviour
            if b.auth == "fatal":
                sock.sendall(_error(b.fatal_message))
                return
            if b.auth == "scram":
                sock.sendall(_msg(b"R", struct.pack("!I", 10) + b"SCRAM-SHA-256\0\0"))
                _, first = self._message()
                client_nonce = first.split(b"r=", 1)[1].decode()
                server_first = f"r={client_nonce}srv,s=c2FsdA==,i={b.scram_iterations}"
                sock.sendall(_msg(b"R", struct.pack("!I", 11) + server_first.encode()))
                self._message()  # the client's proof: this fake never accepts it
                return
            if b.auth == "cleartext":
                sock.sendall(_msg(b"R", struct.pack("!I", 3)))
                _, pw = self._message()
                if pw.rstrip(b"\0").decode() != b.password:
                    sock.sendall(_error(f'password authentication failed for user "{user}"'))
                    return
            if b.auth == "md5":
                salt = b"\x01\x02\x03\x04"
                sock.sendall(_msg(b"R", struct.pack("!I", 5) + salt))
                _, pw = self._message()
                inner = hashlib.md5((b.password + user).encode()).hexdigest()
                want = "md5" + hashlib.md5(inner.encode() + salt).hexdigest()
                if pw.rstrip(b"\0").decode() != want:
                    sock.sendall(_error(f'password authentication failed for user "{user}"'))
                    return
            out = _msg(b"R", struct.pack("!I", 0))
            for k, v in (("server_version", "15.0"), ("client_encoding", "UTF8"),
                         ("server_encoding", "UTF8"), ("standard_conforming_strings", "on"),
                         ("DateStyle", "ISO, MDY"), ("integer_datetimes", "on")):
                out += _msg(b"S", k.encode() + b"\0" + v.encode() + b"\0")
            out += _msg(b"K", struct.pack("!II", 1, 2)) + _msg(b"Z", b"I")
            sock.sendall(out)
            while True:
                kind, body = self._message()
                if kind == b"X":
                    return
                if kind == b"Q":
                    desc = b"?column?\0" + struct.pack("!IHIhiH", 0, 0, 23, 4, -1, 0)
                    row = struct.pack("!HI", 1, len(b.answer)) + b.answer.encode()
                    sock.sendall(_msg(b"T", struct.pack("!H", 1) + desc) + _msg(b"D", row)
                                 + _msg(b"C", b"SELECT 1\0") + _msg(b"Z", b"I"))

    class Server(socketserver.ThreadingTCPServer):
        daemon_threads = True
        allow_reuse_address = True

    srv = Server(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        yield srv.server_address[1]
    finally:
        srv.shutdown()
        srv.server_close()
