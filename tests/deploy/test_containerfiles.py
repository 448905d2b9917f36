"""The process images: deploy/containers/*.Containerfile, read with dockerfile-parse.

What a build would show late or never: a moving base image, a process running
as root, a secret in a layer, a COPY of a file that is missing or that the
.dockerignore keeps out of the context, a health check that needs curl.
"""

from __future__ import annotations

import io
import json
import re
import shlex
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Dict, List, Tuple, Type

import pytest
import tomli
from dockerfile_parse import DockerfileParser
from packaging.specifiers import SpecifierSet

from actions.settings import ActionSettings
from backend.settings import BackendSettings
from bot.settings import BotSettings
from lapor.settings import AppSettings

REPO_ROOT = Path(__file__).resolve().parents[2]
CONTAINERS = REPO_ROOT / "deploy" / "containers"
DOCKERIGNORE = REPO_ROOT / ".dockerignore"

# An exact CPython patch release of the slim Debian image, optionally pinned
# further by its digest: never `latest`, never a bare minor version.
EXACT_PYTHON = re.compile(r"^python:(?P<version>3\.\d+\.\d+)-slim-bookworm(@sha256:[0-9a-f]{64})?$")
SECRET_WORDS = ("TOKEN", "KEY", "SECRET", "PASSWORD")
NUMERIC_USER = re.compile(r"^(?P<uid>\d+)(:(?P<gid>\d+))?$")


@dataclass(frozen=True)
class Process:
    """What an image must run: its package (python -m) and where it listens."""

    package: str
    settings: Type[AppSettings]
    port_field: str

    @property
    def port(self) -> int:
        return int(self.settings.__fields__[self.port_field].default)

    @property
    def port_variable(self) -> str:
        return self.settings.env_name(self.port_field)


# One image per process package; the backend image also runs the migrations and
# the consumer, the bot image the trainer worker (other commands, same image).
PROCESSES: Dict[str, Process] = {
    "backend": Process("backend", BackendSettings, "port"),
    "actions": Process("actions", ActionSettings, "port"),
    "bot": Process("bot", BotSettings, "rasa_port"),
}

Instruction = Dict[str, object]


def containerfiles() -> List[Path]:
    return sorted(CONTAINERS.glob("*.Containerfile"))


@cache
def parsed(path: Path) -> DockerfileParser:
    # fileobj: the parser looks for a file named "Dockerfile" when given a path.
    return DockerfileParser(fileobj=io.BytesIO(path.read_bytes()))


def instructions(path: Path) -> List[Instruction]:
    """The file's instructions in order, comments left out."""
    return [i for i in parsed(path).structure if i["instruction"] != "COMMENT"]


def stages(path: Path) -> List[List[Instruction]]:
    """The instructions of each stage, its FROM first."""
    found: List[List[Instruction]] = []
    for instruction in instructions(path):
        if instruction["instruction"] == "FROM":
            found.append([])
        if found:
            found[-1].append(instruction)
    return found


def final_stage(path: Path) -> List[Instruction]:
    return stages(path)[-1]


def values(stage: List[Instruction], name: str) -> List[str]:
    return [str(i["value"]) for i in stage if i["instruction"] == name]


def exec_form(value: str) -> List[str]:
    """A JSON-array instruction argument (CMD, HEALTHCHECK CMD) as a list."""
    loaded = json.loads(value)
    assert isinstance(loaded, list) and all(isinstance(x, str) for x in loaded), value
    return loaded


def copy_sources(value: str) -> Tuple[List[str], bool]:
    """A COPY's sources, and whether they come from another stage."""
    words = exec_form(value) if value.lstrip().startswith("[") else shlex.split(value)
    flags = [w for w in words if w.startswith("--")]
    paths = [w for w in words if not w.startswith("--")]
    from_stage = any(f.startswith("--from=") for f in flags)
    return paths[:-1], from_stage


def process_of(path: Path) -> Process:
    return PROCESSES[path.name.removesuffix(".Containerfile")]


