-- Schema of the eventpage sample catalog (runs once, on the database's first start).
-- The service's role can log in only after the service sets its password from the
-- current swarm secret (see service/eventservice/db.py): no password lives here.
CREATE ROLE eventpage_ws LOGIN;

CREATE TABLE events (
    id         text PRIMARY KEY,
    time       timestamptz NOT NULL,
    latitude   double precision NOT NULL CHECK (latitude BETWEEN -90 AND 90),
    longitude  double precision NOT NULL CHECK (longitude BETWEEN -180 AND 180),
    depth_km   double precision NOT NULL,
    magnitude  double precision NOT NULL,
    mag_type   text NOT NULL,
    place      text NOT NULL,
    status     text NOT NULL CHECK (status IN ('automatic', 'reviewed', 'deleted')),
    net        text NOT NULL,
    sample     boolean NOT NULL
);
CREATE INDEX events_time ON events (time);
CREATE INDEX events_magnitude ON events (magnitude);

GRANT CONNECT ON DATABASE eventpage TO eventpage_ws;
GRANT USAGE ON SCHEMA public TO eventpage_ws;
GRANT SELECT ON events TO eventpage_ws;
