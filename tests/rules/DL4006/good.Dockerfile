FROM debian:12 AS a
RUN set -eo pipefail; curl -fsSL https://example.org/x | tar xz
FROM mcr.microsoft.com/windows/servercore:ltsc2022 AS win
SHELL ["powershell", "-Command"]
RUN Get-ChildItem | Select-Object Name
FROM debian:12
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN curl -fsSL https://example.org/x | tar xz
RUN echo "a|b" && echo 'c | d'
