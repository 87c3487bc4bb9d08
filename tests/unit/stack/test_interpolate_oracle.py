"""Interpolation against the oracle: the docker CLI's own ``docker stack config``.

Each case is one value in a stack file, resolved by ``docker stack config`` (client side: no
engine needed) and by dockline with the same variables. Where the docker CLI gives a value,
dockline gives the same one, except for the documented extensions (``DIVERGES``), where the
test pins what each tool does so a change on either side is noticed. Where the docker CLI
refuses a value, dockline refuses it too (exit 2), except for the compose extensions it keeps.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from dockline.errors import InterpolationError
from dockline.stack.compose import interpolate_string

ENV = {"SET": "v", "EMPTY": "", "Y": "yv", "PORT": "8080"}

# the docker CLI and dockline give the same value
AGREE = [
    "$SET", "${SET}", "a${SET}b", "$SET.x", "a$SET.b", "${UNSET:-d}", "${EMPTY:-d}", "${SET:-d}",
    "${UNSET-d}", "${EMPTY-d}", "${SET:?m}", "${EMPTY?m}", "$$", "$${SET}", "cost: $$5", "$$$Y",
    "x${UNSET:-$}y", "${UNSET:-a b}", "${UNSET:-a:-b}", "${UNSET-}x", "${UNSET:-a}b}", "${UNSET:-}}",
    "${SET}-x", "$SET:x", "$UNSET}", "${y}", "$_a", "${UNSET:-{x}}", "é$SET", "no vars", "",
    "${UNSET:-a}${Y:-b}", "http://h:${PORT}/p?q=1", "${UNSET:-$}", "${UNSET-a$}",
]
# the docker CLI refuses, and so does dockline
BOTH_REFUSE = [
    "a$", "$1", "$", "$-", "${1}", "a$ b", "$@", "${}", "${UNSET:?}", "${UNSET?err}", "${UNSET:?need it}",
    "${Z/a/b}", "${Z:=x}", "${SET", "${",
]
# dockline refuses (ambiguous) where the docker CLI reads an operator after an unbraced name
DOCKLINE_REFUSES = ["$UNSET-x", "$SET-x", "$UNSET:-a b", "$SET?msg", "a$Y:-q"]
# documented extensions from the compose specification: (template, dockline's value)
DIVERGES = [
    ("${SET:+r}", "r"),  # docker CLI: invalid interpolation format
    ("${UNSET+r}", ""),  # docker CLI: invalid interpolation format
    ("${UNSET:-${Y:-q}}", "yv"),  # docker CLI: '${Y:-q}' (defaults are not interpolated)
    ("${UNSET:-a$Y}", "ayv"),  # docker CLI: 'a$Y'
    ("${UNSET:-$$}", "$"),  # docker CLI: '$$'
]


def _docker() -> str:
    path = shutil.which("docker")
    assert path, "the docker CLI is needed as the oracle (scripts/testbed installs it)"
    return path


def oracle(template: str, tmp_path: Path) -> str | None:
    """What ``docker stack config`` makes of one value (None: it refuses the file)."""
    doc = {"version": "3.8", "services": {"web": {"image": "nginx", "environment": {"V": template}}}}
    f = tmp_path / "stack.yml"
    f.write_text(yaml.safe_dump(doc))
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "DOCKER_HOST": "unix:///nonexistent.sock", **ENV}
    p = subprocess.run([_docker(), "stack", "config", "-c", str(f)], capture_output=True, text=True,
                       env=env, timeout=30, check=False)
    if p.returncode != 0:
        return None
    value = yaml.safe_load(p.stdout)["services"]["web"]["environment"]["V"]
    return "" if value is None else str(value)


def mine(template: str) -> str | None:
    try:
        return interpolate_string(template, ENV, "services.web.environment.V")
    except InterpolationError:
        return None


@pytest.mark.parametrize("template", AGREE)
def test_dockline_agrees_with_docker_stack_config(template: str, tmp_path: Path) -> None:
    expected = oracle(template, tmp_path)
    assert expected is not None, f"the docker CLI refused {template!r}: move the case"
    assert mine(template) == expected


@pytest.mark.parametrize("template", BOTH_REFUSE)
def test_both_refuse(template: str, tmp_path: Path) -> None:
    assert oracle(template, tmp_path) is None
    assert mine(template) is None


@pytest.mark.parametrize("template", DOCKLINE_REFUSES)
def test_ambiguous_unbraced_operators_are_refused(template: str, tmp_path: Path) -> None:
    assert oracle(template, tmp_path) is not None  # the docker CLI guesses
    with pytest.raises(InterpolationError, match="ambiguous interpolation"):
        interpolate_string(template, ENV, "k")


@pytest.mark.parametrize(("template", "value"), DIVERGES)
def test_documented_extensions(template: str, value: str, tmp_path: Path) -> None:
    assert mine(template) == value
    assert oracle(template, tmp_path) != value  # still a divergence; if not, move it to AGREE


@pytest.mark.parametrize("template", ["pa$1word", "s3cr3t$", "${SECRET_PW:x}", "ab${", "x$ y"])
def test_errors_never_show_the_value(template: str) -> None:
    with pytest.raises(InterpolationError) as e:
        interpolate_string(template, ENV, "services.db.environment.PW")
    shown = e.value.message + (e.value.hint or "")
    assert template not in shown
    assert "word" not in shown and "s3cr3t" not in shown
