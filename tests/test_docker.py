"""The image recipe, checked without Docker: lint, what it installs for each set of answers, and
the build context `.dockerignore` leaves, which must hold what the install needs and no more.

The image carries the third-party libraries only: remote tasks import the project's package
from their run's code package (test_code_package.py runs one). The Dockerfile is read with
`dockerfile` (BuildKit's own parser), and the build context is computed with the Docker SDK's
`.dockerignore` matcher: neither is reimplemented here.
"""

import re
import shlex
import shutil
import subprocess
import sys

import dockerfile
import pytest
from docker.utils.build import exclude_paths

from bake import VARIANTS, bake, installable, run, tool, uv

UV_IMAGE = re.compile(r"ghcr\.io/astral-sh/uv:\d+\.\d+\.\d+")
# What a project folder holds once used: none of it may enter the build context.
LOCAL_STATE = [
    ".metaflow/ModelSelectionFlow/1/start/1/0.data.json",
    "results/1/summary.txt",
    ".venv/bin/python",
    ".env",
    ".git/config",
    "data.csv",
    "predictions/1.parquet",
    "src/{package}/__pycache__/config.cpython-311.pyc",
]


def stages(project):
    """The Dockerfile's build stages, each a list of instructions starting with its FROM."""
    parsed = []
    for instruction in dockerfile.parse_file(str(project.path / "Dockerfile")):
        if instruction.cmd == "FROM":
            parsed.append([])
        parsed[-1].append(instruction)
    return parsed


def env_of(stage):
    """Every variable the stage's ENV instructions set (later ones win, as in a build)."""
    settings = {}
    for instruction in stage:
        if instruction.cmd == "ENV":
            settings.update(zip(instruction.value[::2], instruction.value[1::2], strict=True))
    return settings


def uv_sync(stage):
    """The stage's one `uv sync` command line, split into words."""
    (command,) = [
        shlex.split(i.value[0]) for i in stage if i.cmd == "RUN" and "uv sync" in i.value[0]
    ]
    assert command[:2] == ["uv", "sync"], command
    return command


def package_of(project):
    (package,) = [path.name for path in (project.path / "src").iterdir() if path.is_dir()]
    return package


@pytest.fixture(scope="module", params=list(VARIANTS), ids=list(VARIANTS))
def docker_project(request, tmp_path_factory):
    return bake(tmp_path_factory.mktemp("docker"), **VARIANTS[request.param])


def test_dockerfile_passes_hadolint(docker_project):
    result = docker_project.run(tool("hadolint"), "--failure-threshold", "style", "Dockerfile")
    assert result.stdout.strip() == ""


def test_dockerfile_matches_the_answers(docker_project):
    answers = docker_project.answers
    uv_stage, build, final = stages(docker_project)
    assert UV_IMAGE.fullmatch(uv_stage[0].value[0]), "pin the uv image to a release"
    python = f"python:{answers['python_version']}-slim"
    assert [build[0].value[0], final[0].value[0]] == [python, python]

    # The build stage installs the locked third-party libraries, and never the project.
    command = uv_sync(build)
    for flag in ("--locked", "--no-install-project", "--no-dev"):
        assert flag in command, flag
    extras = {command[i + 1] for i, word in enumerate(command) if word == "--extra"}
    pyproject = docker_project.read("pyproject.toml")
    assert extras == {"cloud"}
    assert re.search(r"^cloud = \[", pyproject, flags=re.MULTILINE)
    copied = [i for stage in (build, final) for i in stage if i.cmd in ("COPY", "ADD")]
    sources = [source for i in copied if not i.flags for source in i.value[:-1]]
    assert sources == ["pyproject.toml", "uv.lock"], "only the dependency list goes in"
    build_env = env_of(build)
    assert build_env["UV_COMPILE_BYTECODE"] == "1", "bytecode is not compiled at build time"
    venv = build_env["UV_PROJECT_ENVIRONMENT"]

    # The final stage takes that venv alone, and runs as a named user, not root.
    taken = [i for i in final if i.cmd == "COPY" and i.flags]
    assert [(i.flags, i.value) for i in taken] == [(("--from=build",), (venv, venv))]
    users = [i.value[0] for i in final if i.cmd == "USER"]
    assert users, "the image runs as root"
    assert users[-1].split(":")[0] not in ("root", "0")
    env = env_of(final)
    assert env["PATH"].startswith(f"{venv}/bin:")
    assert env["USERNAME"] not in ("", "root")
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        assert env[name] == "1", name
    assert env["METAFLOW_SKIP_INSTALL_DEPENDENCIES"] == "1"
    keras = answers["neural_net"] == "keras"
    assert env.get("KERAS_BACKEND") == ("jax" if keras else None)

    # `docker run <image>` checks the libraries, and must not look for the package.
    (cmd,) = [i for i in final if i.cmd == "CMD"]
    assert cmd.json, "CMD in exec form"
    imported = re.search(r"import ([\w, ]+);", cmd.value[-1]).group(1).split(", ")
    assert {"metaflow", "sklearn", "lightgbm", "boto3"} <= set(imported)
    assert ("keras" in imported) == keras
    assert package_of(docker_project) not in imported


def test_build_context_holds_what_the_install_needs(docker_project, tmp_path):
    """What .dockerignore lets in is pyproject.toml and uv.lock, and the Dockerfile's own
    install command succeeds on exactly that, with the libraries the answers call for."""
    # The lock needs an interpreter the project accepts: this one.
    project = bake(tmp_path / "project", **installable(docker_project.answers))
    run([uv(), "lock", "--quiet"], cwd=project.path)
    for name in LOCAL_STATE:
        path = project.path / name.format(package=package_of(project))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("local state\n")

    patterns = [
        line.strip()
        for line in project.read(".dockerignore").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    context = {
        path for path in exclude_paths(str(project.path), patterns) if project.has_file(path)
    }
    # Docker always sends the Dockerfile and .dockerignore; COPY cannot reach them.
    assert context == {"Dockerfile", ".dockerignore", "pyproject.toml", "uv.lock"}
    _, build, _ = stages(project)
    for instruction in build:
        if instruction.cmd == "COPY" and not instruction.flags:
            assert set(instruction.value[:-1]) <= context, instruction.original

    folder = tmp_path / "context"
    folder.mkdir()
    for name in context:
        shutil.copy2(project.path / name, folder / name)
    env = {**env_of(build), "UV_PROJECT_ENVIRONMENT": str(tmp_path / "venv")}
    env.pop("UV_COMPILE_BYTECODE")  # a dry run compiles nothing; the flag would be refused
    result = subprocess.run(
        [uv(), *uv_sync(build)[1:], "--dry-run", "--python", sys.executable],
        cwd=folder,
        env={**project.environment(), **env},
        capture_output=True,
        text=True,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    planned = set(re.findall(r"^ \+ ([A-Za-z0-9_.-]+)", output, flags=re.MULTILINE))
    assert {"metaflow", "scikit-learn", "lightgbm", "pandas", "boto3"} <= planned, planned
    keras = project.answers["neural_net"] == "keras"
    assert ({"keras", "jax"} <= planned) == keras
    assert not {"pytest", "ruff", "nox"} & planned, "development tools in the image"
    assert project.path.name not in planned, "the project is installed in the image"
