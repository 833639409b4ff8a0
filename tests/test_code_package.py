"""Remote steps run the package source of their own run, not a copy baked into the image.

Checked offline, the way a Kubernetes pod does it. The pod's image is a venv built like the
Dockerfile builds one: from the build context `.dockerignore` leaves, by the Dockerfile's own
`uv sync` command, so it holds the third-party libraries and not the project. The pod
downloads its run's code package from the S3 datastore (moto on 127.0.0.1), unpacks it into an
empty folder and runs the flow's start step from there, with the environment and commands
Metaflow gives the start container of an Argo workflow.
"""

import hashlib
import json
import os
import re
import secrets
import shlex
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import dockerfile
import pytest
from docker.utils.build import exclude_paths

from bake import bake, installable, run, uv

pytestmark = pytest.mark.slow

FLOW = "flows/model_selection.py"
CONFIG = "configs/smoke.toml"
# The one-line edit a user makes under src/ after installing: the provenance summary.
EDIT = ("f\"{info['package']} ", "f\"(edited) {info['package']} ")
# What Metaflow gives every remote task: read the flow's config from the code package.
REMOTE_CONFIG = json.dumps({"tournament": "kv.tournament"})

# Run with the installed project: what a local user sees of a run.
INSPECT = """
import json, sys
from metaflow import Run, namespace

namespace(None)
run = Run(sys.argv[1])
model = run.data.model
rows = run.data.test_data
print(json.dumps({
    "pathspec": run.pathspec,
    "successful": run.successful,
    "code_url": run.code.path,
    "script": run.code.info["script"],
    "provenance": run["start"].task.data.provenance,
    "model_location": run["end"].task.artifacts.model._object["location"],
    "predictions": model.predict(rows[list(model.feature_names_in_)]).tolist(),
}, default=str))
"""

START_TASK = """
import json, sys
from metaflow import Task, namespace

namespace(None)
task = Task(sys.argv[1])
print(json.dumps({"successful": task.successful, "provenance": task.data.provenance}))
"""

# Run in the pod from its unpacked code package: the model unpickles only where the package
# it was built with imports, and here that is the package of the code package.
SCORE = """
import json, sys
from metaflow import Run, namespace

import {package}
from {package} import provenance

namespace(None)
run = Run(sys.argv[1])
model = run.data.model
rows = run.data.test_data
print(json.dumps({{
    "package_file": {package}.__file__,
    "summary": provenance.summary(),
    "predictions": model.predict(rows[list(model.feature_names_in_)]).tolist(),
}}, default=str))
"""


def last_json(result):
    return json.loads(result.stdout.strip().splitlines()[-1])


def package_of(project):
    (package,) = [path.name for path in (project.path / "src").iterdir() if path.is_dir()]
    return package


def shipped_sha256(job_tar, package):
    """Hash the package's .py files in the code package as the module docstring of
    provenance.py says: sha256 of the `sha256sum` listing, sorted by path."""
    with tarfile.open(job_tar) as archive:
        members = sorted(
            (
                member
                for member in archive.getmembers()
                if member.isfile()
                and member.name.startswith(f"{package}/")
                and member.name.endswith(".py")
            ),
            key=lambda member: member.name,
        )
        listing = "".join(
            f"{hashlib.sha256(archive.extractfile(member).read()).hexdigest()}  {member.name}\n"
            for member in members
        )
    return hashlib.sha256(listing.encode()).hexdigest()


# --- The image: the third-party libraries, not the project ----------------------------------


