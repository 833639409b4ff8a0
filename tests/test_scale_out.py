"""Scale-out, checked without a cluster: the image recipe, a run on an S3 datastore, and the
Argo Workflows and Airflow specs Metaflow compiles from the flow and its full config.

The S3 datastore is moto's server on 127.0.0.1, started in this process: nothing leaves the
machine. Argo and Airflow compilation upload the code package, so they need it too.
"""

import ast
import json
import os
import py_compile
import re
import shutil
import socket
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from conftest import render, run, tool, uv

FLOW = "flows/model_selection.py"
STEPS = ["start", "fit", "tournament", "winner", "evaluate", "fit_final", "report", "end"]
GRAPH = [
    "start",
    [["fit"]],
    "tournament",
    "winner",
    [["evaluate"], ["fit_final"]],
    "report",
    "end",
]
BUCKET = "tournament-datastore"
IMAGE = "registry.example.com/ml/model-tournament:1.2.3"
NAMESPACE = "ml-tournaments"
SERVICE_ACCOUNT = "tournament-runner"
MAX_WORKERS = 37
AWS_DUMMIES = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}

DOCKER_VARIANTS = {
    "default": {},
    "keras-python3.10": {"neural_net": "keras", "python_version": "3.10"},
    "python3.13-proprietary": {"python_version": "3.13", "license": "Proprietary"},
}


# --- Dockerfile ---------------------------------------------------------------------------


def instructions(dockerfile):
    """Parse a Dockerfile into (INSTRUCTION, arguments) pairs, joining continued lines."""
    parsed, pending = [], ""
    for line in dockerfile.read_text().splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):
            continue  # a comment inside a continued instruction
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        keyword, _, arguments = (pending + stripped).partition(" ")
        parsed.append((keyword.upper(), arguments.strip()))
        pending = ""
    assert not pending, f"{dockerfile}: the last instruction ends with a continuation"
    return parsed


def env_settings(parsed):
    """Every KEY=value set by ENV instructions (later ones win, as in a build)."""
    settings = {}
    for keyword, arguments in parsed:
        if keyword == "ENV":
            settings.update(re.findall(r"([A-Za-z_][A-Za-z0-9_]*)=(\S+)", arguments))
    return settings


def dockerignored(patterns, relative):
    """Whether Docker leaves `relative` out of the build context (last matching rule wins;
    a rule matching a parent folder applies to everything under it)."""

    def matches(pattern, path):
        regex = ""
        for token in re.split(r"(\*\*/|\*\*|\*|\?|\[[^]]*\])", pattern.strip("/")):
            if token.startswith("[") and token.endswith("]"):
                regex += token
            else:
                regex += {"**/": "(?:.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}.get(
                    token, re.escape(token)
                )
        return re.fullmatch(regex, path) is not None

    parts = relative.split("/")
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    excluded = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        body = pattern[1:] if negated else pattern
        if any(matches(body, candidate) for candidate in candidates):
            excluded = not negated
    return excluded


