"""PostgreSQL probe: connect over TCP, authenticate, run ``SELECT 1``, expect ``1``.

A minimal client of the PostgreSQL frontend/backend protocol 3.0 (TLS negotiation,
startup, trust / cleartext / md5 / SCRAM-SHA-256 authentication, one simple query,
terminate), written here instead of depending on a driver: the probe runs every few
seconds and must stay cheap to import (no libpq, no C extension), and it needs nothing
else a driver offers. See docs/image.md ("Why no driver").

TLS follows libpq's ``sslmode`` (``PGSSLMODE``): ``disable``; ``prefer`` (the default:
TLS when the server offers it, plaintext when it does not or the handshake fails);
``require`` (TLS or unhealthy; the certificate is checked only when a root certificate is
given, as libpq does); ``verify-ca`` (the chain against ``sslrootcert`` /
``PGSSLROOTCERT``, else the system store); ``verify-full`` (also the host name).

Settings come from the official image's variables (``POSTGRES_USER``, ``POSTGRES_DB``,
``POSTGRES_PASSWORD`` and their ``*_FILE`` variants): :func:`settings_from_env`.
The password never appears in an outcome message.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import socket
import struct
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # ssl is imported when TLS is negotiated: a probe in plaintext does not pay for it
    import ssl

from dockline.health import net
from dockline.health.outcome import Healthy, ProbeOutcome, Unhealthy, network_failure

DEFAULT_TIMEOUT = timedelta(seconds=3)
PROTOCOL_3_0 = 196608
SSL_REQUEST = 80877103
SSLMODES = ("disable", "prefer", "require", "verify-ca", "verify-full")
# PostgreSQL's default is 4096 (scram_iterations since 16); a count far above any sane setting
# is a server making the probe burn CPU (PBKDF2 cost is linear in it), not a configuration.
MAX_SCRAM_ITERATIONS = 1_000_000
MAX_MESSAGE = 64 * 1024  # bytes: the probe's messages are small; an ErrorResponse is cut to this
SESSION_BUDGET = 1024 * 1024  # bytes the server may send in one session


@dataclass(frozen=True)
class PostgresTarget:
    """Where and as whom to connect. ``password`` is excluded from repr."""

    host: str = "127.0.0.1"
    port: int = 5432
    user: str = "postgres"
    database: str = "postgres"
    password: str = field(default="", repr=False)
    sslmode: str = "prefer"  # libpq's: disable | prefer | require | verify-ca | verify-full
    sslrootcert: str | None = None  # CA file for verify-ca / verify-full (and require, like libpq)

    def describe(self) -> str:
        return f"postgres at {self.host}:{self.port} (db {self.database}, user {self.user})"


class SettingsError(ValueError):
    """An environment variable is missing, unreadable or given twice."""


def _file_var(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "")
    path = env.get(f"{name}_FILE", "")
    if value and path:
        raise SettingsError(f"both {name} and {name}_FILE are set; set only one")
    if path:
        try:
            return Path(path).read_text().rstrip("\n")
        except OSError:
            raise SettingsError(f"{name}_FILE: cannot read {path}") from None
    return value


def settings_from_env(
    env: Mapping[str, str] | None = None,
    *,
    host: str | None = None,
    port: int | None = None,
    user: str | None = None,
    database: str | None = None,
    sslmode: str | None = None,
    sslrootcert: str | None = None,
) -> PostgresTarget:
    """The official image's conventions: user defaults to ``postgres``, db to the user."""
    e = os.environ if env is None else env
    u = user or _file_var(e, "POSTGRES_USER") or "postgres"
    d = database or _file_var(e, "POSTGRES_DB") or u
    pw = _file_var(e, "POSTGRES_PASSWORD")
    p = port if port is not None else int(e.get("PGPORT", "5432") or "5432")
    mode = (sslmode or e.get("PGSSLMODE") or "prefer").strip().lower()
    if mode not in SSLMODES:
        raise SettingsError(f"sslmode {mode!r}: should be one of {', '.join(SSLMODES)}")
    root = sslrootcert or e.get("PGSSLROOTCERT") or None
    if root is not None and not Path(root).is_file():
        raise SettingsError(f"sslrootcert: no such file {root}")
    return PostgresTarget(host=host or "127.0.0.1", port=p, user=u, database=d, password=pw, sslmode=mode,
                          sslrootcert=root)


