"""What a deploy would change: services created/updated/removed with the changed fields,
config/secret versions created or kept, images and their digests (``--dry-run``).

The field diff compares the resolved stack with the last recorded deploy (key paths such
as ``deploy.replicas``); a service that exists but has no record is compared by image.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dockline.stack.model import ObjectChange, Plan, ServiceChange
from dockline.swarm.model import STACK_NAMESPACE_LABEL
from dockline.swarm.protocols import PlanEngine


def diff_paths(old: Any, new: Any, path: str = "") -> list[str]:
    """Key paths whose values differ (pure)."""
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        out: list[str] = []
        for k in sorted(set(old) | set(new), key=str):
            sub = f"{path}.{k}" if path else str(k)
            if k not in old or k not in new:
                out.append(sub)
            else:
                out.extend(diff_paths(old[k], new[k], sub))
        return out
    return [] if old == new else [path or "(all)"]


def plan_services(stack: str, new_doc: Mapping[str, Any], live: Mapping[str, str],
                  previous_doc: Mapping[str, Any] | None) -> list[ServiceChange]:
    """Services to create/update/remove. ``live`` maps existing short service names to their
    image. Pure."""
    new = dict(new_doc.get("services") or {})
    old = dict((previous_doc or {}).get("services") or {})
    changes = []
    for svc, spec in new.items():
        image = str((spec or {}).get("image", ""))
        if svc not in live:
            changes.append(ServiceChange(svc, "create", (), image))
        elif svc in old:
            fields = tuple(diff_paths(old[svc], spec))
            changes.append(ServiceChange(svc, "update" if fields else "unchanged", fields, image))
        else:
            fields = ("image",) if live[svc] != image else ()
            changes.append(ServiceChange(svc, "update" if fields else "unchanged", fields, image))
    for svc in sorted(set(live) - set(new)):
        changes.append(ServiceChange(svc, "remove", (), live[svc]))
    return changes


def make_plan(engine: PlanEngine, stack: str, doc: Mapping[str, Any], versions: Sequence[Any],
              previous_doc: Mapping[str, Any] | None, *, resolve_registry: bool,
              warnings: Sequence[str] = ()) -> Plan:
    """Plan against the engine's current state (reads only)."""
    prefix = f"{stack}_"
    pinned = {s.name[len(prefix):]: s.image for s in engine.services(labels={STACK_NAMESPACE_LABEL: stack})
              if s.name.startswith(prefix)}
    live = {svc: image.split("@", 1)[0] for svc, image in pinned.items()}
    have = {c.name for c in engine.configs({"dockline.stack": stack})} | {
        s.name for s in engine.secrets({"dockline.stack": stack})}
    objects = tuple(ObjectChange(v.kind, v.key, v.name, "keep" if v.name in have else "create") for v in versions)
    rotated = {(o.kind, o.key) for o in objects if o.action == "create"}
    services = []
    for ch in plan_services(stack, doc, live, previous_doc):
        spec = (doc.get("services") or {}).get(ch.service) or {}
        extra = tuple(f"{kind}s.{ref}" for kind in ("config", "secret") for ref in _refs(spec, f"{kind}s")
                      if (kind, ref) in rotated and ch.action != "create")
        if extra:
            fields = tuple(dict.fromkeys((*ch.changed_fields, *extra)))
            ch = ServiceChange(ch.service, "update", fields, ch.image)
        digest = None
        if ch.image and ch.action != "remove":
            image = ch.image
            digest = engine.registry_digest(image) if resolve_registry else None
            moved = digest_moved(pinned.get(ch.service, ""), ch.image, digest)
            if moved and ch.action != "create":
                # the same tag names another image in the registry: the swarm will update to it
                ch = ServiceChange(ch.service, "update", tuple(dict.fromkeys((*ch.changed_fields, "image digest"))),
                                   ch.image)
            local = None if digest else engine.image(image)
            digest = digest or (local.digest if local is not None else None)
        services.append(ServiceChange(ch.service, ch.action, ch.changed_fields, ch.image, digest))
    return Plan(stack, tuple(services), objects, tuple(warnings))


def digest_moved(live_image: str, image: str, registry_digest: str | None) -> bool:
    """Whether a service running ``live_image`` (``repo:tag@sha256:...`` as the swarm pins
    it) would move to another image when ``image`` resolves to ``registry_digest``. Pure."""
    if not registry_digest or "@" not in live_image or "@" in image:
        return False
    name, _, pinned = live_image.partition("@")
    if ":" not in image.rsplit("/", 1)[-1]:
        image += ":latest"  # the swarm pins the tag it resolved
    return name == image and pinned != registry_digest


def _refs(spec: Mapping[str, Any], section: str) -> list[str]:
    return [str(r if isinstance(r, str) else (r or {}).get("source", "")) for r in spec.get(section) or []]
