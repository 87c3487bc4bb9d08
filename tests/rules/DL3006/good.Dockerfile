# hadolint flags both FROMs (hadolint#339): the image comes from an ARG default,
# and `build` is a stage, not an image.
ARG BASE_IMAGE=debian:12.7
FROM ${BASE_IMAGE} AS build
RUN echo build
FROM build
