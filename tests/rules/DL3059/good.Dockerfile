FROM debian:12
RUN echo one
# a comment splits the sequence (hadolint #712)
RUN echo two
RUN --mount=type=cache,target=/root/.cache echo three
