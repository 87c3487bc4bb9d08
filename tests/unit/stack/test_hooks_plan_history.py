"""Hooks (real subprocesses), plans and deploy records (in-memory engine)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dockline.errors import StackError
from dockline.stack import history
from dockline.stack.hooks import Hook, hooks_from_doc, run_hook
from dockline.stack.model import HistoryRecord
from dockline.stack.plan import diff_paths, plan_services
from dockline.swarm.model import ConfigInfo


def test_hooks_get_data_through_the_environment(tmp_path: Path) -> None:
    # a name that would be an injection if pasted into the command
    name = "app;touch pwned"
    hook = Hook.from_value("pre", 'printf "%s|%s|%s" "$DOCKLINE_STACK" "$DOCKLINE_STACK_VERSION" "$DOCKLINE_HOOK"',
                           "--pre-hook")
    run = run_hook(hook, stack=name, version=7, files=[tmp_path / "a.yml"], cwd=tmp_path)
    assert run.ok and run.output == "app;touch pwned|7|pre"
    assert not (tmp_path / "pwned").exists()


def test_hook_failures_and_argv(tmp_path: Path) -> None:
    assert run_hook(Hook("post", ("false",), "x"), stack="a", version=1, files=[], cwd=tmp_path).exit_code == 1
    missing = run_hook(Hook("post", ("no-such-cmd-xyz",), "x"), stack="a", version=1, files=[], cwd=tmp_path)
    assert missing.exit_code == 127 and not missing.ok


def test_hooks_from_doc() -> None:
    doc = {"x-dockline": {"hooks": {"pre": "echo a", "post": ["echo b", ["touch", "x y"]]}}}
    hooks = hooks_from_doc(doc)
    assert [(h.phase, h.argv) for h in hooks] == [
        ("pre", ("sh", "-c", "echo a")), ("post", ("sh", "-c", "echo b")), ("post", ("touch", "x y"))]
    assert hooks_from_doc({}) == ()
    with pytest.raises(StackError, match="unknown key"):
        hooks_from_doc({"x-dockline": {"hooks": {"during": "x"}}})
    with pytest.raises(StackError, match="command string or a list"):
        hooks_from_doc({"x-dockline": {"hooks": {"pre": [3]}}})


def test_diff_paths() -> None:
    old = {"image": "a", "deploy": {"replicas": 1, "labels": {"x": "1"}}, "ports": [80]}
    new = {"image": "b", "deploy": {"replicas": 1, "labels": {"x": "2"}}, "ports": [80], "init": True}
    assert diff_paths(old, new) == ["deploy.labels.x", "image", "init"]
    assert diff_paths(old, old) == []


def test_plan_services() -> None:
    new = {"services": {"web": {"image": "w:2"}, "api": {"image": "a:1"}, "db": {"image": "d:1"}}}
    prev = {"services": {"web": {"image": "w:1"}, "api": {"image": "a:1"}}}
    live = {"web": "w:1", "api": "a:1", "old": "o:1"}
    got = {c.service: (c.action, c.changed_fields) for c in plan_services("app", new, live, prev)}
    assert got == {"web": ("update", ("image",)), "api": ("unchanged", ()), "db": ("create", ()),
                   "old": ("remove", ())}
    # no record: compared by image only
    actions = {c.service: c.action for c in plan_services("app", new, {"web": "w:2"}, None)}
    assert actions["web"] == "unchanged"


class MemConfigs:
    """An in-memory stand-in for the engine's config methods."""

    def __init__(self) -> None:
        self.items: dict[str, tuple[str, bytes, dict[str, str]]] = {}

    def configs(self, labels: Any = None) -> list[ConfigInfo]:
        out = []
        for cid, (name, _data, lab) in self.items.items():
            if all(lab.get(k) == v for k, v in (labels or {}).items()):
                out.append(ConfigInfo(cid, name, dict(lab), None, 1))
        return out

    def config_data(self, id_or_name: str) -> bytes | None:
        return self.items[id_or_name][1] if id_or_name in self.items else None

    def create_config(self, name: str, data: bytes, labels: Any = None) -> str:
        cid = f"id{len(self.items)}"
        self.items[cid] = (name, data, dict(labels or {}))
        return cid

    def set_config_labels(self, id_or_name: str, labels: Any) -> None:
        name, data, _ = self.items[id_or_name]
        self.items[id_or_name] = (name, data, dict(labels))

    def remove_config(self, id_or_name: str) -> bool:
        return self.items.pop(id_or_name, None) is not None


def test_records_round_trip_outcome_and_prune() -> None:
    eng = MemConfigs()
    for v in range(1, 14):
        rec = history.write_record(eng, "app", v, {"services": {"web": {"image": f"w:{v}"}}},
                                   {"app_c-1": b"conf"}, "deploy")
        history.set_outcome(eng, rec, "converged" if v % 2 else "failed")
    history.write_record(eng, "other", 1, {}, {}, "deploy")
    recs = history.list_records(eng, "app")
    assert [r.version for r in recs] == list(range(1, 14))
    data = history.read_record(eng, recs[-1])
    assert data.doc["services"]["web"]["image"] == "w:13" and data.configs == {"app_c-1": b"conf"}
    assert history.prune_records(eng, "app", keep=10) == 3
    assert history.list_records(eng, "app")[0].version == 4
    assert history.remove_records(eng, "app") == 10
    assert [r.stack for r in history.list_records(eng)] == ["other"]


def rec(v: int, outcome: str) -> HistoryRecord:
    return HistoryRecord("app", v, None, outcome, f"id{v}", f"n{v}", "deploy")


def test_rollback_target() -> None:
    recs = [rec(1, "converged"), rec(2, "converged"), rec(3, "rolled_back")]
    assert history.rollback_target(recs, None).version == 2  # type: ignore[union-attr]
    assert history.rollback_target([rec(1, "converged"), rec(2, "failed"), rec(3, "converged")], None
                                   ).version == 1  # type: ignore[union-attr]
    assert history.rollback_target(recs, 1).version == 1  # type: ignore[union-attr]
    assert history.rollback_target(recs[:1], None) is None
    assert history.rollback_target(recs, 9) is None


def test_digest_moved() -> None:
    from dockline.stack.plan import digest_moved

    live = "reg:5000/app/web:v1@sha256:aaa"
    assert digest_moved(live, "reg:5000/app/web:v1", "sha256:bbb")
    assert not digest_moved(live, "reg:5000/app/web:v1", "sha256:aaa")
    assert not digest_moved(live, "reg:5000/app/web:v1", None)  # the registry did not answer
    assert not digest_moved("reg:5000/app/web:v1", "reg:5000/app/web:v1", "sha256:bbb")  # not pinned
    assert not digest_moved(live, "reg:5000/app/web:v2", "sha256:bbb")  # another tag: a field change
    assert digest_moved("app/web:latest@sha256:aaa", "app/web", "sha256:bbb")  # the implicit tag
