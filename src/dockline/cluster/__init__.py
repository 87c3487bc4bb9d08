"""Cluster: Raft quorum maths, swarm nodes and their labels, placement checks.

Pure functions on models (``dockline.swarm.model``), plus the bounded reads of
:mod:`dockline.cluster.live` behind a narrow engine Protocol. The docker-in-docker test lab
is not here: it is test tooling, in ``testing/dockline_testing/lab.py`` (not shipped).
"""
