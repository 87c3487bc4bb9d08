FROM debian:12
RUN echo one
RUN echo two
