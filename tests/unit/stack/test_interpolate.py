"""Interpolation exactly as compose does it."""

from __future__ import annotations

import pytest

from dockline.errors import InterpolationError
from dockline.stack.compose import escape_dollars, interpolate, interpolate_string

ENV = {"SET": "v", "EMPTY": "", "NESTED": "n"}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("$SET", "v"),
        ("${SET}", "v"),
        ("a${SET}b", "avb"),
        ("$SET.x", "v.x"),
        ("${UNSET:-d}", "d"),
        ("${EMPTY:-d}", "d"),
        ("${SET:-d}", "v"),
        ("${UNSET-d}", "d"),
        ("${EMPTY-d}", ""),
        ("${SET:+r}", "r"),
        ("${EMPTY:+r}", ""),
        ("${UNSET:+r}", ""),
        ("${SET+r}", "r"),
        ("${EMPTY+r}", "r"),
        ("${UNSET+r}", ""),
        ("${SET:?m}", "v"),
        ("${EMPTY?m}", ""),
        ("${UNSET:-${NESTED}}", "n"),
        ("${UNSET:-${ALSO_UNSET:-deep}}", "deep"),
        ("${UNSET:-a-b}", "a-b"),
        ("$$", "$"),
        ("$${SET}", "${SET}"),
        ("cost: $$5", "cost: $5"),
        ("${UNSET:-$$}", "$"),
        ("no vars", "no vars"),
        ("", ""),
    ],
)
def test_forms(template: str, expected: str) -> None:
    assert interpolate_string(template, ENV, "p") == expected


def test_unset_plain_is_empty_with_a_warning() -> None:
    warnings: list[str] = []
    assert interpolate_string("x${NOPE}y", ENV, "services.web.image", warnings) == "xy"
    assert warnings == ["services.web.image: variable NOPE is not set; using an empty string"]


@pytest.mark.parametrize(
    ("template", "needle"),
    [
        ("${UNSET:?set it}", "required variable UNSET is not set: set it"),
        ("${EMPTY:?must not be empty}", "required variable EMPTY is empty: must not be empty"),
        ("${UNSET?}", "required variable UNSET is not set"),
        ("${UNSET?need ${SET}}", "need v"),
    ],
)
def test_required(template: str, needle: str) -> None:
    with pytest.raises(InterpolationError) as e:
        interpolate_string(template, ENV, "services.db.environment.PW")
    assert needle in e.value.message
    assert e.value.message.startswith("services.db.environment.PW: ")
    assert e.value.exit_code == 2


@pytest.mark.parametrize("bad", ["${", "${SET", "${}", "${1X}", "$", "a $ b", "${SET:x}", "$1"])
def test_invalid(bad: str) -> None:
    with pytest.raises(InterpolationError) as e:
        interpolate_string(bad, ENV, "k")
    assert "invalid interpolation format" in e.value.message


def test_tree_values_only_and_paths() -> None:
    doc = {"services": {"${SET}": {"image": "img:${SET}", "ports": ["${UNSET:-80}"], "n": 3}}}
    assert interpolate(doc, ENV) == {"services": {"${SET}": {"image": "img:v", "ports": ["80"], "n": 3}}}
    with pytest.raises(InterpolationError, match=r"services\.web\.environment\.0"):
        interpolate({"services": {"web": {"environment": ["A=${X:?}"]}}}, ENV)


@pytest.mark.parametrize("value", ["plain", "$", "a$b", "$$", "${X}", "$X $Y $$"])
def test_escape_round_trips(value: str) -> None:
    assert interpolate_string(escape_dollars(value), {"X": "no", "Y": "no"}, "k") == value
