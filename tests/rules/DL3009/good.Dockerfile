FROM debian:12 AS build
RUN apt-get update && apt-get install -y gcc
FROM debian:12
RUN --mount=type=cache,target=/var/lib/apt/lists apt-get update && apt-get install -y curl
