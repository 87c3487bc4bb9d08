FROM debian:12
# found through PATH, like the official images' docker-entrypoint.sh
COPY path-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["server"]
