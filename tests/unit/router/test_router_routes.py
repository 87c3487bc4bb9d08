"""Route validation: every crafted input is refused (exit 2), good ones normalised."""

from __future__ import annotations

import pytest

from dockline.errors import EXIT_BAD_INPUT, RouteError
from dockline.router.routes import (
    TargetMode,
    check_conflicts,
    make_route,
    parse_route_option,
    routes_from_labels,
    validate_host,
    validate_path,
)

# Inputs an attacker (or a typo) could put in a label or on the command line. Each must be
# refused before anything is rendered. (label key suffix or field, value)
BAD_PATHS = [
    "/a;b", "/a{b", "/a}b", "/a b", "/a\nb", "/a\rb", "/a\tb", '/a"b', "/a'b", "/a$b", "/${host}",
    "/a/../b", "/..", "/./a", "/a//b", "/a\\b", "/ａpp",  # fullwidth a
    "/app\u200b", "/caf\u00e9", "/a#b", "/a?b", "/a%0ab", "/_dockline/status", "", "/a\x00b",
    "/" + "a" * 250, "/a;}location / {return 200;}",
]
BAD_HOSTS = ["evil.com;", "a b", "host\nname", "-bad.example", "a..b", "ex$ample.com", "ex\u0430mple.com",
             "1.2.3.999", "host:99999", "host:0", "x" * 300]
BAD_HEADERS = [
    ("X-A;b", "v"), ("X A", "v"), ("X-\u00e9", "v"), ("Host", "evil"), ("X-Forwarded-For", "1.2.3.4"),
    ("X-Ok", "a;b"), ("X-Ok", "a{b"), ("X-Ok", "a}b"), ("X-Ok", 'a"b'), ("X-Ok", "a'b"), ("X-Ok", "$host"),
    ("X-Ok", "a\nb"), ("X-Ok", "a\\b"), ("X-Ok", " lead"), ("X-Ok", "caf\u00e9"), ("X-Ok", ""),
    ("X-Ok", "a#b"), ("X-Ok", "v" * 300),
]
BAD_NAMES = ["app;rm", "app b", "-app", "app\n", "\u0430pp", "a" * 70, "app$", "app/x", ""]


@pytest.mark.parametrize("path", BAD_PATHS)
def test_bad_paths_are_refused(path: str) -> None:
    with pytest.raises(RouteError) as e:
        validate_path(path)
    assert e.value.exit_code == EXIT_BAD_INPUT


@pytest.mark.parametrize("host", BAD_HOSTS)
def test_bad_hosts_are_refused(host: str) -> None:
    with pytest.raises(RouteError):
        make_route("app", "app_web", "/a", host=host)


@pytest.mark.parametrize(("name", "value"), BAD_HEADERS)
def test_bad_headers_are_refused(name: str, value: str) -> None:
    with pytest.raises(RouteError):
        make_route("app", "app_web", "/a", headers=[(name, value)])


@pytest.mark.parametrize("name", BAD_NAMES)
def test_bad_app_and_service_names_are_refused(name: str) -> None:
    with pytest.raises(RouteError):
        make_route(name, "app_web", "/a")
    with pytest.raises(RouteError):
        make_route("app", name, "/a")


def test_at_least_thirty_crafted_inputs() -> None:
    assert len(BAD_PATHS) + len(BAD_HOSTS) + len(BAD_HEADERS) + len(BAD_NAMES) >= 30


@pytest.mark.parametrize(("raw", "norm"), [("app-a", "/app-a/"), ("/app-a", "/app-a/"), ("/a/b.c~d_e/", "/a/b.c~d_e/")])
def test_paths_are_normalised(raw: str, norm: str) -> None:
    assert validate_path(raw) == norm


def test_the_root_is_refused_up_front_not_at_nginx_t() -> None:
    # issue 12: `/` collided with the base config's `location /` and failed at `nginx -t`
    # (exit 1, after the deploy) instead of here (exit 2, nothing changed).
    with pytest.raises(RouteError, match="reserved") as e:
        validate_path("/")
    assert e.value.exit_code == 2 and "dockline.route=/shop" in (e.value.hint or "")
    with pytest.raises(RouteError, match="reserved"):
        parse_route_option("shop", "/=web")


def test_good_route_from_labels() -> None:
    [r] = routes_from_labels("shop", "shop_web", {
        "dockline.route": "/shop", "dockline.route.port": "8080", "dockline.route.host": "shop.example.org",
        "dockline.route.mode": "overlay", "dockline.route.header.X-Team": "blue team", "other": "x"})
    assert (r.path, r.port, r.host, r.mode, r.headers) == (
        "/shop/", 8080, "shop.example.org", TargetMode.OVERLAY, (("X-Team", "blue team"),))


def test_no_route_label_means_no_route_but_stray_route_labels_are_refused() -> None:
    assert routes_from_labels("a", "a_web", {"x": "y"}) == []
    with pytest.raises(RouteError, match="no dockline.route label"):
        routes_from_labels("a", "a_web", {"dockline.route.port": "80"})
    with pytest.raises(RouteError, match="unknown route label"):
        routes_from_labels("a", "a_web", {"dockline.route": "/a", "dockline.route.prot": "80"})


@pytest.mark.parametrize("bad", ["0", "65536", "80;", "eighty", "-1", "８０"])
def test_bad_ports(bad: str) -> None:
    with pytest.raises(RouteError):
        make_route("a", "a_web", "/a", port=bad)


def test_bad_mode() -> None:
    with pytest.raises(RouteError, match="mode"):
        make_route("a", "a_web", "/a", mode="vip")


def test_route_option() -> None:
    r = parse_route_option("app-a", "/app-a=nginx:8080")
    assert (r.service, r.path, r.port) == ("app-a_nginx", "/app-a/", 8080)
    assert parse_route_option("app-a", "/x=app-a_nginx").service == "app-a_nginx"
    for bad in ["/app-a", "/a=ng;x", "/a=nginx:http", "/a b=nginx"]:
        with pytest.raises(RouteError):
            parse_route_option("app-a", bad)


def test_hosts_accept_names_addresses_and_ports() -> None:
    for ok in ["worker1", "my.website.example", "10.0.0.7", "example.org:8443"]:
        assert validate_host(ok) == ok


def test_conflicting_paths_name_both_apps() -> None:
    a = make_route("app-a", "app-a_web", "/shared")
    b = make_route("app-b", "app-b_web", "/shared/")
    with pytest.raises(RouteError) as e:
        check_conflicts([a, b])
    assert "app-a" in e.value.message and "app-b" in e.value.message


def test_nested_path_of_another_app_is_refused_but_own_nesting_is_fine() -> None:
    a = make_route("app-a", "app-a_web", "/a")
    a_api = make_route("app-a", "app-a_api", "/a/api")
    b = make_route("app-b", "app-b_web", "/a/admin")
    check_conflicts([a, a_api])
    with pytest.raises(RouteError, match="lies under"):
        check_conflicts([a, b])
    check_conflicts([a, make_route("app-b", "app-b_web", "/ab")])  # a prefix string, not a path prefix
