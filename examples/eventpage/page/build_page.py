"""Render the static earthquake event page from a ComCat GeoJSON detail file.

This is the builder stage's tool (examples/eventpage/page/Dockerfile): standard
library only, so the builder needs nothing but a Python interpreter. It writes
``index.html`` (the page: semantic HTML, landmarks, one h1 and a heading per section,
no JavaScript) and ``metadata.json`` (what was built, from which event, for which
BASE_HREF) into the output folder.

    python build_page.py --event ../data/laverne.detail.geojson --out dist \
        --base-href eventpage --service-url /ws/designmaps

Every value that reaches the HTML is escaped; BASE_HREF and the service URL are
validated (they also end up in the nginx configuration the Dockerfile writes).
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

# BASE_HREF: one or more path segments of [A-Za-z0-9._-], no leading or trailing slash,
# no "." or ".." segment. It becomes a directory and an nginx location.
_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
# The nearby-seismicity service: an absolute path on the same site, same alphabet.
_SERVICE_PATH = re.compile(r"^(/[A-Za-z0-9][A-Za-z0-9._-]*)+$")

# Modified Mercalli Intensity: roman numeral, perceived shaking, potential damage
# (the legend ShakeMap and the event page use).
MMI_SCALE: tuple[tuple[str, str, str], ...] = (
    ("I", "Not felt", "None"),
    ("II", "Weak", "None"),
    ("III", "Weak", "None"),
    ("IV", "Light", "None"),
    ("V", "Moderate", "Very light"),
    ("VI", "Strong", "Light"),
    ("VII", "Very strong", "Moderate"),
    ("VIII", "Severe", "Moderate/heavy"),
    ("IX", "Violent", "Heavy"),
    ("X", "Extreme", "Very heavy"),
)

# Network codes of the contributors the page credits (ComCat's "sources").
CONTRIBUTORS: dict[str, str] = {
    "at": "National Tsunami Warning Center",
    "ci": "California Integrated Seismic Network: Southern California Seismic Network "
    "(Caltech, USGS Pasadena, and Partners)",
    "us": "USGS National Earthquake Information Center PDE",
}

PAGER_LEVELS = ("green", "yellow", "orange", "red")

# The talk's "View Nearby Seismicity" defaults.
NEARBY_WINDOW = timedelta(weeks=3)
NEARBY_RADIUS_KM = 250.0
NEARBY_MIN_MAGNITUDE = 1.0

SECTION_HEADINGS = (
    "Overview",
    "Regional Information",
    "Impact",
    "Technical",
    "Tsunami",
    "View Nearby Seismicity",
    "Contributors",
)


class EventDataError(ValueError):
    """The detail file is not a usable ComCat GeoJSON detail feature."""


@dataclass(frozen=True)
class Product:
    """One product of the event (first, preferred, entry of its type)."""

    type: str
    source: str
    properties: dict[str, str]


@dataclass(frozen=True)
class Event:
    """What the page shows about one event."""

    id: str
    title: str
    time: datetime
    latitude: float
    longitude: float
    depth_km: float
    magnitude: float
    magnitude_type: str
    status: str
    net: str
    sources: tuple[str, ...]
    felt: int | None
    products: dict[str, Product]

    def product(self, type_: str) -> Product | None:
        """The preferred product of a type, if the event has one."""
        return self.products.get(type_)


# ---------------------------------------------------------------------------- parsing
def _require(mapping: dict[str, Any], key: str, where: str) -> Any:
    if key not in mapping or mapping[key] is None:
        raise EventDataError(f"{where}.{key} is missing")
    return mapping[key]


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool):
        raise EventDataError(f"{where} should be a number")
    try:
        result = float(value)
    except (TypeError, ValueError):
        raise EventDataError(f"{where} should be a number, got {value!r}") from None
    if not math.isfinite(result):
        raise EventDataError(f"{where} should be a finite number")
    return result


def _code_list(value: Any) -> tuple[str, ...]:
    """ComCat's ``",ci,us,"`` lists."""
    if not isinstance(value, str):
        return ()
    return tuple(part for part in value.split(",") if part)


