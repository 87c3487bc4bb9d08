FROM debian:12
RUN echo one
RUN set -e; ./configure; make; make install
RUN echo two && echo three
RUN --mount=type=cache,target=/root/.cache echo three
