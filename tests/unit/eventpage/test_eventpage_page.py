"""The page renderer: the talk's event, its sections, accessibility, escaping."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import build_page as bp
import pytest

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "eventpage"
DETAIL = EXAMPLE / "data" / "laverne.detail.geojson"
VOID = {"meta", "base", "br", "hr", "img", "input", "link"}


class Outline(HTMLParser):
    """Collects headings, landmarks, scripts and checks that tags balance."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.headings: list[tuple[int, str]] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self._heading: int | None = None
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in VOID:
            self.stack.append(tag)
        if len(tag) == 2 and tag[0] == "h" and tag[1].isdigit():
            self._heading = int(tag[1])
            self.headings.append((self._heading, ""))

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unbalanced </{tag}> (open: {self.stack[-3:]})")
            return
        self.stack.pop()
        if self._heading is not None and tag == f"h{self._heading}":
            self._heading = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._heading is not None:
            level, text = self.headings[-1]
            self.headings[-1] = (level, text + data)


@pytest.fixture(scope="module")
def event() -> bp.Event:
    return bp.load_event(DETAIL)


@pytest.fixture(scope="module")
def page(event: bp.Event) -> str:
    return bp.render_page(event, "eventpage", "/ws/designmaps")


@pytest.fixture(scope="module")
def outline(page: str) -> Outline:
    o = Outline()
    o.feed(page)
    o.close()
    return o


def test_event_is_the_talks(event: bp.Event) -> None:
    assert event.title == "M 4.4 - 4km N of La Verne, CA"
    assert event.time == datetime(2018, 8, 29, 2, 33, 28, tzinfo=UTC)
    assert (event.latitude, event.longitude, event.depth_km) == (34.136, -117.775, 5.5)
    assert (event.magnitude, event.magnitude_type, event.status, event.net) == (4.4, "mw", "reviewed", "ci")
    assert bp.format_coordinates(event.latitude, event.longitude) == "34.136°N 117.775°W"


def test_page_title_and_summary(outline: Outline, page: str) -> None:
    assert "<title>M 4.4 - 4km N of La Verne, CA</title>" in page
    assert outline.headings[0] == (1, "M 4.4 - 4km N of La Verne, CA")
    assert "2018-08-29 02:33:28 (UTC) | 34.136°N 117.775°W | 5.5 km depth" in page


def test_sections_in_the_talks_order(outline: Outline) -> None:
    h2 = [text for level, text in outline.headings if level == 2]
    assert h2 == list(bp.SECTION_HEADINGS)
    h3 = [text for level, text in outline.headings if level == 3]
    assert h3 == ["Did You Feel It?", "ShakeMap", "PAGER", "Ground Failure", "Origin", "Moment Tensor"]


def test_heading_levels_never_skip(outline: Outline) -> None:
    levels = [level for level, _ in outline.headings]
    assert levels[0] == 1 and levels.count(1) == 1
    for before, after in itertools.pairwise(levels):
        assert after <= before + 1, levels


def test_landmarks_no_script_and_balanced(outline: Outline, page: str) -> None:
    names = [t for t, _ in outline.tags]
    for landmark in ("header", "nav", "main", "footer"):
        assert names.count(landmark) == 1, landmark
    assert ("html", {"lang": "en"}) in outline.tags
    assert "script" not in names and "<script" not in page.lower()
    assert "onclick" not in page.lower()
    assert outline.errors == [] and outline.stack == []
    sections = [a for t, a in outline.tags if t == "section"]
    assert sections and all(a.get("aria-labelledby") for a in sections)


def test_impact_values(page: str) -> None:
    text = page
    assert "<strong>V</strong>" in text and ">6632</strong> Responses" in text  # DYFI
    assert "<dt>Estimated Intensity</dt><dd>V</dd>" in text
    assert "<dt>Perceived Shaking</dt><dd>Moderate</dd>" in text
    assert "<dt>Potential Damage</dt><dd>Very light</dd>" in text
    assert "Alert level: <strong>GREEN</strong>" in text
    assert text.count("Little or no area affected") == 2
    assert text.count("Little or no population exposed") == 2


def test_technical_values(page: str) -> None:
    assert "<dt>Review Status</dt><dd>REVIEWED</dd>" in page
    assert "<dt>Magnitude</dt><dd>4.4 mw</dd>" in page
    assert "<dt>Depth</dt><dd>5.5 km</dd>" in page
    assert "<dt>Time</dt><dd>2018-08-29 02:33:28 UTC</dd>" in page
    assert "Fault Plane Solution" in page and "strike 296°, dip 60°, rake -178°" in page


def test_tsunami_and_nearby(page: str, event: bp.Event) -> None:
    assert 'href="https://www.tsunami.gov"' in page
    assert "<dd>± Three Weeks</dd>" in page and "<dd>250.0 km</dd>" in page and "<dd>≥ 1.0</dd>" in page
    q = bp.nearby_query(event)
    assert q == {
        "starttime": "2018-08-08T02:33:28Z",
        "endtime": "2018-09-19T02:33:28Z",
        "latitude": "34.136",
        "longitude": "-117.775",
        "maxradiuskm": "250.0",
        "minmagnitude": "1.0",
    }
    assert 'href="/ws/designmaps/query?starttime=2018-08-08T02%3A33%3A28Z&amp;' in page


