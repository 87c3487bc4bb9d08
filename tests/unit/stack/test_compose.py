"""Loading, merging, validating compose files."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from dockline.errors import StackError
from dockline.stack.compose import (
    build_environment,
    load_stack,
    merge,
    read_env_file,
    strip_ignored,
    validate,
)


def write(p: Path, doc: object) -> Path:
    p.write_text(yaml.safe_dump(doc) if not isinstance(doc, str) else doc)
    return p


def svc(**kw: object) -> dict[str, object]:
    return {"services": {"web": {"image": "nginx", **kw}}}


def test_env_file_syntax(tmp_path: Path) -> None:
    f = write(tmp_path / "e", "# c\nA=1\nexport B = two\nC='$lit'\nD=\"x\\ny\"\nE=${A}-${B}\nF=v # comment\nG=\n")
    assert read_env_file(f) == {"A": "1", "B": "two", "C": "$lit", "D": "x\ny", "E": "1-two", "F": "v", "G": ""}


def test_env_file_bad_line(tmp_path: Path) -> None:
    with pytest.raises(StackError, match=r":2: expected KEY=VALUE"):
        read_env_file(write(tmp_path / "e", "A=1\nnot a pair\n"))


def test_precedence_process_env_wins(tmp_path: Path) -> None:
    write(tmp_path / ".env", "A=dotenv\nB=dotenv\nC=dotenv\n")
    extra = write(tmp_path / "extra.env", "B=envfile\nC=envfile\n")
    env = build_environment(tmp_path, [extra], {"C": "process"})
    assert (env["A"], env["B"], env["C"]) == ("dotenv", "envfile", "process")


def test_merge_like_compose() -> None:
    base = {"services": {"web": {"image": "a", "environment": ["X=1", "Y=2"], "ports": ["80"],
                                 "command": ["a", "b"], "deploy": {"replicas": 1, "labels": {"k": "v"}}}}}
    over = {"services": {"web": {"image": "b", "environment": {"Y": "3"}, "ports": ["81", "80"],
                                 "command": ["c"], "deploy": {"replicas": 2}}}}
    web = merge(base, over)["services"]["web"]
    assert web["image"] == "b"
    assert web["environment"] == {"X": "1", "Y": "3"}
    assert web["ports"] == ["80", "81"]
    assert web["command"] == ["c"]
    assert web["deploy"] == {"replicas": 2, "labels": {"k": "v"}}


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (svc(deploy={"replicas": "two"}), "services.web.deploy.replicas: should be an integer"),
        (svc(deploy={"replicas": -1}), "services.web.deploy.replicas: should be at least 0"),
        (svc(imagee="x"), "services.web.imagee: unknown key"),
        (svc(deploy={"update_config": {"order": "random"}}),
         "services.web.deploy.update_config.order: should be one of start-first, stop-first"),
        (svc(healthcheck={"interval": "often"}), "services.web.healthcheck.interval: should be a duration"),
        (svc(ports=[{"published": 80}]), "services.web.ports.0.target: is required"),
        (svc(init="yes"), "services.web.init: should be a boolean"),
        ({"services": {"web": {"image": "x"}}, "bogus": 1}, "bogus: unknown key"),
        ({"services": {"web": {}}}, "services.web.image: is required for a swarm service"),
        ({"version": "3.8"}, "the stack has no services"),
        ({**svc(), "secrets": {"pw": {"content": "hunter2"}}},
         "secrets.pw.content: not supported by docker stack deploy"),
        ({**svc(), "secrets": {"pw": {"environment": "PW"}}},
         "secrets.pw.environment: not supported by docker stack deploy"),
        ({**svc(), "configs": {"c": {"content": "x"}}}, "configs.c.content: not supported by docker stack deploy"),
    ],
)
def test_errors_name_the_key_path(doc: dict[str, object], message: str) -> None:
    with pytest.raises(StackError) as e:
        validate(doc)
    assert message in e.value.message
    assert e.value.exit_code == 2


def test_ignored_keys_are_warnings_and_stripped() -> None:
    doc = svc(build=".", depends_on=["db"], container_name="c", restart="always", links=["db"])
    doc["x-anything"] = {"a": 1}
    warnings = validate(doc)
    assert "services.web.build: ignored by swarm (docker stack deploy); left out" in warnings
    assert {w.split(":")[0] for w in warnings} == {f"services.web.{k}" for k in
                                                   ("build", "depends_on", "container_name", "restart", "links")}
    assert strip_ignored(doc) == {"services": {"web": {"image": "nginx"}}}


def test_load_merges_in_order_interpolates_and_casts(tmp_path: Path) -> None:
    a = write(tmp_path / "a.yml", {"version": "3.8", "services": {"web": {
        "image": "img:${TAG:-1}", "deploy": {"replicas": "${N}"}}},
        "x-dockline": {"hooks": {"pre": "echo $DOCKLINE_STACK"}}})
    b = write(tmp_path / "b.yml", {"services": {"web": {"environment": {"P": "$$HOME"}}}})
    write(tmp_path / ".env", "N=3\nTAG=from-dotenv\n")
    loaded = load_stack([a, b], environ={"TAG": "2"})
    web = loaded.doc["services"]["web"]
    assert web["image"] == "img:2"
    assert web["deploy"]["replicas"] == 3
    assert web["environment"] == {"P": "$HOME"}
    assert loaded.doc["x-dockline"]["hooks"]["pre"] == "echo $DOCKLINE_STACK"  # not interpolated
    assert loaded.project_dir == tmp_path


def test_load_reports_yaml_position(tmp_path: Path) -> None:
    f = write(tmp_path / "bad.yml", "services:\n  web: [\n")
    with pytest.raises(StackError, match=r"bad\.yml:\d+:\d+: invalid YAML"):
        load_stack([f], environ={})


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(StackError, match="cannot read"):
        load_stack([tmp_path / "nope.yml"], environ={})


def test_schema_errors_never_quote_the_value() -> None:
    # jsonschema words some errors with the value itself ("'hunter2' is too long"); a rule the
    # stack schema may grow must not print a secret's value through that fallback
    import jsonschema

    from dockline.stack.compose import _describe

    errors = list(jsonschema.Draft7Validator({"properties": {"pw": {"maxLength": 3}}}).iter_errors({"pw": "hunter2"}))
    assert "hunter2" in errors[0].message  # what jsonschema would have shown
    path, message = _describe(errors[0])
    assert path == "pw" and "hunter2" not in message


# the examples of compose's .env syntax page (docs.docker.com/compose/env-file), one per line
ENV_DOC_EXAMPLES = [
    ("VAR=VAL", "VAL"), ('VAR="VAL"', "VAL"), ("VAR='VAL'", "VAL"),
    ("VAR=VAL # comment", "VAL"), ("VAR=VAL# not a comment", "VAL# not a comment"),
    ('VAR="VAL # not a comment"', "VAL # not a comment"), ('VAR="VAL" # comment', "VAL"),
    ("VAR='$OTHER'", "$OTHER"), ("VAR='${OTHER}'", "${OTHER}"), ("VAR='Let\\'s go!'", "Let's go!"),
    ('VAR="{\\"hello\\": \\"json\\"}"', '{"hello": "json"}'), ('VAR="some\\tvalue"', "some\tvalue"),
    ("VAR='some\\tvalue'", "some\\tvalue"), ("VAR=some\\tvalue", "some\\tvalue"),
    ('VAR="$OTHER"', "o"), ("VAR=$OTHER", "o"), ("VAR=${OTHER:-d}", "o"), ("export VAR=VAL", "VAL"),
]


@pytest.mark.parametrize(("line", "value"), ENV_DOC_EXAMPLES)
def test_env_file_follows_the_compose_docs(line: str, value: str, tmp_path: Path) -> None:
    f = write(tmp_path / "e", f"OTHER=o\n{line}\n")
    assert read_env_file(f)["VAR"] == value


def test_env_file_quoted_values_may_span_lines(tmp_path: Path) -> None:
    f = write(tmp_path / "e", 'KEY="-----BEGIN KEY-----\nabc\n-----END KEY-----"\nNEXT=1\n')
    assert read_env_file(f) == {"KEY": "-----BEGIN KEY-----\nabc\n-----END KEY-----", "NEXT": "1"}


@pytest.mark.parametrize(("text", "message"), [
    ("A=1\nPW='hunter2\n", ":2: the single quote of PW is never closed"),
    ('PW="hunter2" trailing\n', ":1: unexpected text after the closing quote of PW"),
    ("PW=hunter2$\n", ":1: invalid interpolation format"),
])
def test_env_file_errors_name_the_line_never_the_value(text: str, message: str, tmp_path: Path) -> None:
    with pytest.raises(StackError) as e:
        read_env_file(write(tmp_path / "e", text))
    assert message in e.value.message
    assert "hunter2" not in e.value.message + (e.value.hint or "")
