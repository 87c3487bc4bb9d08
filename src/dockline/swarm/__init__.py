"""What dockline knows about a swarm, without Docker: models, capability Protocols, waiters."""
