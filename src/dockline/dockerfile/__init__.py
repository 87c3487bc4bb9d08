"""Dockerfile understanding: a BuildKit-exact parser, a typed model and semantics.

* :mod:`dockline.dockerfile.model` -- the frozen dataclasses (Dockerfile, Instruction, ...).
* :mod:`dockline.dockerfile.parser` -- ``parse(text, path) -> Dockerfile``.
* :mod:`dockline.dockerfile.semantic` -- stages, ARG scoping, variable expansion.

No heavy imports here: the linter must start fast.
"""