def parse_event(document: Any) -> Event:
    """A ComCat GeoJSON detail Feature -> :class:`Event` (raises EventDataError)."""
    if not isinstance(document, dict) or document.get("type") != "Feature":
        raise EventDataError("the detail file should hold one GeoJSON Feature")
    props = _require(document, "properties", "feature")
    geometry = _require(document, "geometry", "feature")
    coords = _require(geometry, "coordinates", "geometry")
    if not isinstance(coords, list) or len(coords) < 3:
        raise EventDataError("geometry.coordinates should be [longitude, latitude, depth]")
    longitude = _number(coords[0], "longitude")
    latitude = _number(coords[1], "latitude")
    depth = _number(coords[2], "depth")
    if not -90 <= latitude <= 90 or not -180 <= longitude <= 180:
        raise EventDataError("the event's coordinates are out of range")
    millis = _number(_require(props, "time", "properties"), "properties.time")
    products: dict[str, Product] = {}
    raw_products = props.get("products", {})
    if raw_products is None:
        raw_products = {}
    if not isinstance(raw_products, dict):
        raise EventDataError("properties.products should be an object")
    for type_, entries in raw_products.items():
        if isinstance(entries, list) and entries and isinstance(entries[0], dict):
            first = entries[0]
            products[str(type_)] = Product(
                type=str(type_),
                source=str(first.get("source", "")),
                properties={str(k): str(v) for k, v in (first.get("properties") or {}).items()},
            )
    felt = props.get("felt")
    return Event(
        id=str(_require(document, "id", "feature")),
        title=str(_require(props, "title", "properties")),
        time=datetime.fromtimestamp(millis / 1000, tz=UTC),
        latitude=latitude,
        longitude=longitude,
        depth_km=depth,
        magnitude=_number(_require(props, "mag", "properties"), "properties.mag"),
        magnitude_type=str(props.get("magType") or ""),
        status=str(props.get("status") or "automatic"),
        net=str(props.get("net") or ""),
        sources=_code_list(props.get("sources")),
        felt=None if felt is None else int(_number(felt, "properties.felt")),
        products=products,
    )


def load_event(path: Path) -> Event:
    """Read and parse a detail file."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise EventDataError(f"{path}: not JSON: {e}") from None
    return parse_event(document)


# ------------------------------------------------------------------------- formatting
def validate_base_href(value: str) -> str:
    """``"eventpage"`` or ``"a/b"``; surrounding slashes are dropped. Raises ValueError."""
    stripped = value.strip("/")
    segments = stripped.split("/")
    if not stripped or any(not _SEGMENT.match(s) or s in (".", "..") for s in segments):
        raise ValueError(
            f"BASE_HREF {value!r} should be path segments of letters, digits, '.', '_' or '-'"
        )
    return stripped


def validate_service_url(value: str) -> str:
    """An absolute path such as ``/ws/designmaps`` (trailing slash dropped)."""
    trimmed = value.rstrip("/")
    if not _SERVICE_PATH.match(trimmed):
        raise ValueError(f"service URL {value!r} should be an absolute path like /ws/designmaps")
    return trimmed


def format_coordinates(latitude: float, longitude: float) -> str:
    """``34.136°N 117.775°W``."""
    ns = "N" if latitude >= 0 else "S"
    ew = "E" if longitude >= 0 else "W"
    return f"{abs(latitude):.3f}°{ns} {abs(longitude):.3f}°{ew}"


def format_time(moment: datetime) -> str:
    """``2018-08-29 02:33:28`` (UTC)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def mmi_roman(value: float) -> str:
    """Intensity as a roman numeral (rounded, clamped to I..X)."""
    index = min(max(int(value + 0.5), 1), 10) - 1
    return MMI_SCALE[index][0]


def mmi_descriptions(value: float) -> tuple[str, str]:
    """(perceived shaking, potential damage) for an intensity."""
    index = min(max(int(value + 0.5), 1), 10) - 1
    return MMI_SCALE[index][1], MMI_SCALE[index][2]


def iso_utc(moment: datetime) -> str:
    """``2018-08-08T02:33:28Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def nearby_query(event: Event) -> dict[str, str]:
    """The talk's nearby-seismicity search: ± three weeks, 250 km, M ≥ 1.0."""
    return {
        "starttime": iso_utc(event.time - NEARBY_WINDOW),
        "endtime": iso_utc(event.time + NEARBY_WINDOW),
        "latitude": f"{event.latitude:.3f}",
        "longitude": f"{event.longitude:.3f}",
        "maxradiuskm": f"{NEARBY_RADIUS_KM:.1f}",
        "minmagnitude": f"{NEARBY_MIN_MAGNITUDE:.1f}",
    }


def nearby_url(event: Event, service_url: str) -> str:
    """Link to the service's query for this event."""
    return f"{validate_service_url(service_url)}/query?{urlencode(nearby_query(event))}"


