"""Images: one inspect (:class:`ImageInfo`), the registry's digest of a reference, list by
label, build, push, tag, import, remove."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import docker.utils

from dockline.engine.base import ApiBase
from dockline.engine.convert import image_info, label_filter
from dockline.engine.errors import NotFound, translate
from dockline.errors import BuildFailed, DocklineError, EngineError, UsageError
from dockline.swarm.model import ImageInfo


class ImagesMixin(ApiBase):
    """The image and build endpoints (docker-py's ``ImageApiMixin``, ``BuildApiMixin``)."""

    def image(self, ref: str) -> ImageInfo | None:
        """Inspect a local image; ``None`` when it is absent."""
        try:
            raw = self.call("the image inspect", self._api.inspect_image, ref)
        except NotFound:
            return None
        return image_info(raw)

    def registry_digest(self, ref: str) -> str | None:
        """The digest the registry resolves ``ref`` to (one bounded request); ``None`` when
        no registry answers."""
        try:
            raw = self.call("the registry lookup", self._api.inspect_distribution, ref)
            return str((raw.get("Descriptor") or {}).get("digest") or "") or None
        except Exception:  # noqa: BLE001 - no registry reachable is an answer, not an error
            return None

    def image_ids(self, labels: Mapping[str, str]) -> list[str]:
        """Ids of every local image (tagged or not) carrying ``labels``."""
        rows = self.call("the image list", self._api.images, all=True, filters=label_filter(labels) or None)
        return sorted({str(r["Id"]) for r in rows})

    def build(
        self,
        context: str,
        *,
        tag: str | None = None,
        dockerfile: str | None = None,
        buildargs: Mapping[str, str] | None = None,
        labels: Mapping[str, str] | None = None,
        target: str | None = None,
        on_line: Callable[[str], None] | None = None,
        rm: bool = True,
    ) -> str:
        """Build an image with the engine's builder; stream lines to ``on_line``.
        Returns the image id. Raises ``BuildFailed`` with the builder's message."""
        stream = self.call(
            "the image build",
            self._api.build,
            path=context,
            tag=tag,
            dockerfile=dockerfile,
            buildargs=dict(buildargs or {}),
            labels=dict(labels or {}),
            target=target,
            rm=rm,
            forcerm=True,
            decode=True,
        )
        image_id = None
        last: list[str] = []
        try:
            for chunk in stream:
                if "error" in chunk:
                    msg = str(chunk.get("error", "")).strip()
                    raise BuildFailed(f"build failed: {msg}", "\n".join(last[-10:]) or None)
                text = chunk.get("stream")
                if text:
                    for line in text.splitlines():
                        last.append(line)
                        if on_line:
                            on_line(line)
                aux = chunk.get("aux")
                if isinstance(aux, dict) and "ID" in aux:
                    image_id = aux["ID"]
        except DocklineError:
            raise
        except Exception as e:
            raise translate(e, "the image build") from e
        if image_id is None and tag:
            built = self.image(tag)
            image_id = built.id if built is not None else None
        if image_id is None:
            raise BuildFailed("build finished without an image id", "\n".join(last[-10:]) or None)
        return str(image_id)

    def push_image(self, ref: str, *, on_line: Callable[[str], None] | None = None) -> str:
        """Push ``ref`` (``registry/repo:tag``) to its registry with the engine's stored
        credentials; stream status lines to ``on_line``. Returns the manifest digest the
        registry reports. Raises ``EngineError`` with the registry's message."""
        repository, tag = docker.utils.parse_repository_tag(ref)
        if tag is not None and tag.startswith("sha256:"):
            raise UsageError(f"push {ref}: push a tag, not a digest", "name the image as REGISTRY/REPO:TAG")
        stream = self.call("the image push", self._api.push, repository, tag=tag or "latest", stream=True,
                           decode=True)
        digest = None
        try:
            for chunk in stream:
                if "error" in chunk or "errorDetail" in chunk:
                    msg = str(chunk.get("error") or (chunk.get("errorDetail") or {}).get("message") or "").strip()
                    raise EngineError(f"push of {ref} failed: {msg}",
                                      "is the registry reachable, and are you logged in (docker login)?")
                status = str(chunk.get("status") or "")
                if status and on_line and chunk.get("id") is None:
                    on_line(status)
                aux = chunk.get("aux")
                if isinstance(aux, dict) and aux.get("Digest"):
                    digest = str(aux["Digest"])
        except DocklineError:
            raise
        except Exception as e:
            raise translate(e, "the image push") from e
        if digest is None:
            raise EngineError(f"push of {ref} finished without a digest from the registry")
        return digest

    def tag_image(self, ref: str, repository: str, tag: str) -> None:
        self.call("the image tag", self._api.tag, ref, repository, tag)

    def remove_image(self, ref: str, force: bool = False) -> None:
        """Remove a local image; absent is fine."""
        try:
            self.call("the image removal", self._api.remove_image, ref, force=force)
        except NotFound:
            pass

    def import_image(self, tarball: str, repository: str, tag: str) -> None:
        self.call("the image import", self._api.import_image_from_file, tarball, repository=repository, tag=tag)
