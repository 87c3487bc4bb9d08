"""Building and verifying images: ``dockline build`` (build args, target, OCI labels from
git) and ``dockline verify`` (run the image until its HEALTHCHECK decides)."""