# --------------------------------------------------------------------------- SCRAM
def scram_client_first(nonce: str) -> str:
    """client-first-message-bare (PostgreSQL ignores the SCRAM user name: it uses the
    startup packet's, so ``n=`` is empty)."""
    return f"n=,r={nonce}"


def _attrs(message: str) -> dict[str, str]:
    out = {}
    for part in message.split(","):
        k, sep, v = part.partition("=")
        if sep:
            out[k] = v
    return out


@dataclass(frozen=True)
class ScramExchange:
    """The client's computed final message and the server signature it must see."""

    client_final: str
    server_signature: bytes


class ScramRefused(ValueError):
    """The server's SCRAM parameters are ones the probe will not compute (an absurd count)."""


def salted_password(password: str, salt: bytes, iterations: int, deadline: float | None = None) -> bytes:
    """PBKDF2-HMAC-SHA-256 of the password; ``TimeoutError`` when it would end after
    ``deadline`` (a ``time.monotonic()`` value). The derivation runs in a daemon thread
    (OpenSSL's PBKDF2 releases the GIL) that the probe stops waiting for at the deadline."""
    if deadline is None:
        return hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    result: list[bytes] = []
    worker = threading.Thread(
        target=lambda: result.append(hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)),
        name="probe-scram", daemon=True)
    worker.start()
    worker.join(max(deadline - time.monotonic(), 0.0))
    if not result:
        raise TimeoutError(f"SCRAM key derivation ({iterations} iterations) did not finish in time")
    return result[0]


def scram_client_final(password: str, client_first_bare: str, server_first: str,
                       client_nonce: str, *, deadline: float | None = None) -> ScramExchange:
    """RFC 5802 / 7677 client proof for SCRAM-SHA-256 (no channel binding: ``c=biws``).

    The iteration count is the server's choice: more than :data:`MAX_SCRAM_ITERATIONS` is
    refused (:class:`ScramRefused`), and the derivation ends by ``deadline``."""
    a = _attrs(server_first)
    nonce, salt_b64, iters = a.get("r", ""), a.get("s", ""), a.get("i", "")
    if not nonce.startswith(client_nonce) or not salt_b64 or not (iters.isascii() and iters.isdigit()):
        raise ValueError("malformed SCRAM server-first message")
    digits = iters.lstrip("0")
    if not digits:
        raise ValueError("malformed SCRAM server-first message (iteration count 0)")
    if len(digits) > len(str(MAX_SCRAM_ITERATIONS)) or int(digits) > MAX_SCRAM_ITERATIONS:
        shown = digits if len(digits) <= 20 else digits[:20] + "..."
        raise ScramRefused(f"the server asks for {shown} SCRAM iterations (more than {MAX_SCRAM_ITERATIONS:,} "
                           "is refused; PostgreSQL's default is 4096)")
    count = int(digits)
    try:
        salt = base64.b64decode(salt_b64, validate=True)
    except ValueError:
        raise ValueError("malformed SCRAM server-first message (salt)") from None
    salted = salted_password(password, salt, count, deadline)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    without_proof = f"c=biws,r={nonce}"
    auth_message = f"{client_first_bare},{server_first},{without_proof}".encode()
    signature = hmac.new(stored_key, auth_message, hashlib.sha256).digest()
    proof = bytes(x ^ y for x, y in zip(client_key, signature, strict=True))
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
    return ScramExchange(
        client_final=f"{without_proof},p={base64.b64encode(proof).decode()}",
        server_signature=hmac.new(server_key, auth_message, hashlib.sha256).digest(),
    )


def md5_password(password: str, user: str, salt: bytes) -> str:
    """``md5`` + md5(md5(password + user) + salt), as the server expects."""
    inner = hashlib.md5((password + user).encode()).hexdigest()
    return "md5" + hashlib.md5(inner.encode() + salt).hexdigest()


# --------------------------------------------------------------------------- wire
class ServerError(Exception):
    """An ErrorResponse from the server ("FATAL: password authentication failed ...")."""


class ProtocolError(Exception):
    """The server said something this client does not understand."""


def _msg(kind: bytes, body: bytes) -> bytes:
    return kind + struct.pack("!I", len(body) + 4) + body


def _error_text(body: bytes) -> str:
    fields: dict[str, str] = {}
    for item in body.split(b"\0"):
        if item:
            fields[chr(item[0])] = item[1:].decode(errors="replace")
    severity = fields.get("V") or fields.get("S") or "ERROR"
    return f"{severity}: {fields.get('M', 'unknown error')}"


