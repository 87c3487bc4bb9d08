"""``scripts/testbed down`` removes what it is asked to and nothing else (issue 12).

``scripts/test`` ends with ``testbed down --run <its run>``: a user's demo (labelled
``dockline.demo``) and another run's objects must stay. Driven against a fake ``docker`` on
PATH that keeps labelled objects in a JSON file and answers ``ls --filter label=...`` and
``rm`` like the real CLI (the real-engine twin is tests/integration/testbed).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

FAKE_DOCKER = '''#!{python}
import json, os, sys
state_path = os.environ["FAKE_DOCKER_STATE"]
with open(state_path) as f:
    objs = json.load(f)
with open(state_path + ".log", "a") as f:
    f.write(" ".join(sys.argv[1:]) + "\\n")
args = sys.argv[1:]
kinds = {{"ps": "container", "rm": "container"}}
def matches(o, filters):
    for flt in filters:
        key, _, value = flt[len("label="):].partition("=")
        if key not in o["labels"] or (value and o["labels"][key] != value):
            return False
    return True
filters = [args[i + 1] for i, a in enumerate(args) if a == "--filter"]
if args[0] == "version":
    print("99.0")
elif args[:2] == ["stack", "ls"]:
    print("\\n".join(sorted({{o["labels"]["com.docker.stack.namespace"] for o in objs
                             if "com.docker.stack.namespace" in o["labels"]}})))
elif args[:2] == ["stack", "rm"]:
    objs = [o for o in objs if o["labels"].get("com.docker.stack.namespace") != args[2]]
elif args[0] == "ps" or (len(args) > 1 and args[1] == "ls"):
    kind = kinds.get(args[0], args[0])
    print("\\n".join(o["id"] for o in objs if o["kind"] == kind and matches(o, filters)))
elif args[0] == "rm" or (len(args) > 1 and args[1] == "rm"):
    kind = kinds.get(args[0], args[0])
    ids = [a for a in args[1:] if not a.startswith("-") and a != "rm"]
    objs = [o for o in objs if not (o["kind"] == kind and o["id"] in ids)]
else:
    sys.exit("fake docker: unexpected " + " ".join(args))
with open(state_path, "w") as f:
    json.dump(objs, f)
'''

KINDS = ("service", "container", "config", "secret", "network", "volume")


def owner_objects(owner: str, labels: dict[str, str]) -> list[dict[str, object]]:
    """A stack (service + config + network in namespace ``owner``) and one loose object of
    every kind, all labelled ``labels``."""
    stack = {**labels, "com.docker.stack.namespace": owner}
    return ([{"kind": k, "id": f"{owner}_{k}", "labels": stack} for k in ("service", "config", "network")]
            + [{"kind": k, "id": f"{owner}-{k}", "labels": dict(labels)} for k in KINDS])


OWNERS = {
    "demo": {"dockline.demo": "eventpage"},  # what `scripts/demo` (dockline demo up) labels
    "run-a": {"dockline.test": "1", "dockline.test.run": "run-a"},
    "run-b": {"dockline.test": "1", "dockline.test.run": "run-b"},
    "run-ab": {"dockline.test": "1", "dockline.test.run": "run-ab"},  # a longer id with the same start
}


@pytest.fixture()
def fake_engine(tmp_path: Path) -> tuple[dict[str, str], Path]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    docker = bin_dir / "docker"
    docker.write_text(FAKE_DOCKER.format(python=sys.executable))
    docker.chmod(0o755)
    state = tmp_path / "engine.json"
    state.write_text(json.dumps([o for owner, lab in OWNERS.items() for o in owner_objects(owner, lab)]))
    env = dict(os.environ, PATH=f"{bin_dir}:{os.environ.get('PATH', '/usr/bin:/bin')}",
               FAKE_DOCKER_STATE=str(state), DOCKLINE_CACHE=str(tmp_path / "cache"))
    env.pop("DOCKER_HOST", None)
    return env, state


def down(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(ROOT / "scripts" / "testbed"), "down", *args], env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def owners_left(state: Path) -> dict[str, int]:
    left: dict[str, int] = {}
    for o in json.loads(state.read_text()):
        owner = str(o["id"]).replace("_", "-").rsplit("-", 1)[0]
        left[owner] = left.get(owner, 0) + 1
    return left


def test_down_by_run_removes_only_that_runs_objects(fake_engine: tuple[dict[str, str], Path]) -> None:
    env, state = fake_engine
    everything = owners_left(state)
    res = down(env, "--run", "run-a")
    assert res.returncode == 0, res.stderr
    assert owners_left(state) == {k: v for k, v in everything.items() if k != "run-a"}
    res = down(env, "--run=run-b")
    assert res.returncode == 0, res.stderr
    assert owners_left(state) == {"demo": everything["demo"], "run-ab": everything["run-ab"]}


def test_down_without_options_still_removes_every_test_and_demo_object(
        fake_engine: tuple[dict[str, str], Path]) -> None:
    env, state = fake_engine
    res = down(env)
    assert res.returncode == 0, res.stderr
    assert owners_left(state) == {}


@pytest.mark.parametrize("args", [["--run"], ["--run", ""], ["--run", "a b"], ["--run=x,label=y"],
                                  ["--run", "run-a", "--images"], ["--engine", "--run", "run-a"], ["--nope"]])
def test_down_refuses_bad_options_before_touching_the_engine(
        fake_engine: tuple[dict[str, str], Path], args: list[str]) -> None:
    env, state = fake_engine
    res = down(env, *args)
    assert res.returncode == 2, res.stderr
    assert res.stderr.startswith("testbed: error: ") and "hint:" in res.stderr, res.stderr
    assert not Path(f"{state}.log").exists()  # not one docker call


def test_scripts_test_cleans_up_only_its_own_run() -> None:
    script = (ROOT / "scripts" / "test").read_text()
    assert "export DOCKLINE_TEST_RUN" in script
    cleanups = [ln.strip() for ln in script.splitlines() if "scripts/testbed down" in ln and not ln.lstrip().startswith("#")]
    assert cleanups and all('down --run "$DOCKLINE_TEST_RUN"' in ln for ln in cleanups), cleanups
    assert script.index("export DOCKLINE_TEST_RUN") < script.index("-m pytest")
