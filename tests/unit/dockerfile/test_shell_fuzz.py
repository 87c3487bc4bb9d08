"""Property tests: the shell parser never raises; linting and fixing generated
Dockerfiles never crash, and fixes settle into files that parse."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dockline.dockerfile.fixes import fix_text
from dockline.dockerfile.lint import lint_bytes
from dockline.dockerfile.shell import parse_script

SHELLISH = st.lists(
    st.sampled_from(list("ab $(){}[];|&<>'\"`\\\n#=*-~:") + ["case ", " in ", "esac", "if ", "then", "fi", "do",
                                                            "done", "<<EOF\n", "\nEOF\n", "$((", "${"]),
    max_size=40,
).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(SHELLISH)
def test_parse_script_never_raises(text: str) -> None:
    s = parse_script(text)
    for c in s.commands:
        assert c.pipe_index < c.pipe_length


WORDS = ["apt-get install curl", "apk add x", "pip install flask", "cd /x", "sudo make", "echo a | tee b",
         "wget u", "curl -O u", "useradd -u 1234567 a", "yum install y", "ln -s /bin/bash /bin/sh"]
INSTR = st.one_of(
    st.sampled_from(WORDS).map(lambda w: f"RUN {w}"),
    st.sampled_from(["CMD run --it", "CMD [\"a\"]", "ENTRYPOINT /e.sh", "WORKDIR rel", "WORKDIR /abs",
                     "MAINTAINER me", "ADD a.txt /b/", "USER root", "USER 10", "EXPOSE 80/TCP 99999",
                     "HEALTHCHECK CMD true", "STOPSIGNAL SIGFOO", "ENV A=1 B=$A", "ARG TOKEN",
                     "COPY --from=later /a /b", "FROM debian:12 AS later", "LABEL Bad_Key=1",
                     "ONBUILD RUN cd /x", "SHELL [\"powershell\", \"-c\"]"]),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(INSTR, max_size=8))
def test_lint_and_fix_generated_files(body: list[str]) -> None:
    text = "FROM debian\n" + "".join(line + "\n" for line in body)
    r = lint_bytes(text.encode(), "D")
    assert r.error is None
    out = fix_text(text, "D", unsafe=True)  # raises if fixes do not settle or break the file
    assert fix_text(out.text, "D", unsafe=True).applied == 0
