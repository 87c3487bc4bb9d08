FROM debian:12
RUN echo one
# comments do not split the sequence (as in hadolint)
RUN echo two
