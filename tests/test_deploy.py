"""Deployments, checked without a cluster: the Argo Workflows and Airflow specs Metaflow compiles
from the flow and its full config, and what they tell each pod to run.

Compiling uploads the code package, so the S3 datastore is moto's server on 127.0.0.1, started
in this process: nothing leaves the machine.
"""

import ast
import json
import py_compile
import re
import tarfile
import tomllib

import pytest

FLOW = "flows/model_selection.py"
STEPS = ["start", "fit", "tournament", "end"]
GRAPH = ["start", [["fit"]], "tournament", "end"]
IMAGE = "registry.example.com/ml/model-tournament:1.2.3"
NAMESPACE = "ml-tournaments"
SERVICE_ACCOUNT = "tournament-runner"
MAX_WORKERS = 37
EVENT = "metaflow-events"
# What a pod runs first: download the code package, unpack it, put its Metaflow on the path.
DOWNLOAD = re.compile(r'download_file\("([^"]+)", "([^"]+)", "job\.tar"\)')


@pytest.fixture(scope="module")
def cloud(installed_project, s3_datastore):
    """The default project with the `cloud` extra, and the environment of its deployments."""
    project = installed_project(extras=("dev", "cloud"))
    env = {
        **s3_datastore.env,
        "METAFLOW_KUBERNETES_CONTAINER_IMAGE": IMAGE,
        "METAFLOW_KUBERNETES_NAMESPACE": NAMESPACE,
        "METAFLOW_KUBERNETES_SERVICE_ACCOUNT": SERVICE_ACCOUNT,
        # What `metaflow configure kubernetes` asks for Argo Events (@trigger_on_finish).
        "METAFLOW_ARGO_EVENTS_EVENT": EVENT,
        "METAFLOW_ARGO_EVENTS_EVENT_BUS": "default",
        "METAFLOW_ARGO_EVENTS_EVENT_SOURCE": "argo-events-webhook",
        "METAFLOW_ARGO_EVENTS_SERVICE_ACCOUNT": "operate-workflow-sa",
    }
    return project, env, s3_datastore


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


def package_of(project):
    (package,) = [path.name for path in (project.path / "src").iterdir() if path.is_dir()]
    return package


def megabytes(quantity):
    """Kubernetes memory quantity as Metaflow writes it ("8192.0M") -> 8192.0."""
    assert quantity.endswith("M"), quantity
    return float(quantity[:-1])


@pytest.mark.slow
def test_argo_workflow_template_from_full_config(cloud, tmp_path):
    project, env, s3 = cloud
    config = full_config(project)
    command = ("argo-workflows", "create", "--only-json", "--max-workers", str(MAX_WORKERS))
    result = project.run(*flow("full", *command), env=env)
    template = json.loads(result.stdout)
    assert template["kind"] == "WorkflowTemplate"
    metadata = template["metadata"]
    assert metadata["namespace"] == NAMESPACE
    annotations = metadata["annotations"]
    package = package_of(project)
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
    assert dag["end"]["depends"] == "tournament.Succeeded"

    steps = {name: templates[name] for name in STEPS}
    for name, step in steps.items():
        assert step["container"]["image"] == IMAGE, name
        assert step["serviceAccountName"] == SERVICE_ACCOUNT, name
    for name, section in (("fit", "fit"), ("tournament", "refit")):
        requests = steps[name]["container"]["resources"]["requests"]
        wanted = config["resources"][section]
        assert float(requests["cpu"]) == wanted["cpu"], name
        assert megabytes(requests["memory"]) == wanted["memory"], name
    retries = config["resources"]["fit"]["retries"]
    assert f"--max-user-code-retries {retries} " in steps["fit"]["container"]["command"][-1]
    assert steps["fit"]["retryStrategy"]["limit"] >= retries

    # Every pod runs the image above with one code package, downloaded from the datastore;
    # the package source is in it, so the image needs no copy of the project.
    urls = set()
    for name, step in steps.items():
        script = step["container"]["command"][-1]
        bucket, key = DOWNLOAD.search(script).groups()
        step_env = {item["name"]: item.get("value") for item in step["container"]["env"]}
        assert f"s3://{bucket}/{key}" == step_env["METAFLOW_CODE_URL"], name
        assert "tar -xzf job.tar" in script, name
        assert re.search(r"\bpython model_selection\.py .* step " + name + r"\b", script), name
        urls.add(step_env["METAFLOW_CODE_URL"])
    (url,) = urls
    assert url.startswith(f"{s3.root}/ModelSelectionFlow/data/")
    job = s3.download(url, tmp_path / "job.tar")
    with tarfile.open(job) as archive:
        names = set(archive.getnames())
    assert {"model_selection.py", f"{package}/__init__.py", f"{package}/provenance.py"} <= names


@pytest.mark.slow
def test_docs_split_count_fits_max_num_splits(cloud):
    """The scale-out guide's split-count command runs; its --max-num-splits covers full.toml."""
    project, _, _ = cloud
    readme = (project.path / "docs" / "scale-out.md").read_text()
    (command,) = re.findall(
        r'^uv run python -c "(.+search_space\.expand.+)"$', readme, flags=re.MULTILINE
    )
    splits = int(project.run("python", "-c", command).stdout.strip())
    config = full_config(project)
    assert config["run"]["fits_per_task"] == 1
    allowed = {int(n) for n in re.findall(r"--max-num-splits (\d+)", readme)}
    assert allowed, "the README gives no --max-num-splits"
    assert 100 < splits <= min(allowed)


@pytest.mark.slow
def test_argo_predict_flow_is_triggered_by_the_tournament(cloud):
    """Deployed, PredictFlow starts when a tournament of the same project branch finishes."""
    project, env, _ = cloud
    result = project.run(
        "python", "flows/predict.py", "--no-pylint", "argo-workflows", "create", "--only-json",
        env=env,
    )  # fmt: skip
    template = json.loads(result.stdout)
    assert template["metadata"]["annotations"]["metaflow/flow_name"] == "PredictFlow"
    triggers = json.loads(template["metadata"]["annotations"]["metaflow/triggers"])
    package = package_of(project)
    (trigger,) = triggers
    # @project prefixes the event with the project and branch of the deployment.
    assert trigger["name"].startswith(f"metaflow.{package}.")
    assert trigger["name"].endswith(".ModelSelectionFlow.end")
    assert trigger["type"] == "run"


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