def ignore_patterns(project):
    lines = (project / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def hadolint():
    return tool("hadolint")


@pytest.fixture(scope="module", params=list(DOCKER_VARIANTS), ids=list(DOCKER_VARIANTS))
def docker_project(request, tmp_path_factory):
    answers = DOCKER_VARIANTS[request.param]
    project = render(tmp_path_factory.mktemp(f"docker-{request.param}"), **answers)
    return project, {"python_version": "3.11", "neural_net": "sklearn-mlp", **answers}


def test_dockerfile_passes_hadolint(docker_project):
    project, _ = docker_project
    result = run([hadolint(), "--failure-threshold", "style", "Dockerfile"], cwd=project)
    assert result.stdout.strip() == ""


def test_dockerfile_matches_the_answers(docker_project):
    project, answers = docker_project
    parsed = instructions(project / "Dockerfile")
    bases = [arguments.split()[0] for keyword, arguments in parsed if keyword == "FROM"]
    assert bases == [f"python:{answers['python_version']}-slim"] * 2

    installs = [a for k, a in parsed if k == "RUN" and "pip install" in a]
    assert len(installs) == 1
    extras = re.search(r"""["']?\.\[([a-z,]+)\]["']?""", installs[0])
    assert extras, f"the image must install the project from pyproject.toml: {installs[0]}"
    wanted = {"cloud"} | ({"keras"} if answers["neural_net"] == "keras" else set())
    assert set(extras.group(1).split(",")) == wanted
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert wanted <= set(pyproject["project"]["optional-dependencies"])
    assert "--no-cache-dir" in installs[0]
    compiled = "--compile" in installs[0].split() or any(
        keyword == "RUN" and "compileall" in arguments for keyword, arguments in parsed
    )
    assert compiled, "bytecode is not compiled at build time"

    users = [arguments for keyword, arguments in parsed if keyword == "USER"]
    assert users, "the image runs as root"
    assert users[-1].split(":")[0] not in ("root", "0")
    env = env_settings(parsed)
    assert env["USERNAME"] not in ("", "root")
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        assert env[name] == "1"
    assert env.get("KERAS_BACKEND") == ("jax" if answers["neural_net"] == "keras" else None)


def test_build_context_holds_what_the_image_copies(docker_project, tmp_path):
    """Every COPY source survives .dockerignore, and those files alone build the package."""
    project, _ = docker_project
    patterns = ignore_patterns(project)
    context = tmp_path / "context"
    for keyword, arguments in instructions(project / "Dockerfile"):
        if keyword != "COPY" or arguments.startswith("--from"):
            continue
        for source in arguments.split()[:-1]:
            path = project / source
            assert path.exists(), f"COPY {source}: not in the rendered project"
            files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
            for file in files:
                relative = file.relative_to(project).as_posix()
                assert not dockerignored(patterns, relative), f"{relative} is .dockerignored"
                (context / relative).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(file, context / relative)
    for unwanted in (
        ".metaflow/x",
        "results/run/summary.txt",
        ".venv/bin/python",
        "data.csv",
        "src/pkg/__pycache__/x.cpython-311.pyc",
    ):
        assert dockerignored(patterns, unwanted), f"{unwanted} would enter the build context"

    # This interpreter builds whatever the minimum version: only the packaging is under test.
    run(
        [
            uv(),
            "build",
            "--quiet",
            "--wheel",
            "--python",
            sys.executable,
            "--out-dir",
            tmp_path / "dist",
            context,
        ],
        cwd=tmp_path,
    )
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    package = next((project / "src").iterdir()).name
    names = zipfile.ZipFile(wheel).namelist()
    modules = {p.relative_to(project / "src").as_posix() for p in (project / "src").rglob("*.py")}
    assert modules <= set(names), f"{package}: modules missing from the wheel"


# --- S3 (moto), a run on it, and compiled deployments ------------------------------------------


@pytest.fixture(scope="module")
def s3_endpoint():
    """A moto S3 server on a free 127.0.0.1 port holding an empty bucket; stopped afterwards."""
    import boto3
    from moto.server import ThreadedMotoServer

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{port}"
        client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name=AWS_DUMMIES["AWS_DEFAULT_REGION"],
            aws_access_key_id=AWS_DUMMIES["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=AWS_DUMMIES["AWS_SECRET_ACCESS_KEY"],
        )
        client.create_bucket(Bucket=BUCKET)
        yield endpoint, client
    finally:
        server.stop()


@pytest.fixture(scope="module")
def cloud(installed_project, s3_endpoint, tmp_path_factory):
    """The default project with the `cloud` extra, and the environment for an S3 datastore."""
    endpoint, client = s3_endpoint
    project = installed_project(extras=("dev", "cloud"))
    env = {
        **AWS_DUMMIES,
        # Local metadata of its own: other tests share this project and its local datastore.
        "METAFLOW_DATASTORE_SYSROOT_LOCAL": str(tmp_path_factory.mktemp("s3-local-metadata")),
        "METAFLOW_DEFAULT_DATASTORE": "s3",
        "METAFLOW_DATASTORE_SYSROOT_S3": f"s3://{BUCKET}/metaflow",
        "METAFLOW_S3_ENDPOINT_URL": endpoint,
        "METAFLOW_S3_RETRY_COUNT": "0",
        "METAFLOW_DEFAULT_METADATA": "local",
        "METAFLOW_KUBERNETES_CONTAINER_IMAGE": IMAGE,
        "METAFLOW_KUBERNETES_NAMESPACE": NAMESPACE,
        "METAFLOW_KUBERNETES_SERVICE_ACCOUNT": SERVICE_ACCOUNT,
        # Nothing may reach a real AWS account or cluster, whatever the machine holds.
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "KUBECONFIG": os.devnull,
    }
    return project, env, client


def flow(config, *command):
    """The model-selection flow's command line with configs/<config>.toml."""
    return (
        "python",
        FLOW,
        "--no-pylint",
        "--config",
        "tournament",
        f"configs/{config}.toml",
        *command,
    )


def full_config(project):
    return tomllib.loads((project.path / "configs" / "full.toml").read_text())


def megabytes(quantity):
    """Kubernetes memory quantity as Metaflow writes it ("8192.0M") -> 8192.0."""
    assert quantity.endswith("M"), quantity
    return float(quantity[:-1])


PREDICT = """
import json, math
from metaflow import Flow
from {package}.config import load
from {package}.data import make_mock

run = Flow("ModelSelectionFlow").latest_successful_run
artifact = run["end"].task.artifacts.model._object
schema = run.data.feature_schema
config = load("configs/smoke.toml")["data"]
table = make_mock(config["task"], 12345, target=config["target"], **config.get("mock", {{}}))
predictions = run.data.model.predict(table[schema["columns"]])
print(json.dumps({{
    "run": run.pathspec,
    "datastore": artifact["ds_type"],
    "location": artifact["location"],
    "rows": len(table),
    "predictions": len(predictions),
    "finite": all(math.isfinite(float(p)) for p in predictions),
    "results_dir": run.data.results_dir,
}}))
"""


@pytest.mark.slow
def test_smoke_run_on_s3_datastore(cloud):
    project, env, client = cloud
    project.run(*flow("smoke", "run", "--max-workers", "2"), env=env)

    package = next((project.path / "src").iterdir()).name
    result = project.run("python", "-c", PREDICT.format(package=package), env=env)
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["datastore"] == "s3"
    assert found["location"].endswith(f"s3://{BUCKET}/metaflow")
    assert found["predictions"] == found["rows"] > 0
    assert found["finite"]

    run_id = found["run"].split("/")[1]
    keys = [
        item["Key"]
        for page in client.get_paginator("list_objects_v2").paginate(
            Bucket=BUCKET, Prefix="metaflow/ModelSelectionFlow/"
        )
        for item in page.get("Contents", [])
    ]
    assert any(key.startswith("metaflow/ModelSelectionFlow/data/") for key in keys)
    assert any(f"/{run_id}/" in key for key in keys), "no task metadata for the run in S3"
    local = Path(env["METAFLOW_DATASTORE_SYSROOT_LOCAL"]) / ".metaflow"
    assert not (local / "ModelSelectionFlow" / "data").exists(), "artifacts went to local disk"


@pytest.mark.slow
def test_argo_workflow_template_from_full_config(cloud):
    project, env, _ = cloud
    config = full_config(project)
    command = ("argo-workflows", "create", "--only-json", "--max-workers", str(MAX_WORKERS))
    result = project.run(*flow("full", *command), env=env)
    template = json.loads(result.stdout)
    assert template["kind"] == "WorkflowTemplate"
    metadata = template["metadata"]
    assert metadata["namespace"] == NAMESPACE
    annotations = metadata["annotations"]
    package = next((project.path / "src").iterdir()).name
    assert annotations["metaflow/project_name"] == package
    assert annotations["metaflow/flow_name"] == "ModelSelectionFlow"
    graph = json.loads(annotations["metaflow/dag"])["graph_structure"]
    assert graph == GRAPH
    # @schedule(weekly=True): Metaflow records the cron here and deploys a CronWorkflow from it.
    assert json.loads(annotations["metaflow/cron"])["schedule"] == "0 0 ? * SUN"

    spec = template["spec"]
    assert spec["parallelism"] == MAX_WORKERS
    templates = {t["name"]: t for t in spec["templates"]}
    dag = {task["name"]: task for task in templates["ModelSelectionFlow"]["dag"]["tasks"]}
    fan_out = [task for task in dag.values() if "withParam" in task]
    assert len(fan_out) == 1, "expected exactly one foreach fan-out"
    assert fan_out[0]["withParam"] == "{{tasks.start.outputs.parameters.num-splits}}"
    inner = templates[fan_out[0]["template"]]["dag"]["tasks"]
    assert [task["template"] for task in inner] == ["fit"]
    assert dag["tournament"]["depends"] == f"{fan_out[0]['name']}.Succeeded"

    # The refits are parallel branches of the winner, joined by the report.
    for refit in ("evaluate", "fit-final"):
        assert dag[refit]["depends"] == "winner.Succeeded", refit
    assert set(dag["report"]["depends"].split(" && ")) == {
        "evaluate.Succeeded",
        "fit-final.Succeeded",
    }

    # Argo names must be DNS labels: Metaflow writes step `fit_final` as `fit-final`.
    steps = {name: templates[name.replace("_", "-")] for name in STEPS}
    for name, step in steps.items():
        assert step["container"]["image"] == IMAGE, name
        assert step["serviceAccountName"] == SERVICE_ACCOUNT, name
    for name, section in (("fit", "fit"), ("evaluate", "refit"), ("fit_final", "refit")):
        requests = steps[name]["container"]["resources"]["requests"]
        wanted = config["resources"][section]
        assert float(requests["cpu"]) == wanted["cpu"], name
        assert megabytes(requests["memory"]) == wanted["memory"], name
    retries = config["resources"]["fit"]["retries"]
    assert f"--max-user-code-retries {retries} " in steps["fit"]["container"]["command"][-1]
    assert steps["fit"]["retryStrategy"]["limit"] >= retries


@pytest.mark.slow
def test_readme_split_count_fits_max_num_splits(cloud):
    """The README's split-count command runs, and its --max-num-splits covers full.toml."""
    project, _, _ = cloud
    readme = (project.path / "README.md").read_text()
    (command,) = re.findall(r'^python -c "(.+contenders\.expand.+)"$', readme, flags=re.MULTILINE)
    splits = int(project.run("python", "-c", command).stdout.strip())
    config = full_config(project)
    assert config["run"]["fits_per_task"] == 1
    allowed = {int(n) for n in re.findall(r"--max-num-splits (\d+)", readme)}
    assert allowed, "the README gives no --max-num-splits"
    assert 100 < splits <= min(allowed)


@pytest.mark.slow
def test_airflow_dag_from_full_config(cloud, tmp_path):
    project, env, _ = cloud
    config = full_config(project)
    dag_file = tmp_path / "model_selection_dag.py"
    project.run(*flow("full", "airflow", "create", dag_file), env=env)
    py_compile.compile(str(dag_file), doraise=True)
    source = dag_file.read_text()
    (compiled,) = [
        node.value
        for node in ast.parse(source).body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "CONFIG"
    ]
    dag = ast.literal_eval(compiled)
    assert set(dag["states"]) == set(STEPS)
    assert dag["graph_structure"] == GRAPH
    assert dag["dag_instantiation_params"]["schedule_interval"] == "@weekly"
    fit = dag["states"]["fit"]
    assert fit["is_mapper_node"], "fit must be mapped over the foreach"
    arguments = fit["operator_args"]
    assert arguments["image"] == IMAGE
    assert arguments["namespace"] == NAMESPACE
    assert arguments["service_account_name"] == SERVICE_ACCOUNT
    assert float(arguments["resources"]["requests"]["cpu"]) == config["resources"]["fit"]["cpu"]
    assert (
        megabytes(arguments["resources"]["requests"]["memory"])
        == (config["resources"]["fit"]["memory"])
    )
    assert arguments["retries"] == config["resources"]["fit"]["retries"]
