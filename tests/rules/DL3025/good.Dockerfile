FROM debian:12
HEALTHCHECK --interval=5s CMD curl -fs http://127.0.0.1/ || exit 1
CMD ["nginx", "-g", "daemon off;"]