# --- .dockerignore --------------------------------------------------------------


def ignore_rules() -> List[Tuple[bool, re.Pattern[str]]]:
    """The .dockerignore's patterns in order, as (is an exception, regex)."""
    rules = []
    for raw in DOCKERIGNORE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pattern = line.lstrip("!").strip("/")
        rules.append((negate, re.compile(_glob_regex(pattern))))
    return rules


def _glob_regex(pattern: str) -> str:
    # Docker's matching: * and ? stay within one path element, ** spans any
    # number of them (none included).
    out = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return out


def ignored(relative: str) -> bool:
    """Whether the build context leaves out this path (a pattern that matches a
    folder leaves out everything in it; the last matching pattern decides)."""
    parts = relative.strip("/").split("/")
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    result = False
    for negate, regex in ignore_rules():
        if any(regex.fullmatch(c) for c in candidates):
            result = not negate
    return result


# --- the tests --------------------------------------------------------------------


def test_each_process_package_has_its_image() -> None:
    assert [p.name for p in containerfiles()] == sorted(
        f"{name}.Containerfile" for name in PROCESSES
    )


def test_the_ignore_file_is_one_docker_and_podman_both_read() -> None:
    # The context is the repository root; an ignore file beside the
    # Containerfiles would be read by neither engine.
    assert DOCKERIGNORE.is_file()
    assert not (CONTAINERS / ".dockerignore").exists()


@pytest.mark.parametrize(
    "path",
    [
        ".git/config",
        ".venv/bin/python",
        "var/lapor.sqlite3",
        "models/lapor-0123456789ab.tar.gz",
        "reports/widget-open.png",
        "tests/test_e2e.py",
        "backend/__pycache__/app.cpython-310.pyc",
        ".env",
        ".env.production",
        "backend/.env",
    ],
)
def test_the_build_context_leaves_out_local_state_tests_and_secrets(path: str) -> None:
    assert ignored(path)


@pytest.mark.parametrize(
    "path",
    ["backend/app.py", "bot/credentials.yml", "data/services.yml", "requirements.lock"],
)
def test_the_build_context_keeps_the_code_and_its_data(path: str) -> None:
    assert not ignored(path)