def contributor_numbers(event: Event) -> dict[str, int]:
    """Footnote number of each contributing network, in ComCat's source order."""
    known = [s for s in event.sources if s in CONTRIBUTORS]
    for product in event.products.values():
        if product.source in CONTRIBUTORS and product.source not in known:
            known.append(product.source)
    return {source: i + 1 for i, source in enumerate(known)}


# -------------------------------------------------------------------------- rendering
def _contributed(source: str, numbers: dict[str, int]) -> str:
    if source not in numbers:
        return ""
    label = escape(source.upper())
    n = numbers[source]
    return (
        f'<p class="contributed">Contributed by {label}'
        f'<sup><a href="#contributor-{n}" aria-label="contributor {n}">{n}</a></sup></p>'
    )


def _definition_list(rows: list[tuple[str, str]]) -> str:
    items = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in rows)
    return f"<dl>{items}</dl>"


def _impact(event: Event, numbers: dict[str, int]) -> str:
    parts: list[str] = []
    dyfi = event.product("dyfi")
    if dyfi is not None:
        responses = dyfi.properties.get("num-responses") or (str(event.felt) if event.felt else "0")
        cdi = _number(dyfi.properties.get("maxmmi", "1"), "dyfi.maxmmi")
        parts.append(
            '<section aria-labelledby="dyfi"><h3 id="dyfi">Did You Feel It?</h3>'
            f'<p class="intensity mmi-{escape(mmi_roman(cdi))}">'
            f'<abbr title="Community Internet Intensity">Intensity</abbr> '
            f"<strong>{escape(mmi_roman(cdi))}</strong></p>"
            f'<p><strong class="responses">{escape(responses)}</strong> Responses</p>'
            "<p>Contribute to citizen science. Please tell us about your experience: "
            "Felt Report - Tell Us!</p>"
            f"{_contributed(dyfi.source, numbers)}</section>"
        )
    shakemap = event.product("shakemap")
    if shakemap is not None:
        mmi = _number(shakemap.properties.get("maxmmi", "1"), "shakemap.maxmmi")
        shaking, damage = mmi_descriptions(mmi)
        parts.append(
            '<section aria-labelledby="shakemap"><h3 id="shakemap">ShakeMap</h3>'
            + _definition_list(
                [
                    ("Estimated Intensity", mmi_roman(mmi)),
                    ("Perceived Shaking", shaking),
                    ("Potential Damage", damage),
                ]
            )
            + f"{_contributed(shakemap.source, numbers)}</section>"
        )
    pager = event.product("losspager")
    if pager is not None:
        level = pager.properties.get("alertlevel", "").lower()
        if level not in PAGER_LEVELS:
            level = "green"
        parts.append(
            '<section aria-labelledby="pager"><h3 id="pager">PAGER</h3>'
            f'<p class="pager-{escape(level)}">Alert level: <strong>{escape(level.upper())}</strong></p>'
            + _definition_list(
                [
                    ("Estimated Economic Losses", f"{level.upper()} alert"),
                    ("Estimated Fatalities", f"{level.upper()} alert"),
                ]
            )
            + f"{_contributed(pager.source, numbers)}</section>"
        )
    ground = event.product("ground-failure")
    if ground is not None:
        p = ground.properties
        parts.append(
            '<section aria-labelledby="ground-failure"><h3 id="ground-failure">Ground Failure</h3>'
            '<h4>Landslides</h4>'
            + _definition_list(
                [
                    ("Hazard", p.get("landslide-hazard-alert-parameter", "")),
                    ("Population", p.get("landslide-population-alert-parameter", "")),
                ]
            )
            + "<h4>Liquefaction</h4>"
            + _definition_list(
                [
                    ("Hazard", p.get("liquefaction-hazard-alert-parameter", "")),
                    ("Population", p.get("liquefaction-population-alert-parameter", "")),
                ]
            )
            + f"{_contributed(ground.source, numbers)}</section>"
        )
    return "".join(parts)