class _Conn:
    """Messages over a :class:`~dockline.health.net.BoundedStream` (the probe's deadline and
    its receive budget apply to every read)."""

    def __init__(self, stream: net.BoundedStream):
        self.stream = stream
        self.buf = b""

    def send(self, data: bytes) -> None:
        self.stream.sendall(data)

    def read(self, n: int) -> bytes:
        while len(self.buf) < n:
            chunk = self.stream.recv(65536)
            if not chunk:
                raise ProtocolError("the server closed the connection")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def receive(self) -> tuple[bytes, bytes]:
        head = self.read(5)
        kind = head[:1]
        (length,) = struct.unpack("!I", head[1:])
        if length < 4:
            raise ProtocolError("not a PostgreSQL server (bad message length)")
        if length > MAX_MESSAGE:
            if kind == b"E":  # the start of a huge error is still the reason; the rest is not read
                raise ServerError(_error_text(self.read(MAX_MESSAGE - 4)) + " (cut)")
            raise ProtocolError(f"not a PostgreSQL server (a {length}-byte message; more than "
                                f"{MAX_MESSAGE // 1024} KiB is refused)")
        body = self.read(length - 4)
        if kind == b"E":
            raise ServerError(_error_text(body))
        return kind, body


def _authenticate(conn: _Conn, target: PostgresTarget) -> None:
    client_nonce = base64.b64encode(os.urandom(18)).decode()
    first_bare = scram_client_first(client_nonce)
    exchange: ScramExchange | None = None
    while True:
        kind, body = conn.receive()
        if kind == b"N":  # notice
            continue
        if kind != b"R":
            raise ProtocolError(f"unexpected message {kind!r} during authentication")
        (code,) = struct.unpack("!I", body[:4])
        if code == 0:  # AuthenticationOk
            return
        if code == 3:  # cleartext
            conn.send(_msg(b"p", target.password.encode() + b"\0"))
        elif code == 5:  # md5
            conn.send(_msg(b"p", md5_password(target.password, target.user, body[4:8]).encode() + b"\0"))
        elif code == 10:  # SASL: mechanism list
            mechs = [m.decode() for m in body[4:].split(b"\0") if m]
            if "SCRAM-SHA-256" not in mechs:
                raise ProtocolError(f"the server offers only {', '.join(mechs)} (not SCRAM-SHA-256)")
            data = ("n,," + first_bare).encode()
            conn.send(_msg(b"p", b"SCRAM-SHA-256\0" + struct.pack("!I", len(data)) + data))
        elif code == 11:  # SASL continue: server-first
            try:
                exchange = scram_client_final(target.password, first_bare, body[4:].decode(), client_nonce,
                                              deadline=conn.stream.deadline)
            except ValueError as e:  # ScramRefused included: a clear reason, not a timeout
                raise ProtocolError(str(e)) from None
            conn.send(_msg(b"p", exchange.client_final.encode()))
        elif code == 12:  # SASL final: server signature
            try:
                got = base64.b64decode(_attrs(body[4:].decode()).get("v", ""))
            except ValueError:
                got = b""
            if exchange is None or not hmac.compare_digest(got, exchange.server_signature):
                raise ProtocolError("the server's SCRAM signature is wrong (not the real server?)")
        else:
            raise ProtocolError(f"unsupported authentication method (code {code})")


def _select_one(conn: _Conn) -> list[str | None]:
    values: list[str | None] = []
    while True:  # ParameterStatus, BackendKeyData, notices until ReadyForQuery
        kind, _ = conn.receive()
        if kind == b"Z":
            break
    conn.send(_msg(b"Q", b"SELECT 1\0"))
    while True:
        kind, body = conn.receive()
        if kind == b"D":
            (ncols,) = struct.unpack("!H", body[:2])
            pos = 2
            for _ in range(ncols):
                (n,) = struct.unpack("!i", body[pos:pos + 4])
                pos += 4
                if n < 0:
                    values.append(None)
                else:
                    values.append(body[pos:pos + n].decode(errors="replace"))
                    pos += n
        elif kind == b"Z":
            return values


