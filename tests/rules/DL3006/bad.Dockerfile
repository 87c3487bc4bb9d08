ARG BASE_IMAGE=debian
FROM ${BASE_IMAGE} AS build
FROM ubuntu AS other
