FROM mcr.microsoft.com/windows/servercore:ltsc2022
WORKDIR C:\\app
FROM debian:12
WORKDIR "/quoted path"
WORKDIR $HOME
