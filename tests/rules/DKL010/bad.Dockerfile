FROM debian:12
COPY trap-entrypoint.sh /entrypoint.sh
ENTRYPOINT ["/entrypoint.sh"]
