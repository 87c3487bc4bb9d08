"""Cluster: Raft quorum maths, swarm nodes and their labels, placement checks, the test lab.

Everything here is pure (models in, models out) except :mod:`dockline.cluster.lab`,
which drives the docker-in-docker test lab through :class:`dockline.engine.Engine`.
"""
