FROM debian:12
COPY dist/app /usr/local/bin/app
COPY server.key /etc/app/