def _technical(event: Event, numbers: dict[str, int]) -> str:
    parts: list[str] = []
    origin = event.product("origin")
    review = (origin.properties.get("review-status") if origin else None) or event.status
    parts.append(
        '<section aria-labelledby="origin"><h3 id="origin">Origin</h3>'
        + _definition_list(
            [
                ("Review Status", review.upper()),
                ("Magnitude", f"{event.magnitude:.1f} {event.magnitude_type}"),
                ("Depth", f"{event.depth_km:.1f} km"),
                ("Time", f"{format_time(event.time)} UTC"),
                ("Location", format_coordinates(event.latitude, event.longitude)),
            ]
        )
        + _contributed(origin.source if origin else event.net, numbers)
        + "</section>"
    )
    tensor = event.product("moment-tensor")
    if tensor is not None:
        p = tensor.properties
        planes = []
        for n in (1, 2):
            keys = [f"nodal-plane-{n}-{k}" for k in ("strike", "dip", "rake")]
            if all(k in p for k in keys):
                strike, dip, rake = (p[k] for k in keys)
                planes.append((f"Nodal plane {n}", f"strike {strike}°, dip {dip}°, rake {rake}°"))
        rows = [
            ("Magnitude", f"{p.get('derived-magnitude', '')} {p.get('derived-magnitude-type', '')}".strip()),
            ("Depth", f"{p.get('derived-depth', '')} km"),
        ] + planes
        parts.append(
            '<section aria-labelledby="moment-tensor"><h3 id="moment-tensor">Moment Tensor</h3>'
            "<p>Fault Plane Solution</p>"
            + _definition_list(rows)
            + f"{_contributed(tensor.source, numbers)}</section>"
        )
    return "".join(parts)


_STYLE = """
body{font-family:system-ui,sans-serif;margin:0;color:#222;background:#fff;line-height:1.4}
header.site,footer.site{background:#1c3353;color:#fff;padding:.5rem 1rem}
header.site a,footer.site a{color:#fff}
main{max-width:60rem;margin:0 auto;padding:1rem}
h1{font-size:1.6rem;margin:.5rem 0}
section.card{border-top:1px solid #ccc;padding:.5rem 0}
dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem}
dt{font-weight:bold}dd{margin:0}
.intensity strong{font-size:2rem;background:#ffeb3b;padding:0 .4rem}
.pager-green strong{background:#00b04f;color:#fff;padding:0 .4rem}
.contributed{font-size:.85rem;color:#555}
.skip{position:absolute;left:-999px}.skip:focus{left:1rem}
""".strip()