@pytest.fixture(scope="session")
def image_python(tmp_path_factory):
    """A venv built as the image is: the Dockerfile's `uv sync`, run on its build context."""
    root = tmp_path_factory.mktemp("image")
    project = bake(root / "project", **installable({})).path
    # What a user does once, and commits.
    run([uv(), "lock", "--quiet"], cwd=project)
    patterns = [
        line.strip()
        for line in (project / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    context = root / "context"
    for relative in exclude_paths(str(project), patterns):
        if (project / relative).is_file():
            (context / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(project / relative, context / relative)

    stage = []
    for instruction in dockerfile.parse_file(str(project / "Dockerfile")):
        stage = [] if instruction.cmd == "FROM" else stage
        stage.append(instruction)
        if instruction.cmd == "RUN" and "uv sync" in instruction.value[0]:
            break  # the build stage, up to its install
    env = {key: value for key, value in os.environ.items() if not key.startswith("UV_")}
    for instruction in stage:
        if instruction.cmd == "ENV":
            env.update(zip(instruction.value[::2], instruction.value[1::2], strict=True))
    # The base image's Python is this interpreter here, and the venv goes to a folder of ours.
    env.update(UV_PROJECT_ENVIRONMENT=str(root / "venv"), UV_PYTHON=sys.executable)
    command = shlex.split(stage[-1].value[0])
    assert command[:2] == ["uv", "sync"], stage[-1].original
    # Bytecode is written as the pods import, not compiled ahead: quicker for a few imports.
    env.pop("UV_COMPILE_BYTECODE", None)
    run([uv(), *command[1:], "--quiet", "--no-compile-bytecode"], cwd=context, env=env)
    return root / "venv" / "bin" / "python"


def installed(python):
    """Name every distribution installed in the venv of this interpreter."""
    result = run([uv(), "pip", "freeze", "--python", python], cwd=Path(python).parent)
    return {re.split(r"[=@ ]", line, maxsplit=1)[0] for line in result.stdout.splitlines()}


# --- A pod ----------------------------------------------------------------------------------


class Pod:
    """A code package unpacked into an empty folder, run with the image's venv as a pod does."""

    def __init__(self, folder, image_python, s3, job_tar):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True)
        self.root = s3.root
        # The pod's own command for it.
        run(["tar", "-xzf", job_tar, "-C", self.folder], cwd=self.folder)
        self.env = {
            **s3.env,
            "PATH": os.pathsep.join([str(Path(image_python).parent), "/usr/bin", "/bin"]),
            "HOME": str(self.folder),
            "USERNAME": "tournament",
            "PYTHONUNBUFFERED": "1",
            # Exported after unpacking: Metaflow itself comes from the code package too.
            "PYTHONPATH": str(self.folder / ".mf_code"),
            "METAFLOW_EXTRACTED_ROOT": str(self.folder),
            "METAFLOW_FLOW_CONFIG_VALUE": REMOTE_CONFIG,
            "METAFLOW_CLIENT_CACHE_PATH": f"{self.folder}-client-cache",
            "METAFLOW_HOME": f"{self.folder}-metaflow-home",
        }

    def python(self, *arguments):
        """Run python in the pod's folder; return the finished process, failed or not."""
        return subprocess.run(
            ["python", *arguments],
            cwd=self.folder,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )

    def checked(self, *arguments):
        result = self.python(*arguments)
        if result.returncode != 0:
            pytest.fail(f"python {arguments[:3]} in the pod failed:\n{result.stderr[-10000:]}")
        return result

    def start(self, script):
        """Run `init` and the start step, as Argo's start container does; return the task's
        pathspec and the first failed process, if any."""
        # Not numbers, as in Argo: a task with a numeric id must have been registered already.
        run_id, task_id = f"pod-{secrets.token_hex(4)}", f"t-{secrets.token_hex(4)}"
        pathspec = f"ModelSelectionFlow/{run_id}/start/{task_id}"
        options = [
            "--quiet",
            "--metadata=local",
            "--environment=local",
            "--datastore=s3",
            f"--datastore-root={self.root}",
            "--no-pylint",
        ]
        init = self.python(script, *options, "init", "--run-id", run_id, "--task-id", "params")
        if init.returncode != 0:
            return pathspec, init
        step = self.python(
            script,
            *options,
            "step",
            "start",
            "--run-id",
            run_id,
            "--task-id",
            task_id,
            "--retry-count",
            "0",
            "--max-user-code-retries",
            "0",
            "--input-paths",
            f"{run_id}/_parameters/params",
        )
        return pathspec, (step if step.returncode != 0 else None)


def start_in_pod(pod, project, s3, script):
    """Run the start step in the pod; return what it recorded."""
    pathspec, failed = pod.start(script)
    if failed is not None:
        pytest.fail(f"the pod's start step failed:\n{failed.stderr[-10000:]}")
    task = last_json(project.run("python", "-c", START_TASK, pathspec, env=s3.env))
    assert task["successful"]
    return task["provenance"]


# --- Runs and deployments on the S3 datastore ------------------------------------------------


@pytest.fixture(scope="module")
def cloud(installed_project, s3_datastore):
    """The default project with the `cloud` extra, and the S3 datastore its runs use."""
    return installed_project(extras=("dev", "cloud")), s3_datastore


@pytest.fixture(scope="module")
def first_run(cloud, tmp_path_factory):
    """The smoke tournament on the S3 datastore, with its code package uploaded."""
    project, s3 = cloud
    run_id_file = tmp_path_factory.mktemp("first-run") / "run-id"
    env = {
        **s3.env,
        # Upload the code package and record it on the run, as a `--with kubernetes` run does.
        "METAFLOW_FEAT_ALWAYS_UPLOAD_CODE_PACKAGE": "1",
    }
    project.run(
        *("python", FLOW, "--no-pylint", "--config", "tournament", CONFIG),
        *("run", "--run-id-file", run_id_file),
        env=env,
    )
    pathspec = f"ModelSelectionFlow/{run_id_file.read_text().strip()}"
    return last_json(project.run("python", "-c", INSPECT, pathspec, env=s3.env))


def test_package_list_shows_the_package_source(cloud):
    """`package list`, the docs' way to see what remote tasks get, lists every module."""
    project, _ = cloud
    package = package_of(project)
    # Metaflow prints the list on stderr, one absolute path a line.
    listed = project.run("python", FLOW, "package", "list").stderr.splitlines()
    sources = project.path / "src" / package
    modules = {str(path) for path in sources.rglob("*.py")}
    assert modules <= set(listed)
    assert str(project.path / FLOW) in listed


def test_smoke_run_keeps_artifacts_and_code_package_in_s3(cloud, first_run):
    project, s3 = cloud
    assert first_run["successful"]
    assert first_run["model_location"].endswith(s3.root)
    assert first_run["code_url"].startswith(f"{s3.root}/ModelSelectionFlow/data/")
    run_id = first_run["pathspec"].split("/")[1]
    keys = s3.keys("metaflow/ModelSelectionFlow/")
    assert any(f"/{run_id}/" in key for key in keys), "no task metadata for the run in S3"
    local = Path(s3.env["METAFLOW_DATASTORE_SYSROOT_LOCAL"]) / ".metaflow"
    assert not (local / "ModelSelectionFlow" / "data").exists(), "artifacts went to local disk"


def test_remote_task_imports_the_package_from_its_code_package(
    cloud, first_run, image_python, tmp_path
):
    project, s3 = cloud
    package = package_of(project)
    assert project.path.name not in installed(image_python), "the image holds the project"

    job = s3.download(first_run["code_url"], tmp_path / "job.tar")
    with tarfile.open(job) as archive:
        shipped = {name for name in archive.getnames() if name.startswith(f"{package}/")}
    sources = project.path / "src"
    assert {p.relative_to(sources).as_posix() for p in sources.rglob("*.py")} <= shipped
    # The local run recorded the hash of exactly what its code package ships.
    recorded = first_run["provenance"]
    assert recorded["source_sha256"] == shipped_sha256(job, package)
    assert Path(recorded["location"]) == sources / package

    pod = Pod(tmp_path / "pod", image_python, s3, job)
    remote = start_in_pod(pod, project, s3, first_run["script"])
    assert Path(remote["location"]) == pod.folder / package
    assert remote["source_sha256"] == recorded["source_sha256"]
    assert remote["version"] == recorded["version"]

    # The run's model unpickles and scores in the pod: its classes come from the package.
    scored = last_json(pod.checked("-c", SCORE.format(package=package), first_run["pathspec"]))
    assert Path(scored["package_file"]).parent == pod.folder / package
    assert scored["predictions"] == first_run["predictions"]


def test_without_package_sources_the_pod_cannot_import_the_package(
    cloud, first_run, image_python, tmp_path
):
    """The same pod fails when the flow lacks `@package_sources`: the check above can fail."""
    project, s3 = cloud
    package = package_of(project)
    flow = (project.path / FLOW).read_text()
    decorator = f'@package_sources("../src/{package}")\n'
    assert decorator in flow, "the flow does not ship its package"
    bare = project.path / "flows" / "model_selection_without_sources.py"
    bare.write_text(flow.replace(decorator, ""))
    try:
        job = tmp_path / "job.tar"
        project.run(
            *("python", bare.relative_to(project.path), "--no-pylint"),
            *("--config", "tournament", CONFIG, "package", "save", job),
            env=s3.env,
        )
    finally:
        bare.unlink()
    with tarfile.open(job) as archive:
        assert not [name for name in archive.getnames() if name.startswith(f"{package}/")]

    pod = Pod(tmp_path / "pod", image_python, s3, job)
    _, failed = pod.start(bare.name)
    assert failed is not None, "the start step ran without the package"
    assert f"ModuleNotFoundError: No module named '{package}'" in failed.stderr
    scored = pod.python("-c", SCORE.format(package=package), first_run["pathspec"])
    assert f"ModuleNotFoundError: No module named '{package}'" in scored.stderr


def test_an_edit_under_src_reaches_the_next_deployment_without_a_rebuild(
    cloud, first_run, image_python, tmp_path
):
    """Edit the package after installing it, deploy again, and the pod runs the edit."""
    project, s3 = cloud
    package = package_of(project)
    libraries = installed(image_python)
    module = project.path / "src" / package / "provenance.py"
    original = module.read_text()
    assert EDIT[0] in original
    module.write_text(original.replace(*EDIT))
    try:
        result = project.run(
            *("python", FLOW, "--no-pylint", "--config", "tournament", CONFIG),
            *("argo-workflows", "create", "--only-json"),
            env=s3.env,
        )
    finally:
        module.write_text(original)
    template = json.loads(result.stdout)
    (start,) = [t for t in template["spec"]["templates"] if t["name"] == "start"]
    env = {item["name"]: item.get("value") for item in start["container"]["env"]}
    # What the pod is told to download, in its command and in its environment.
    (bucket, key) = re.search(
        r'download_file\("([^"]+)", "([^"]+)", "job.tar"\)', start["container"]["command"][-1]
    ).groups()
    assert f"s3://{bucket}/{key}" == env["METAFLOW_CODE_URL"]
    assert env["METAFLOW_CODE_URL"] != first_run["code_url"]

    job = s3.download(env["METAFLOW_CODE_URL"], tmp_path / "job.tar")
    pod = Pod(tmp_path / "pod", image_python, s3, job)
    remote = start_in_pod(pod, project, s3, env["METAFLOW_FLOW_FILENAME"])
    assert remote["source_sha256"] == shipped_sha256(job, package)
    assert remote["source_sha256"] != first_run["provenance"]["source_sha256"]

    # Yesterday's model scores with today's code, and the edit shows.
    scored = last_json(pod.checked("-c", SCORE.format(package=package), first_run["pathspec"]))
    assert scored["summary"].startswith("(edited) ")
    assert scored["predictions"] == first_run["predictions"]
    assert installed(image_python) == libraries, "the image's venv changed"
