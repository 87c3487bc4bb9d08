FROM debian:12
COPY public.key /etc/app/
COPY . /src/
COPY --from=build /dist/app /app
