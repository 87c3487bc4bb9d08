"""Names for versioned secrets that reveal nothing about their values.

A versioned secret is named ``<stack>_<key>-<10 hex>`` so a changed file rotates it. The hex
part used to be a slow hash of the value with a public salt: anyone who saw a name (``docker
secret ls``, a CI log, a deploy record) could test a dictionary of weak passwords against it.
Now it is an HMAC-SHA256 of the value under a random 256-bit key that belongs to the swarm,
so without the key the name says nothing, and the key never leaves the swarm.

The key is kept in a swarm *config* (``dockline-secret-names-key``), because a secret's value
cannot be read back through the API and every deploy, from any machine, must compute the
same names. A config is readable by whoever can use the swarm's API — and whoever can do that
can read every secret anyway, by mounting it into a service — so the key adds no exposure to
the secrets themselves; it only takes away what names used to give everyone else.

The first deploy that needs the key creates it; two deploys racing to create it settle on
the one that won (the engine refuses a second config of the same name). A dry run never
creates it: without a key it plans with a throwaway one, which is honest — every secret's
name will change on the first real deploy (so would those named by the old scheme).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re

from dockline.errors import DocklineError, EngineError
from dockline.swarm.protocols import Configs

KEY_CONFIG = "dockline-secret-names-key"
KEY_LABEL = "dockline.secret-names-key"
_KEY_TEXT = re.compile(rb"[0-9a-f]{64}")


def secret_digest(key: bytes, stack: str, name: str, content: bytes) -> str:
    """The 10 hex characters that version secret ``name`` of ``stack`` with this content."""
    msg = b"dockline-secret\0" + stack.encode() + b"\0" + name.encode() + b"\0" + content
    return hmac.new(key, msg, hashlib.sha256).hexdigest()[:10]


def throwaway_key() -> bytes:
    """A key for names nobody will look up again (a dry run on a swarm without a key)."""
    return os.urandom(32)


def swarm_key(engine: Configs, *, create: bool) -> bytes | None:
    """The swarm's key; created when missing and ``create`` (``None`` when missing otherwise)."""
    existing = _read(engine)
    if existing is not None or not create:
        return existing
    fresh = os.urandom(32).hex().encode()
    try:
        engine.create_config(KEY_CONFIG, fresh, {KEY_LABEL: "1"})
    except EngineError:
        # most likely another deploy created it first: theirs is the key
        won = _read(engine)
        if won is None:
            raise
        return won
    return bytes.fromhex(fresh.decode())


def made_key(engine: Configs) -> bytes:
    """The swarm's key, created when missing."""
    key = swarm_key(engine, create=True)
    if key is None:  # swarm_key only answers None when told not to create
        raise DocklineError(f"the swarm config {KEY_CONFIG} could not be made")
    return key


def _read(engine: Configs) -> bytes | None:
    data = engine.config_data(KEY_CONFIG)
    if data is None:
        return None
    data = data.strip()
    if not _KEY_TEXT.fullmatch(data):
        raise DocklineError(f"the swarm config {KEY_CONFIG} is not a dockline secret-names key",
                            f"remove it (`docker config rm {KEY_CONFIG}`) to let dockline make a new one; "
                            "every versioned secret will then rotate once")
    return bytes.fromhex(data.decode())