def probe_postgres(target: PostgresTarget, *, timeout: timedelta = DEFAULT_TIMEOUT) -> ProbeOutcome:
    """Healthy when the server authenticates ``target.user`` and ``SELECT 1`` answers 1."""
    start = time.monotonic()
    seconds = max(timeout.total_seconds(), 0.001)
    where = target.describe()

    def elapsed() -> timedelta:
        return timedelta(seconds=time.monotonic() - start)

    def clean(text: str) -> str:
        if len(target.password) >= 4 and target.password in text:
            return "the error message contained the password and is withheld"
        return text

    why = net.bad_host(target.host)
    if why is not None:
        return Unhealthy(f"{where}: {why}", elapsed())
    tls = ""
    try:
        values, tls = _session(target, start + seconds, tls=target.sslmode != "disable")
    except _TlsFallback:  # prefer: the handshake failed, try without TLS like libpq (same deadline)
        try:
            values, tls = _session(target, start + seconds, tls=False)
        except (ServerError, ProtocolError) as e:
            return Unhealthy(f"{where}: {clean(str(e))}", elapsed())
        except OSError as e:
            return network_failure(where, e, seconds, elapsed())
    except (ServerError, ProtocolError) as e:
        return Unhealthy(f"{where}: {clean(str(e))}", elapsed())
    except OSError as e:
        return network_failure(where, e, seconds, elapsed())
    took = elapsed()
    over = f" over {tls}" if tls else ""
    if values == ["1"]:
        return Healthy(f"{where} answered SELECT 1{over} in {took.total_seconds() * 1000:.0f} ms", took)
    return Unhealthy(f"{where}: SELECT 1 answered {values!r}", took)


class _TlsFallback(Exception):
    """sslmode=prefer and the TLS handshake failed: retry in plaintext."""


def _tls_context(target: PostgresTarget) -> ssl.SSLContext:
    import ssl

    verify = target.sslmode in ("verify-ca", "verify-full") or (
        target.sslmode == "require" and target.sslrootcert is not None)
    ctx = ssl.create_default_context(cafile=target.sslrootcert) if verify else ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = target.sslmode == "verify-full"
    ctx.verify_mode = ssl.CERT_REQUIRED if verify else ssl.CERT_NONE
    return ctx


def _negotiate_tls(sock: socket.socket, target: PostgresTarget, deadline: float) -> socket.socket:
    """Send SSLRequest; wrap the socket when the server says ``S``. Raises ProtocolError
    when TLS is required and not offered, _TlsFallback when ``prefer`` fails the handshake."""
    conn = _Conn(net.BoundedStream(sock, deadline))
    conn.send(struct.pack("!II", 8, SSL_REQUEST))
    answer = conn.read(1)  # anything the server sent after it is dropped, never read as TLS
    if answer == b"N":
        if target.sslmode != "prefer":
            raise ProtocolError(f"the server does not offer TLS (sslmode={target.sslmode})")
        return sock
    if answer != b"S":
        raise ProtocolError("not a PostgreSQL server (bad answer to the TLS request)")
    import ssl

    try:
        return net.start_tls(sock, _tls_context(target), target.host, deadline)
    except ssl.SSLCertVerificationError as e:
        raise ProtocolError(f"TLS certificate not trusted (sslmode={target.sslmode}): "
                            f"{e.verify_message or e.reason}") from None
    except (ssl.SSLError, OSError) as e:
        if target.sslmode == "prefer" and not isinstance(e, TimeoutError):
            raise _TlsFallback from None
        if isinstance(e, ssl.SSLError):
            raise ProtocolError(f"TLS handshake failed: {e.reason or e}") from None
        raise


def _session(target: PostgresTarget, deadline: float, *, tls: bool) -> tuple[list[str | None], str]:
    """One connection: (TLS,) startup, authentication, SELECT 1, all by ``deadline``.
    Returns the values and the TLS version ("" in plaintext)."""
    sock: socket.socket | None = net.connect(target.host, target.port, deadline)
    try:
        assert sock is not None
        if tls:
            sock = _negotiate_tls(sock, target, deadline)
        conn = _Conn(net.BoundedStream(sock, deadline, SESSION_BUDGET))
        params = {"user": target.user, "database": target.database,
                  "application_name": "dockline-healthcheck"}
        body = struct.pack("!I", PROTOCOL_3_0)
        for k, v in params.items():
            body += k.encode() + b"\0" + v.encode() + b"\0"
        conn.send(struct.pack("!I", len(body) + 5) + body + b"\0")
        _authenticate(conn, target)
        values = _select_one(conn)
        try:
            conn.send(_msg(b"X", b""))
        except OSError:
            pass
        version = sock.version() if hasattr(sock, "version") else None
        return values, version or ""
    finally:
        if sock is not None:
            sock.close()