def test_contributors_numbered_as_in_the_talk(page: str, event: bp.Event) -> None:
    assert bp.contributor_numbers(event) == {"at": 1, "ci": 2, "us": 3}
    assert page.count('Contributed by CI<sup><a href="#contributor-2"') >= 3
    assert 'Contributed by US<sup><a href="#contributor-3"' in page
    assert '<li id="contributor-1">National Tsunami Warning Center (AT)</li>' in page
    assert "Southern California Seismic Network" in page


def test_base_href_in_page(event: bp.Event) -> None:
    assert '<base href="/quakes/event/">' in bp.render_page(event, "/quakes/event/", "/ws/designmaps")


def test_hostile_text_is_escaped() -> None:
    doc = json.loads(DETAIL.read_text())
    doc["properties"]["title"] = 'M 9 - <script>alert("x")</script> & "quotes"'
    doc["id"] = "<b>id</b>"
    html = bp.render_page(bp.parse_event(doc), "eventpage", "/ws/designmaps")
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;quotes&quot;" in html


@pytest.mark.parametrize("value,expected", [
    ("eventpage", "eventpage"), ("/eventpage/", "eventpage"), ("a/b-c/d_e.f", "a/b-c/d_e.f"),
])
def test_base_href_accepted(value: str, expected: str) -> None:
    assert bp.validate_base_href(value) == expected


@pytest.mark.parametrize("value", [
    "", "/", "..", "a/../b", "a//b", "a b", "x;y", "a\nb", "$(id)", "a{b}", ".hidden", "ä",
])
def test_base_href_rejected(value: str) -> None:
    with pytest.raises(ValueError):
        bp.validate_base_href(value)


@pytest.mark.parametrize("value", ["ws/designmaps", "/ws/../x", "http://evil/x", "/ws;x", "/"])
def test_service_url_rejected(value: str) -> None:
    with pytest.raises(ValueError):
        bp.validate_service_url(value)


@pytest.mark.parametrize("mmi,roman,shaking,damage", [
    (0.0, "I", "Not felt", "None"), (4.49, "IV", "Light", "None"), (4.5, "V", "Moderate", "Very light"),
    (5.0, "V", "Moderate", "Very light"), (6.0, "VI", "Strong", "Light"), (12.0, "X", "Extreme", "Very heavy"),
])
def test_mmi(mmi: float, roman: str, shaking: str, damage: str) -> None:
    assert bp.mmi_roman(mmi) == roman
    assert bp.mmi_descriptions(mmi) == (shaking, damage)


def test_coordinates_in_every_quadrant() -> None:
    assert bp.format_coordinates(-33.5, 151.25) == "33.500°S 151.250°E"
    assert bp.format_coordinates(0, 0) == "0.000°N 0.000°E"


@pytest.mark.parametrize("mutate,message", [
    (lambda d: d.update(type="FeatureCollection"), "one GeoJSON Feature"),
    (lambda d: d["geometry"].update(coordinates=[1, 2]), "coordinates"),
    (lambda d: d["geometry"].update(coordinates=[-117.7, 95.0, 5]), "out of range"),
    (lambda d: d["properties"].update(mag="big"), "should be a number"),
    (lambda d: d["properties"].update(mag=float("nan")), "finite"),
    (lambda d: d["properties"].pop("time"), "properties.time is missing"),
    (lambda d: d["properties"].update(products=[]), "products should be an object"),
])
def test_bad_detail_files(mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    doc = json.loads(DETAIL.read_text())
    mutate(doc)
    with pytest.raises(bp.EventDataError, match=message):
        bp.parse_event(doc)


def test_event_without_products_still_renders_core_sections() -> None:
    doc = json.loads(DETAIL.read_text())
    doc["properties"]["products"] = {}
    html = bp.render_page(bp.parse_event(doc), "eventpage", "/ws/designmaps")
    assert "Did You Feel It?" not in html and "<h3 id=\"origin\">Origin</h3>" in html


def test_server_conf() -> None:
    conf = bp.render_server_conf("eventpage", 8080)
    assert "listen       8080;" in conf and "location /eventpage/ {" in conf
    assert "return 302 /eventpage/;" in conf
    with pytest.raises(ValueError):
        bp.render_server_conf("eventpage", 80)
    with pytest.raises(ValueError):
        bp.render_server_conf("event page", 8080)


def test_main_writes_the_build(tmp_path: Path) -> None:
    rc = bp.main(["--event", str(DETAIL), "--out", str(tmp_path / "dist"), "--metadata",
                  str(tmp_path / "metadata.json"), "--nginx-conf", str(tmp_path / "conf" / "x.conf")])
    assert rc == 0
    assert (tmp_path / "dist" / "index.html").read_text().startswith("<!DOCTYPE html>")
    meta = json.loads((tmp_path / "metadata.json").read_text())
    assert meta["base_href"] == "eventpage" and meta["title"] == "M 4.4 - 4km N of La Verne, CA"
    assert "location /eventpage/" in (tmp_path / "conf" / "x.conf").read_text()


def test_main_rejects_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert bp.main(["--event", str(DETAIL), "--out", str(tmp_path), "--base-href", "../etc"]) == 2
    assert "BASE_HREF" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert bp.main(["--event", str(bad), "--out", str(tmp_path)]) == 2
    assert not (tmp_path / "index.html").exists()
