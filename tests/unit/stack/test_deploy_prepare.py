"""Preparing a stack for the engine: versioned names, paths, the converter's file. Pure."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import yaml

from dockline.durations import format_duration, parse_duration
from dockline.errors import ConfigError, StackError
from dockline.stack.compose import interpolate
from dockline.stack.deploy import check_stack_name, prepare, swarm_document, version_objects


def demo(tmp_path: Path, conf: str = "a", secret: str = "s3cret") -> Path:
    (tmp_path / "app.conf").write_text(conf)
    (tmp_path / "pw.txt").write_text(secret)
    f = tmp_path / "stack.yml"
    f.write_text(yaml.safe_dump({
        "version": "3.5",
        "services": {"web": {"image": "img", "build": ".", "env_file": "web.env",
                             "volumes": ["./data:/data", "named:/x"],
                             "environment": {"PRICE": "$$5"},
                             "configs": [{"source": "app", "target": "/app.conf"}], "secrets": ["pw"]}},
        "configs": {"app": {"file": "./app.conf"}, "ext": {"external": True, "name": "shared"}},
        "secrets": {"pw": {"file": "./pw.txt"}},
        "x-dockline": {"hooks": {"pre": "true"}},
    }))
    return f


KEY = bytes(range(32))


def test_versioned_names_follow_content(tmp_path: Path) -> None:
    p1 = prepare("app", [demo(tmp_path)], environ={}, secret_key=lambda: KEY)
    names1 = {v.key: v.name for v in p1.versions}
    assert names1["app"] == "app_app-" + hashlib.sha256(b"a").hexdigest()[:10]
    assert names1["pw"].startswith("app_pw-") and len(names1["pw"]) == len("app_pw-") + 10
    p2 = prepare("app", [demo(tmp_path, conf="b")], environ={}, secret_key=lambda: KEY)
    names2 = {v.key: v.name for v in p2.versions}
    assert names2["app"] != names1["app"] and names2["pw"] == names1["pw"]
    cfg = p1.doc["configs"]["app"]
    assert cfg["file"] == str(tmp_path / "app.conf")
    assert cfg["labels"] == {"dockline.stack": "app", "dockline.versioned": "1", "dockline.key": "config:app"}
    assert p1.doc["configs"]["ext"] == {"external": True, "name": "shared"}  # untouched


def test_secret_values_never_kept(tmp_path: Path) -> None:
    p = prepare("app", [demo(tmp_path, secret="hunter2")], environ={})
    secret = next(v for v in p.versions if v.kind == "secret")
    assert secret.content is None
    assert "hunter2" not in repr(p) and "hunter2" not in yaml.safe_dump(p.doc)
    # the short hash is not the plain sha256 of the value
    assert hashlib.sha256(b"hunter2").hexdigest()[:10] not in secret.name


def test_secret_names_reveal_nothing_without_the_swarm_key(tmp_path: Path) -> None:
    # The old scheme: PBKDF2 with a public salt, so a dictionary finds a weak password from the
    # name alone. The attacker's side of that attack, run against today's names:
    def old_scheme(value: bytes) -> str:
        return hashlib.pbkdf2_hmac("sha256", value, b"dockline:app:pw", 100_000).hex()[:10]

    dictionary = [b"123456", b"password", b"hunter2", b"letmein"]
    secret = next(v for v in prepare("app", [demo(tmp_path, secret="hunter2")], environ={},
                                     secret_key=lambda: KEY).versions if v.kind == "secret")
    digest = secret.name.rsplit("-", 1)[1]
    assert digest not in {old_scheme(w) for w in dictionary}
    # what the attacker would need is the key: with it the name is reproducible, with another not
    from dockline.stack.secretnames import secret_digest

    assert secret_digest(KEY, "app", "pw", b"hunter2") == digest
    assert secret_digest(bytes(32), "app", "pw", b"hunter2") != digest


def test_the_key_is_asked_for_only_when_a_secret_needs_a_name(tmp_path: Path) -> None:
    asked: list[int] = []

    def key() -> bytes:
        asked.append(1)
        return KEY

    f = tmp_path / "s.yml"
    f.write_text(yaml.safe_dump({"services": {"web": {"image": "nginx"}}}))
    prepare("app", [f], environ={}, secret_key=key)
    assert asked == []
    prepare("app", [demo(tmp_path)], environ={}, secret_key=key)
    assert asked == [1]  # once per prepare, however many secrets


def test_paths_made_absolute_and_ignored_keys_dropped(tmp_path: Path) -> None:
    p = prepare("app", [demo(tmp_path)], environ={})
    web = p.doc["services"]["web"]
    assert "build" not in web
    assert web["env_file"] == [str(tmp_path / "web.env")]
    assert web["volumes"] == [f"{tmp_path / 'data'}:/data", "named:/x"]
    assert p.services == ("app_web",)
    assert [h.argv for h in p.hooks] == [("sh", "-c", "true")]


def test_swarm_document_reescapes_and_sets_version(tmp_path: Path) -> None:
    p = prepare("app", [demo(tmp_path)], environ={})
    assert p.doc["services"]["web"]["environment"] == {"PRICE": "$5"}
    out = swarm_document(p.doc)
    assert out["version"] == "3.8"
    assert out["services"]["web"]["environment"] == {"PRICE": "$$5"}
    assert "x-dockline" not in out
    # what the engine's converter will interpolate comes back to the resolved value
    assert interpolate(out, {})["services"]["web"]["environment"] == {"PRICE": "$5"}
    assert swarm_document({**p.doc, "version": "3.9"})["version"] == "3.9"


def test_missing_config_file(tmp_path: Path) -> None:
    f = demo(tmp_path)
    (tmp_path / "app.conf").unlink()
    with pytest.raises(StackError, match=r"configs\.app\.file: cannot read"):
        prepare("app", [f], environ={})


def test_version_objects_name_length(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    doc = {"configs": {"k" * 60: {"file": "f"}}}
    with pytest.raises(StackError, match="longer than 64"):
        version_objects(doc, "app", tmp_path)


@pytest.mark.parametrize("name", ["", "-x", "a b", "a/b", "x" * 41, "a$(id)"])
def test_bad_stack_names(name: str) -> None:
    with pytest.raises(StackError):
        check_stack_name(name)


@pytest.mark.parametrize(("text", "secs"), [("90", 90), ("90s", 90), ("5m", 300), ("1m30s", 90),
                                            ("500ms", 0.5), ("1h", 3600), ("1.5s", 1.5)])
def test_durations(text: str, secs: float) -> None:
    assert parse_duration(text).total_seconds() == pytest.approx(secs)


@pytest.mark.parametrize("text", ["", "5x", "m", "1m 30s", "s5", "-5", "-5s"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ConfigError):
        parse_duration(text)


def test_format_duration() -> None:
    assert [format_duration(parse_duration(t)) for t in ("0.3s", "2s", "2.5s", "90s", "120s")] == [
        "300ms", "2s", "2.5s", "1m30s", "2m"]
