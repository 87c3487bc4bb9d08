"""dockline's test rig, kept out of the product: not under ``src/``, not in the wheel.

:mod:`dockline_testing.lab` runs a multi-node swarm on one machine (docker-in-docker) for
the ``lab``-marked integration tests, ``scripts/lab`` and ``bench/cluster.py``. It uses
dockline (its :class:`~dockline.engine.Engine`); dockline never imports it. pytest finds it
through ``[tool.pytest.ini_options] pythonpath``, the scripts by putting ``testing/`` on
``sys.path``.
"""
