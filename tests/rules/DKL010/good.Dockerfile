FROM debian:12
WORKDIR /app
COPY scripts/ /app/scripts/
ENTRYPOINT ["/app/scripts/entrypoint.sh"]
