"""The image side of runtime: the POSIX-sh entrypoint and probes, and the scaffold that
writes them into a build context (``dockline scaffold``)."""
