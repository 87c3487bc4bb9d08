"""Rendering: the files parse back with crossplane and say what the routes say."""

from __future__ import annotations

import json

import crossplane

from dockline.router.render import (
    render_app,
    render_edge,
    render_status,
    render_table,
    table_version,
)
from dockline.router.routes import RouteTable, RouteTarget, TargetMode, make_route


def _parse(text: str, ctx: str) -> list[dict]:
    # crossplane parses whole files; wrap server-context snippets the way nginx includes them
    import os
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "nginx.conf")
        body = text if ctx == "main" else f"http {{ {text} }}" if ctx == "http" else f"http {{ server {{ {text} }} }}"
        with open(path, "w") as f:
            f.write(body if ctx == "main" else "events {}\n" + body)
        res = crossplane.parse(path, single=True, strict=False, check_ctx=True, check_args=True, comments=False)
    assert res["status"] == "ok", res["errors"]
    return res["config"][0]["parsed"]


def _find(block: list[dict], name: str) -> list[dict]:
    out = []
    for d in block:
        if d["directive"] == name:
            out.append(d)
        out += _find(d.get("block") or [], name)
    return out


def targets() -> tuple[RouteTarget, ...]:
    a = make_route("app-a", "app-a_web", "/app-a", headers=[("X-Team", "blue team")])
    b = make_route("app-b", "app-b_web", "/app-b", host="my.website.example")
    return (RouteTarget(a, TargetMode.OVERLAY, ("tasks.app-a_web:80",)),
            RouteTarget(b, TargetMode.INGRESS, ("10.0.0.1:30000", "10.0.0.2:30000")))


def test_overlay_route_resolves_tasks_per_request_and_sets_the_headers() -> None:
    [loc] = render_app("app-a", targets())
    assert loc.kind == "location" and loc.target == "/etc/nginx/conf.d/locations/app-a.conf"
    parsed = _parse(loc.content, "server")
    [location] = _find(parsed, "location")
    assert location["args"] == ["/app-a/"]
    [s] = _find(parsed, "set")
    [pp] = _find(parsed, "proxy_pass")
    assert s["args"][1] == "tasks.app-a_web:80" and pp["args"] == [f"http://{s['args'][0]}"]
    headers = {h["args"][0]: h["args"][1] for h in _find(parsed, "proxy_set_header")}
    assert headers["Host"] == "$dockline_host"  # the client's Host passes through
    assert headers["X-Client-IP"] == "$remote_addr" and headers["X-Real-IP"] == "$remote_addr"
    assert headers["X-Forwarded-For"] == "$proxy_add_x_forwarded_for"
    assert headers["X-Forwarded-Proto"] == "$dockline_proto"
    assert headers["X-Team"] == "blue team"
    assert _find(parsed, "proxy_next_upstream")[0]["args"][:2] == ["error", "timeout"]
    assert _find(parsed, "proxy_connect_timeout")[0]["args"] == ["2s"]


def test_ingress_route_has_one_server_per_target_host_and_a_fixed_host() -> None:
    up, loc = render_app("app-b", targets())
    assert up.kind == "upstream" and up.target == "/etc/nginx/conf.d/dockline-app-b.conf"
    [upstream] = _find(_parse(up.content, "http"), "upstream")
    assert [s["args"][0] for s in upstream["block"]] == ["10.0.0.1:30000", "10.0.0.2:30000"]
    parsed = _parse(loc.content, "server")
    assert _find(parsed, "proxy_pass")[0]["args"] == [f"http://{upstream['args'][0]}"]
    headers = {h["args"][0]: h["args"][1] for h in _find(parsed, "proxy_set_header")}
    assert headers["Host"] == "my.website.example"


def test_no_target_renders_a_down_server_so_nginx_stays_valid() -> None:
    r = make_route("app-c", "app-c_web", "/c")
    up, _ = render_app("app-c", [RouteTarget(r, TargetMode.HOST, ())])
    [server] = _find(_parse(up.content, "http"), "server")
    assert "down" in server["args"]


def test_status_lists_every_route_and_the_version() -> None:
    files, version = render_table(RouteTable(targets()))
    status = json.loads(files[-1].content)
    assert status["version"] == version == table_version(files[:-1])
    assert [r["path"] for r in status["routes"]] == ["/app-a/", "/app-b/"]
    assert render_status(RouteTable(), "empty").content.count("routes") == 1


def test_version_changes_with_content_and_not_with_order() -> None:
    _, v1 = render_table(RouteTable(targets()))
    _, v2 = render_table(RouteTable(tuple(reversed(targets()))))
    assert v1 == v2
    changed = (RouteTarget(make_route("app-a", "app-a_web", "/app-a"), TargetMode.OVERLAY, ("tasks.app-a_web:81",)),)
    assert render_table(RouteTable(changed))[1] != v1


def test_edge_forwards_everything_to_the_router_tasks() -> None:
    parsed = _parse(render_edge("r_nginx", 80), "main")
    assert _find(parsed, "set")[0]["args"][1] == "tasks.r_nginx:8080"
    assert _find(parsed, "resolver")[0]["args"] == ["127.0.0.11", "valid=1s", "ipv6=off"]
    assert {tuple(d["args"]) for d in _find(parsed, "listen")} == {("80", "default_server"), ("8080",)}