def render_page(event: Event, base_href: str, service_url: str) -> str:
    """The whole page as one HTML document (no JavaScript)."""
    base = validate_base_href(base_href)
    numbers = contributor_numbers(event)
    query_link = nearby_url(event, service_url)
    summary = (
        f"{format_time(event.time)} (UTC) | {format_coordinates(event.latitude, event.longitude)}"
        f" | {event.depth_km:.1f} km depth"
    )
    contributors = "".join(
        f'<li id="contributor-{n}">{escape(CONTRIBUTORS[source])} ({escape(source.upper())})</li>'
        for source, n in sorted(numbers.items(), key=lambda item: item[1])
    )
    region_source = event.net if event.net in numbers else (event.sources[0] if event.sources else "")
    tsunami = (
        "To view any current tsunami advisories for this and other events please visit "
        '<a href="https://www.tsunami.gov">https://www.tsunami.gov</a>.'
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<base href="/{escape(base)}/">
<title>{escape(event.title)}</title>
<style>{_STYLE}</style>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="site" role="banner"><p>Earthquake Hazards Program</p></header>
<nav aria-label="Event sections">
<ul>
<li><a href="#overview">Overview</a></li>
<li><a href="#regional-information">Regional Information</a></li>
<li><a href="#impact">Impact</a></li>
<li><a href="#technical">Technical</a></li>
<li><a href="#tsunami">Tsunami</a></li>
<li><a href="#nearby-seismicity">View Nearby Seismicity</a></li>
</ul>
</nav>
<main id="main">
<h1 id="event-title">{escape(event.title)}</h1>
<p class="event-summary">{escape(summary)}</p>
<section class="card" id="overview" aria-labelledby="overview-h"><h2 id="overview-h">Overview</h2>
{_definition_list([
    ("Magnitude", f"{event.magnitude:.1f} {event.magnitude_type}"),
    ("Time", f"{format_time(event.time)} UTC"),
    ("Location", format_coordinates(event.latitude, event.longitude)),
    ("Depth", f"{event.depth_km:.1f} km"),
    ("Review Status", event.status.upper()),
])}
</section>
<section class="card" id="regional-information" aria-labelledby="regional-h"><h2 id="regional-h">Regional Information</h2>
<p>Epicenter {escape(format_coordinates(event.latitude, event.longitude))}, {escape(event.title.split(" - ", 1)[-1])}.</p>
{_contributed(region_source, numbers)}
</section>
<section class="card" id="impact" aria-labelledby="impact-h"><h2 id="impact-h">Impact</h2>
{_impact(event, numbers)}
</section>
<section class="card" id="technical" aria-labelledby="technical-h"><h2 id="technical-h">Technical</h2>
{_technical(event, numbers)}
</section>
<section class="card" id="tsunami" aria-labelledby="tsunami-h"><h2 id="tsunami-h">Tsunami</h2>
<p>U.S. Tsunami Warning System</p>
<p>{tsunami}</p>
</section>
<section class="card" id="nearby-seismicity" aria-labelledby="nearby-h"><h2 id="nearby-h">View Nearby Seismicity</h2>
{_definition_list([
    ("Time Range", "± Three Weeks"),
    ("Search Radius", f"{NEARBY_RADIUS_KM:.1f} km"),
    ("Magnitude Range", f"≥ {NEARBY_MIN_MAGNITUDE:.1f}"),
])}
<p><a id="nearby-link" href="{escape(query_link, quote=True)}">Nearby earthquakes (GeoJSON, ANSS ComCat style query)</a></p>
</section>
<section class="card" id="contributors" aria-labelledby="contributors-h"><h2 id="contributors-h">Contributors</h2>
<ol>{contributors}</ol>
</section>
</main>
<footer class="site" role="contentinfo"><p>Sample page built by dockline from a ComCat GeoJSON detail file; not an official USGS product.</p></footer>
</body>
</html>
"""


def build_metadata(event: Event, base_href: str, service_url: str) -> dict[str, str]:
    """``metadata.json``: what the image serves."""
    return {
        "event": event.id,
        "title": event.title,
        "base_href": validate_base_href(base_href),
        "service_url": validate_service_url(service_url),
        "generator": "dockline examples/eventpage/page/build_page.py",
    }


def render_server_conf(base_href: str, port: int) -> str:
    """nginx ``server`` block serving the page under ``/BASE_HREF/`` on ``port`` (non-root)."""
    base = validate_base_href(base_href)
    if not 1024 <= port <= 65535:
        raise ValueError(f"port {port} should be 1024..65535 (nginx runs as a non-root user)")
    return f"""# written by build_page.py for BASE_HREF={base}
server {{
    listen       {port};
    server_name  _;
    root         /usr/share/nginx/html;
    access_log   off;
    absolute_redirect off;
    # Response headers, from a swarm config (stack.yml: page_headers); empty in the image.
    include      /etc/nginx/eventpage.d/*.conf;

    location = / {{
        return 302 /{base}/;
    }}
    location = /{base} {{
        return 301 /{base}/;
    }}
    location /{base}/ {{
        index index.html;
        try_files $uri $uri/ =404;
    }}
    location / {{
        return 404;
    }}
}}
"""


def build(
    event_path: Path, out: Path, base_href: str, service_url: str, metadata: Path | None = None
) -> list[Path]:
    """Write index.html into ``out`` and metadata.json (default: into ``out`` too)."""
    event = load_event(event_path)
    out.mkdir(parents=True, exist_ok=True)
    page = out / "index.html"
    page.write_text(render_page(event, base_href, service_url), encoding="utf-8")
    meta = metadata if metadata is not None else out / "metadata.json"
    meta.parent.mkdir(parents=True, exist_ok=True)
    meta.write_text(json.dumps(build_metadata(event, base_href, service_url), indent=2) + "\n", encoding="utf-8")
    return [page, meta]


def main(argv: list[str] | None = None) -> int:
    """Command line of the builder stage; exit 2 on bad input."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--event", type=Path, required=True, help="ComCat GeoJSON detail file")
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--base-href", default="eventpage", help="path the page is served under")
    parser.add_argument("--service-url", default="/ws/designmaps", help="nearby-seismicity service path")
    parser.add_argument("--metadata", type=Path, help="where metadata.json goes (default: --out)")
    parser.add_argument("--nginx-conf", type=Path, help="also write the nginx server block here")
    parser.add_argument("--port", type=int, default=8080, help="port nginx listens on (>= 1024)")
    args = parser.parse_args(argv)
    try:
        files = build(args.event, args.out, args.base_href, args.service_url, args.metadata)
        if args.nginx_conf is not None:
            args.nginx_conf.parent.mkdir(parents=True, exist_ok=True)
            args.nginx_conf.write_text(render_server_conf(args.base_href, args.port), encoding="utf-8")
            files.append(args.nginx_conf)
    except (EventDataError, ValueError, OSError) as e:
        print(f"build_page: error: {e}", file=sys.stderr)
        return 2
    for f in files:
        print(f"build_page: wrote {f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
