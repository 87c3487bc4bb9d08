FROM debian:12 AS build
USER builder
FROM debian:12
CMD ["app"]
