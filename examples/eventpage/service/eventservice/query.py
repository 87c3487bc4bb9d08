"""Parse and validate the nearby-seismicity query (pure; no I/O).

The parameters follow the FDSN event web service (and ComCat's extension
``maxradiuskm``): ``starttime``, ``endtime``, ``latitude``, ``longitude``,
``maxradiuskm``, ``minmagnitude``, ``limit``, ``orderby``, ``format``. Anything else,
a repeated parameter, an unparsable or out-of-range value is a :class:`QueryError`
that the web layer answers with 400 and a JSON body naming the parameter.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

EARTH_RADIUS_KM = 6371.0088  # mean radius (IUGG)
MAX_RADIUS_KM = 20001.6  # half the circumference: everything
DEFAULT_LIMIT = 1000
MAX_LIMIT = 20000
ORDERS = ("time", "time-asc", "magnitude", "magnitude-asc")
ALLOWED = frozenset(
    {
        "starttime",
        "endtime",
        "latitude",
        "longitude",
        "maxradiuskm",
        "minmagnitude",
        "limit",
        "orderby",
        "format",
    }
)
_ISO = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?(Z|[+-]\d{2}:\d{2})?$"
)
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


class QueryError(ValueError):
    """A parameter is wrong. ``parameter`` names it (``None``: the query as a whole)."""

    def __init__(self, message: str, parameter: str | None = None):
        super().__init__(message)
        self.message = message
        self.parameter = parameter

    def as_json(self) -> dict[str, object]:
        """The body of the 400 answer."""
        body: dict[str, object] = {"error": {"code": 400, "message": self.message}}
        if self.parameter is not None:
            body["error"]["parameter"] = self.parameter  # type: ignore[index]
        return body


@dataclass(frozen=True)
class Circle:
    """A search area: centre and radius."""

    latitude: float
    longitude: float
    radius_km: float


@dataclass(frozen=True)
class NearbyQuery:
    """A validated query."""

    starttime: datetime | None
    endtime: datetime | None
    circle: Circle | None
    minmagnitude: float | None
    limit: int
    orderby: str


def parse_time(name: str, value: str) -> datetime:
    """ISO 8601 date or date-time; naive times are UTC (as in FDSN)."""
    m = _ISO.match(value.strip())
    if not m:
        raise QueryError(f"{name} should be an ISO 8601 time like 2018-08-29T02:33:28Z", name)
    year, month, day, hour, minute, second, frac, zone = m.groups()
    try:
        moment = datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            int((frac or "0").ljust(6, "0")),
        )
    except ValueError:
        raise QueryError(f"{name} is not a valid date", name) from None
    if zone in (None, "Z"):
        return moment.replace(tzinfo=UTC)
    try:
        return datetime.fromisoformat(moment.isoformat() + zone).astimezone(UTC)
    except ValueError:
        raise QueryError(f"{name} has an invalid UTC offset", name) from None


def parse_number(name: str, value: str, low: float, high: float) -> float:
    """A finite decimal within [low, high] (no exponents, no nan/inf)."""
    text = value.strip()
    if not _NUMBER.match(text):
        raise QueryError(f"{name} should be a number", name)
    number = float(text)
    if not low <= number <= high:
        raise QueryError(f"{name} should be between {low:g} and {high:g}", name)
    return number


def parse_query(params: Mapping[str, Sequence[str]]) -> NearbyQuery:
    """``urllib.parse.parse_qs``-style mapping -> :class:`NearbyQuery` (or QueryError)."""
    unknown = sorted(set(params) - ALLOWED)
    if unknown:
        raise QueryError(f"unknown parameter {unknown[0]!r}", unknown[0])
    single: dict[str, str] = {}
    for name, values in params.items():
        if len(values) != 1:
            raise QueryError(f"{name} is given more than once", name)
        single[name] = values[0]

    fmt = single.get("format", "geojson")
    if fmt != "geojson":
        raise QueryError("format should be geojson", "format")
    start = parse_time("starttime", single["starttime"]) if "starttime" in single else None
    end = parse_time("endtime", single["endtime"]) if "endtime" in single else None
    if start is not None and end is not None and end <= start:
        raise QueryError("endtime should be after starttime", "endtime")

    circle_params = [p for p in ("latitude", "longitude", "maxradiuskm") if p in single]
    circle = None
    if circle_params:
        for needed in ("latitude", "longitude"):
            if needed not in single:
                raise QueryError(f"{needed} is required with {', '.join(circle_params)}", needed)
        circle = Circle(
            latitude=parse_number("latitude", single["latitude"], -90.0, 90.0),
            longitude=parse_number("longitude", single["longitude"], -180.0, 180.0),
            radius_km=(
                parse_number("maxradiuskm", single["maxradiuskm"], 0.0, MAX_RADIUS_KM)
                if "maxradiuskm" in single
                else MAX_RADIUS_KM
            ),
        )
    minmag = (
        parse_number("minmagnitude", single["minmagnitude"], -2.0, 10.0)
        if "minmagnitude" in single
        else None
    )
    limit = DEFAULT_LIMIT
    if "limit" in single:
        if not single["limit"].isdigit():
            raise QueryError("limit should be a whole number", "limit")
        limit = int(single["limit"])
        if not 1 <= limit <= MAX_LIMIT:
            raise QueryError(f"limit should be between 1 and {MAX_LIMIT}", "limit")
    orderby = single.get("orderby", "time")
    if orderby not in ORDERS:
        raise QueryError(f"orderby should be one of {', '.join(ORDERS)}", "orderby")
    return NearbyQuery(start, end, circle, minmag, limit, orderby)


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine), the same formula the SQL uses."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


_ORDER_SQL = {
    "time": "time DESC",
    "time-asc": "time ASC",
    "magnitude": "magnitude DESC",
    "magnitude-asc": "magnitude ASC",
}


def to_sql(query: NearbyQuery) -> tuple[str, dict[str, object]]:
    """The SELECT for a query, with named parameters (psycopg ``%(name)s``).

    Only fixed text is concatenated (the ORDER BY comes from a closed table);
    every value travels as a bound parameter.
    """
    where: list[str] = []
    args: dict[str, object] = {}
    if query.starttime is not None:
        where.append("time >= %(starttime)s")
        args["starttime"] = query.starttime
    if query.endtime is not None:
        where.append("time <= %(endtime)s")
        args["endtime"] = query.endtime
    if query.minmagnitude is not None:
        where.append("magnitude >= %(minmagnitude)s")
        args["minmagnitude"] = query.minmagnitude
    if query.circle is not None:
        where.append(
            "2 * %(earth_radius)s * asin(least(1.0, sqrt("
            "power(sin(radians(latitude - %(lat)s) / 2), 2) + "
            "cos(radians(%(lat)s)) * cos(radians(latitude)) * "
            "power(sin(radians(longitude - %(lon)s) / 2), 2)))) <= %(radius)s"
        )
        args.update(
            earth_radius=EARTH_RADIUS_KM,
            lat=query.circle.latitude,
            lon=query.circle.longitude,
            radius=query.circle.radius_km,
        )
    sql = (
        "SELECT id, time, latitude, longitude, depth_km, magnitude, mag_type, place, status, "
        "net, sample FROM events"
    )
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += f" ORDER BY {_ORDER_SQL[query.orderby]}, id LIMIT %(limit)s"
    args["limit"] = query.limit
    return sql, args


def feature(row: Sequence[object]) -> dict[str, object]:
    """One database row -> a GeoJSON Feature shaped like ComCat's summary format."""
    (id_, time, lat, lon, depth, mag, mag_type, place, status, net, sample) = row
    assert isinstance(time, datetime)
    title = f"M {float(mag):.1f} - {place}"  # type: ignore[arg-type]
    return {
        "type": "Feature",
        "id": id_,
        "properties": {
            "mag": mag,
            "magType": mag_type,
            "place": place,
            "time": int(time.timestamp() * 1000),
            "status": status,
            "net": net,
            "title": title,
            "type": "earthquake",
            "sample": bool(sample),
        },
        "geometry": {"type": "Point", "coordinates": [lon, lat, depth]},
    }


def feature_collection(
    rows: Sequence[Sequence[object]], url: str, generated: datetime
) -> dict[str, object]:
    """The answer: a FeatureCollection with FDSN-like metadata."""
    features = [feature(r) for r in rows]
    return {
        "type": "FeatureCollection",
        "metadata": {
            "generated": int(generated.timestamp() * 1000),
            "url": url,
            "title": "dockline eventpage nearby seismicity (sample catalog)",
            "status": 200,
            "count": len(features),
        },
        "features": features,
    }