@pytest.mark.parametrize("path", containerfiles(), ids=lambda p: p.stem)
class TestEveryImage:
    def test_every_stage_starts_from_an_exact_python_release(self, path: Path) -> None:
        requires = tomli.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
        supported = SpecifierSet(requires["project"]["requires-python"])
        names: List[str] = []
        for stage in stages(path):
            words = str(stage[0]["value"]).split()
            words = [w for w in words if not w.startswith("--platform")]
            image = words[0]
            if len(words) == 3 and words[1].lower() == "as":
                names.append(words[2])
            if image in names[:-1]:  # an earlier stage of this file
                continue
            match = EXACT_PYTHON.match(image)
            assert match, f"{image}: pin an exact release such as python:3.10.16-slim-bookworm"
            assert match["version"] in supported, f"{image}: pyproject.toml wants {supported}"

    def test_every_process_image_runs_as_a_non_root_user(self, path: Path) -> None:
        stage = final_stage(path)
        kinds = [str(i["instruction"]) for i in stage]
        users = [i for i, kind in enumerate(kinds) if kind == "USER"]
        starts = [i for i, kind in enumerate(kinds) if kind in ("CMD", "ENTRYPOINT")]
        assert users and starts, "the final stage needs a USER and a CMD"
        # The last USER decides who runs the process; it must come before it
        # starts and be a number Kubernetes' runAsNonRoot can check.
        assert users[-1] < min(starts)
        user = NUMERIC_USER.match(str(stage[users[-1]]["value"]).strip())
        assert user, "USER must be numeric (uid or uid:gid)"
        assert int(user["uid"]) != 0
        assert user["gid"] is None or int(user["gid"]) != 0

    def test_every_image_starts_its_process_in_exec_form(self, path: Path) -> None:
        # Exec form: Python is PID 1 and receives SIGTERM itself (no shell between).
        command = exec_form(values(final_stage(path), "CMD")[-1])
        assert command[:3] == ["python", "-m", process_of(path).package]
        assert not values(final_stage(path), "ENTRYPOINT")

    def test_every_image_checks_its_own_health_without_curl(self, path: Path) -> None:
        checks = values(final_stage(path), "HEALTHCHECK")
        assert len(checks) == 1
        options, _, command = checks[0].partition("CMD ")
        assert "--interval=" in options and "--timeout=" in options
        program, flag, code = exec_form(command)
        assert (program, flag) == ("python", "-c")
        compile(code, "HEALTHCHECK", "exec")  # a typo would only show as "unhealthy"
        assert "urllib.request" in code
        # It asks the port the server listens on, as the process reads it.
        assert process_of(path).port_variable in code
        assert str(process_of(path).port) in code
        # Nor is either installed for it (comments aside: instructions only).
        used = " ".join(str(i["value"]) for i in instructions(path))
        assert not re.search(r"\b(curl|wget)\b", used)

    def test_no_image_bakes_in_a_secret(self, path: Path) -> None:
        for stage in stages(path):
            for instruction in stage:
                if instruction["instruction"] not in ("ENV", "ARG"):
                    continue
                value = str(instruction["value"])
                # NAME=value pairs, or the legacy `ENV NAME value` / a bare `ARG NAME`.
                names = re.findall(r"(?:^|\s)([A-Za-z_]\w*)=", value) or value.split()[:1]
                for name in names:
                    assert not any(word in name.upper() for word in SECRET_WORDS), name
            for value in values(stage, "COPY") + values(stage, "ADD"):
                sources, _ = copy_sources(value)
                for source in sources:
                    assert not re.search(r"(^|/)\.env($|\.)|\.(pem|key)$", source), source
                    assert source not in (".", "./"), "COPY of the whole context"

    def test_every_image_exposes_the_port_its_server_listens_on(self, path: Path) -> None:
        process = process_of(path)
        exposed = " ".join(values(final_stage(path), "EXPOSE")).split()
        assert exposed == [str(process.port)]
        # The image's own default agrees with the settings' default.
        assert parsed(path).envs.get(process.port_variable) == str(process.port)

    def test_every_image_carries_the_oci_labels(self, path: Path) -> None:
        labels = parsed(path).labels
        project = tomli.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
        assert labels["org.opencontainers.image.title"] == f"lapor-{process_of(path).package}"
        assert labels["org.opencontainers.image.licenses"] == project["project"]["license"]["text"]
        assert labels["org.opencontainers.image.source"].startswith("https://")

    def test_every_image_installs_the_locked_requirements(self, path: Path) -> None:
        runs = " ".join(values(instructions(path), "RUN"))
        assert re.search(r"pip install[^&]*-r \S*requirements\.lock", runs)
        assert re.search(r"pip install[^&]*-c \S*constraints\.txt", runs)

    def test_every_copied_file_exists_and_reaches_the_build(self, path: Path) -> None:
        copied = 0
        for value in values(instructions(path), "COPY") + values(instructions(path), "ADD"):
            sources, from_stage = copy_sources(value)
            if from_stage:
                continue
            for source in sources:
                assert (REPO_ROOT / source).exists(), f"{path.name}: COPY {source}: no such file"
                assert not ignored(source), f"{path.name}: COPY {source}: .dockerignore drops it"
                copied += 1
        assert copied >= 4  # the lock, the constraints, the shared core, the process

    def test_every_image_carries_its_process_and_the_shared_core(self, path: Path) -> None:
        copied = " ".join(values(final_stage(path), "COPY"))
        for package in ("lapor", process_of(path).package, "data"):
            assert re.search(rf"(^|\s){package}/?\s", copied), f"{package}/ is not copied"
