FROM debian:12
ENTRYPOINT exec /app/run --port "$PORT"
CMD run --verbose
