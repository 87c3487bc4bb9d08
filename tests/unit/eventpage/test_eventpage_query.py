"""Query parsing and validation of the nearby-seismicity service (pure)."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest
from eventservice.query import (
    MAX_RADIUS_KM,
    QueryError,
    distance_km,
    feature,
    feature_collection,
    parse_query,
    parse_time,
    to_sql,
)
from hypothesis import given
from hypothesis import strategies as st

PAGE_QUERY = {
    "starttime": ["2018-08-08T02:33:28Z"],
    "endtime": ["2018-09-19T02:33:28Z"],
    "latitude": ["34.136"],
    "longitude": ["-117.775"],
    "maxradiuskm": ["250.0"],
    "minmagnitude": ["1.0"],
}


def q(**params: str) -> dict[str, list[str]]:
    return {k: [v] for k, v in params.items()}


def test_the_pages_query() -> None:
    query = parse_query(PAGE_QUERY)
    assert query.starttime == datetime(2018, 8, 8, 2, 33, 28, tzinfo=UTC)
    assert query.endtime == datetime(2018, 9, 19, 2, 33, 28, tzinfo=UTC)
    assert query.circle is not None
    assert (query.circle.latitude, query.circle.longitude, query.circle.radius_km) == (34.136, -117.775, 250.0)
    assert query.minmagnitude == 1.0
    assert (query.limit, query.orderby) == (1000, "time")


def test_defaults_are_everything() -> None:
    query = parse_query({})
    assert (query.starttime, query.endtime, query.circle, query.minmagnitude) == (None, None, None, None)


def test_circle_radius_defaults_to_whole_earth() -> None:
    query = parse_query(q(latitude="0", longitude="0"))
    assert query.circle is not None and query.circle.radius_km == MAX_RADIUS_KM


@pytest.mark.parametrize("text,expected", [
    ("2018-08-29", datetime(2018, 8, 29, tzinfo=UTC)),
    ("2018-08-29T02:33", datetime(2018, 8, 29, 2, 33, tzinfo=UTC)),
    ("2018-08-29T02:33:28.5", datetime(2018, 8, 29, 2, 33, 28, 500000, tzinfo=UTC)),
    ("2018-08-29 02:33:28", datetime(2018, 8, 29, 2, 33, 28, tzinfo=UTC)),
    ("2018-08-28T19:33:28-07:00", datetime(2018, 8, 29, 2, 33, 28, tzinfo=UTC)),
])
def test_times(text: str, expected: datetime) -> None:
    assert parse_time("starttime", text) == expected


@pytest.mark.parametrize("params,parameter", [
    (q(foo="1"), "foo"),
    (q(starttime="yesterday"), "starttime"),
    (q(starttime="2018-02-30"), "starttime"),
    (q(endtime="2018-08-29T25:00:00"), "endtime"),
    (q(starttime="2018-08-29", endtime="2018-08-28"), "endtime"),
    (q(starttime="2018-08-29", endtime="2018-08-29"), "endtime"),
    (q(latitude="91", longitude="0"), "latitude"),
    (q(latitude="0", longitude="-180.5"), "longitude"),
    (q(latitude="0", longitude="0", maxradiuskm="-1"), "maxradiuskm"),
    (q(latitude="0", longitude="0", maxradiuskm="30000"), "maxradiuskm"),
    (q(latitude="nan", longitude="0"), "latitude"),
    (q(latitude="inf", longitude="0"), "latitude"),
    (q(latitude="1e1", longitude="0"), "latitude"),
    (q(latitude="", longitude="0"), "latitude"),
    (q(latitude="34"), "longitude"),
    (q(maxradiuskm="250"), "latitude"),
    (q(minmagnitude="eleven"), "minmagnitude"),
    (q(minmagnitude="10.5"), "minmagnitude"),
    (q(limit="0"), "limit"),
    (q(limit="-5"), "limit"),
    (q(limit="20001"), "limit"),
    (q(limit="1.5"), "limit"),
    (q(orderby="random"), "orderby"),
    (q(format="xml"), "format"),
    ({"latitude": ["1", "2"], "longitude": ["0"]}, "latitude"),
])
def test_bad_queries_name_the_parameter(params: dict[str, list[str]], parameter: str) -> None:
    with pytest.raises(QueryError) as info:
        parse_query(params)
    assert info.value.parameter == parameter
    body = info.value.as_json()
    assert body["error"]["code"] == 400  # type: ignore[index]
    assert body["error"]["parameter"] == parameter  # type: ignore[index]


@given(st.dictionaries(st.sampled_from(["starttime", "endtime", "latitude", "longitude", "maxradiuskm",
                                         "minmagnitude", "limit", "orderby", "format", "x"]),
                       st.lists(st.text(max_size=30), min_size=1, max_size=2)))
def test_any_input_is_a_query_or_a_query_error(params: dict[str, list[str]]) -> None:
    try:
        query = parse_query(params)
    except QueryError as e:
        assert e.message
        return
    sql, args = to_sql(query)
    for value in args.values():
        if isinstance(value, float) and not float(value).is_integer():
            assert repr(value) not in sql  # values travel as parameters, never as SQL text
    if query.circle is not None:
        assert -90 <= query.circle.latitude <= 90 and 0 <= query.circle.radius_km <= MAX_RADIUS_KM


def test_sql_binds_every_value() -> None:
    sql, args = to_sql(parse_query(PAGE_QUERY))
    assert "34.136" not in sql and "117.775" not in sql and "2018" not in sql
    assert args["lat"] == 34.136 and args["lon"] == -117.775 and args["radius"] == 250.0
    assert args["minmagnitude"] == 1.0 and args["limit"] == 1000
    assert sql.count("%(") == sql.count(")s")
    assert sql.endswith("ORDER BY time DESC, id LIMIT %(limit)s")


@pytest.mark.parametrize("order,text", [
    ("time-asc", "time ASC"), ("magnitude", "magnitude DESC"), ("magnitude-asc", "magnitude ASC"),
])
def test_orders(order: str, text: str) -> None:
    sql, _ = to_sql(parse_query(q(orderby=order)))
    assert f"ORDER BY {text}, id" in sql
    assert "WHERE" not in sql


def test_distance() -> None:
    assert distance_km(34.136, -117.775, 34.136, -117.775) == 0
    # Los Angeles City Hall to San Francisco City Hall: about 559 km.
    assert 555 < distance_km(34.0537, -118.2427, 37.7793, -122.4193) < 563
    assert math.isclose(distance_km(0, 0, 0, 180), math.pi * 6371.0088, rel_tol=1e-9)


def test_feature_and_collection() -> None:
    row = ("ci1", datetime(2018, 8, 29, 2, 33, 28, tzinfo=UTC), 34.136, -117.775, 5.5, 4.4, "mw",
           "4km N of La Verne, CA", "reviewed", "ci", False)
    f = feature(row)
    assert f["id"] == "ci1"
    assert f["geometry"] == {"type": "Point", "coordinates": [-117.775, 34.136, 5.5]}
    props = f["properties"]
    assert props["time"] == 1535510008000 and props["title"] == "M 4.4 - 4km N of La Verne, CA"  # type: ignore[index]
    fc = feature_collection([row, row], "/ws/designmaps/query", datetime(2020, 1, 1, tzinfo=UTC))
    assert fc["type"] == "FeatureCollection" and fc["metadata"]["count"] == 2  # type: ignore[index]
