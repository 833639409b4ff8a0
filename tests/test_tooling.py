"""The rendered project's own tooling (CI, Dependabot, pre-commit, nox) and the template's.

Workflows are checked offline with the validators GitHub users run: actionlint (with
shellcheck on the `run:` scripts), zizmor's security audits, and the JSON schemas that
GitHub's editors use. Each must report nothing.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bake import (
    CHOICES,
    COPY_IGNORED,
    SINGLE_CHOICES,
    TEMPLATE,
    VARIANTS,
    answers_of,
    git,
    render,
    run,
    tool,
)

PYTHON_VERSIONS = CHOICES["python_version"]
# Every covering variant, and each choice alone of the prompts that change the workflow or the
# sessions (matrix bounds, the notebook job, the keras backend).
CI_VARIANTS = {
    **VARIANTS,
    **{
        name: answers
        for name, answers in SINGLE_CHOICES.items()
        if set(answers) & {"python_version", "include_notebook", "neural_net"}
    },
}
GITHUB_VARIANTS = [
    name for name, answers in CI_VARIANTS.items() if answers_of(answers)["ci"] == "github"
]
PINNED = re.compile(r"^[\w.-]+/[\w.-]+@[0-9a-f]{40}$")
# What a run writes into the project folder, each with a file in it, as a user would have it.
RUN_OUTPUTS = [
    ".metaflow/ModelSelectionFlow/1/start/1/0.attempt.json",
    ".metaflow/mf.cards/ModelSelectionFlow/runs/1/steps/end/tasks/3/cards/report.html",
    "metaflow_card_cache/ModelSelectionFlow/runs/1/card.html",
    "results/1/leaderboard.csv",
    "predictions/2/predictions.csv",
    ".nox/lint/pyvenv.cfg",
    ".venv/pyvenv.cfg",
    ".mypy_cache/3.11/cache.db",
    ".pytest_cache/v/cache/lastfailed",
    ".ruff_cache/CACHEDIR.TAG",
    "src/PKG/__pycache__/config.cpython-311.pyc",
    "notebooks/.ipynb_checkpoints/debug-checkpoint.ipynb",
]


def validator_env():
    """Return an environment where actionlint finds shellcheck and zizmor stays offline."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.pop("GH_TOKEN", None)
    env.pop("GITHUB_TOKEN", None)
    return env


def assert_workflows_clean(root):
    """Run every offline validator on root's workflows and Dependabot file."""
    workflows = sorted((root / ".github" / "workflows").glob("*.yml"))
    assert workflows, f"no workflow under {root}/.github/workflows"
    dependabot = root / ".github" / "dependabot.yml"
    assert dependabot.is_file()
    env = validator_env()
    shellcheck = tool("shellcheck")
    run([tool("actionlint"), f"-shellcheck={shellcheck}", *workflows], cwd=root, env=env)
    result = run([tool("zizmor"), "--offline", *workflows, dependabot], cwd=root, env=env)
    assert "No findings" in result.stdout, result.stdout
    run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *workflows],
        cwd=root,
        env=env,
    )
    run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.dependabot", dependabot],
        cwd=root,
        env=env,
    )
    return workflows


def assert_least_privilege(workflow):
    """Pinned actions, read-only token, cancelled duplicates, no persisted credentials."""
    text = workflow.read_text()
    spec = yaml.safe_load(text)
    assert spec["permissions"] == {"contents": "read"}
    assert spec["concurrency"]["cancel-in-progress"] is True
    for name, job in spec["jobs"].items():
        assert "permissions" not in job, f"job {name} widens the token"
        for step in job["steps"]:
            uses = step.get("uses")
            if not uses:
                continue
            assert PINNED.match(uses), f"{name}: {uses} is not pinned to a commit"
            if uses.startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False
    for line in text.splitlines():
        if "uses:" in line:
            assert re.search(r"@[0-9a-f]{40}  # v\d+\.\d+\.\d+$", line), line
    return spec


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """Render each CI variant once per module: name -> (answers, project path)."""
    root = tmp_path_factory.mktemp("tooling")
    return {
        name: (answers_of(answers), render(root / name, **answers))
        for name, answers in CI_VARIANTS.items()
    }


@pytest.mark.parametrize("variant", GITHUB_VARIANTS)
def test_rendered_workflows_pass_the_validators(rendered, variant):
    answers, project = rendered[variant]
    (workflow,) = assert_workflows_clean(project)
    text = workflow.read_text()
    assert "${{ matrix.python }}" in text, "GitHub expressions must survive rendering"
    assert "cookiecutter" not in text
    for session in ["lint", "hooks", "typecheck", "tests", "flows"]:
        assert f"nox --session {session}" in text
    assert "{%" not in text
    spec = assert_least_privilege(workflow)
    assert spec["env"]["USERNAME"]
    oldest = answers["python_version"]
    supported = PYTHON_VERSIONS[PYTHON_VERSIONS.index(oldest) :]
    assert spec["jobs"]["tests"]["strategy"]["matrix"]["python"] == supported
    assert spec["jobs"]["flows"]["strategy"]["matrix"]["python"] == sorted(
        {oldest, PYTHON_VERSIONS[-1]}
    )
    notebook = {"notebook"} if answers["include_notebook"] else set()
    assert set(spec["jobs"]) == {"lint", "typecheck", "tests", "flows"} | notebook
    # The uv cache is keyed on the lock, so a new lock is a fresh cache.
    for job in spec["jobs"].values():
        for step in job["steps"]:
            if step.get("uses", "").startswith("astral-sh/setup-uv@"):
                assert step["with"]["cache-dependency-glob"] == "uv.lock"


@pytest.mark.parametrize("variant", GITHUB_VARIANTS)
def test_dependabot_updates_the_lock_and_the_actions_after_a_cooldown(rendered, variant):
    _, project = rendered[variant]
    spec = yaml.safe_load((project / ".github" / "dependabot.yml").read_text())
    updates = {update["package-ecosystem"]: update for update in spec["updates"]}
    assert set(updates) == {"uv", "github-actions"}
    for update in updates.values():
        assert update["cooldown"]["default-days"] >= 3
        assert update["groups"], "one grouped pull request per ecosystem, not one per package"


@pytest.mark.parametrize("variant", CI_VARIANTS)
def test_rendered_nox_sessions_and_hooks_match_the_options(rendered, variant):
    answers, project = rendered[variant]
    notebook = answers["include_notebook"]
    listing = run(
        [sys.executable, "-m", "nox", "--list", "--noxfile", project / "noxfile.py"],
        cwd=project,
    ).stdout
    default = set(re.findall(r"^\* (\w+)", listing, flags=re.MULTILINE))
    assert default == {"lint", "typecheck", "tests", "flows"} | (
        {"notebook"} if notebook else set()
    )
    # Only on request: pre-commit needs a git repository.
    assert re.findall(r"^- (\w+)", listing, flags=re.MULTILINE) == ["hooks"]
    # Every session says in one imperative line what it does.
    described = dict(re.findall(r"^[*-] (\w+) -> (.+)$", listing, flags=re.MULTILINE))
    assert set(described) == default | {"hooks"}, listing
    for name, description in described.items():
        assert re.fullmatch(r"[A-Z].*\.", description), (name, description)
    noxfile = (project / "noxfile.py").read_text()
    assert ("KERAS_BACKEND" in noxfile) == (answers["neural_net"] == "keras")

    config = yaml.safe_load((project / ".pre-commit-config.yaml").read_text())
    assert {repo["repo"] for repo in config["repos"]} == {"local"}
    hooks = {hook["id"]: hook for repo in config["repos"] for hook in repo["hooks"]}
    assert ("nbstripout" in hooks) == notebook
    assert {"ruff-check", "ruff-format", "trailing-whitespace", "end-of-file-fixer"} <= set(hooks)
    # The lock is far above the large-file limit, and it is meant to be committed.
    assert re.search(hooks["check-added-large-files"]["exclude"], "uv.lock")
    run([sys.executable, "-m", "pre_commit", "validate-config"], cwd=project)


def whitespace_problems(project):
    """List what pre-commit's whitespace fixers would rewrite in a rendered project."""
    problems = []
    for path in sorted(p for p in project.rglob("*") if p.is_file()):
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        relative = path.relative_to(project)
        if text and (not text.endswith("\n") or text.endswith("\n\n")):
            problems.append(f"{relative}: must end with exactly one newline")
        for number, line in enumerate(text.splitlines(), start=1):
            if line != line.rstrip():
                problems.append(f"{relative}:{number}: trailing whitespace")
    return problems


@pytest.mark.parametrize("variant", CI_VARIANTS)
def test_rendered_text_files_pass_the_whitespace_hooks(rendered, variant):
    """Checked on every variant: the Jinja branches differ."""
    problems = whitespace_problems(rendered[variant][1])
    assert not problems, "\n".join(problems)


def test_no_ci_renders_no_github_folder(tmp_path):
    project = render(tmp_path, ci="none", include_notebook=False)
    assert not (project / ".github").exists()
    assert (project / "noxfile.py").is_file()
    problems = whitespace_problems(project)
    assert not problems, "\n".join(problems)


def test_template_workflows_pass_the_validators():
    (workflow,) = assert_workflows_clean(TEMPLATE)
    spec = assert_least_privilege(workflow)
    steps = [step.get("run", "") for job in spec["jobs"].values() for step in job["steps"]]
    assert "bash .ci/run" in steps


def test_template_pre_commit_passes_on_a_copy(tmp_path):
    """The template's own hooks pass on its files and change none of them."""
    copy = tmp_path / "template"
    shutil.copytree(TEMPLATE, copy, ignore=COPY_IGNORED)
    git("init", "--quiet", cwd=copy)
    git("add", "--all", cwd=copy)
    env = validator_env()
    env["PRE_COMMIT_HOME"] = str(tmp_path / "pre-commit-home")
    run([tool("pre-commit"), "run", "--all-files", "--show-diff-on-failure"], cwd=copy, env=env)
    git("diff", "--exit-code", cwd=copy)


def write_run_outputs(project):
    """Create what runs, sessions and editors write into a project folder; return the paths."""
    (package,) = (project / "src").iterdir()
    paths = [relative.replace("PKG", package.name) for relative in RUN_OUTPUTS]
    for relative in paths:
        (project / relative).parent.mkdir(parents=True, exist_ok=True)
        (project / relative).write_text("written by a run\n")
    return paths


def test_gitignore_covers_what_runs_write(tmp_path):
    project = render(tmp_path)
    git("init", "--quiet", cwd=project)
    paths = write_run_outputs(project)
    # --no-index: ignored by a pattern, not merely untracked.
    result = subprocess.run(
        ["git", "check-ignore", "--no-index", "--verbose", "--non-matching", *paths],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    not_ignored = [
        line.split("\t")[-1] for line in result.stdout.splitlines() if line.startswith("::")
    ]
    assert not not_ignored, f".gitignore lets these through: {not_ignored}"
    # The lock file is meant to be committed.
    (project / "uv.lock").write_text("version = 1\n")
    assert git("status", "--porcelain", "--", "uv.lock", cwd=project).stdout.startswith("??")


@pytest.mark.slow
def test_rendered_pre_commit_and_nox_lint_pass(installed_project, tmp_path):
    """On a fresh repository with its lock, every hook passes and rewrites nothing; `nox -s lint`
    passes; and what runs write stays out of `git status`."""
    project = installed_project(extras=("dev", "cloud"))
    if not (project.path / ".git").exists():
        git("init", "--quiet", cwd=project.path)
    if not (project.path / "uv.lock").exists():
        project.run("uv", "lock")
    git("add", "--all", cwd=project.path)
    home = {"PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    project.run("pre-commit", "run", "--all-files", "--show-diff-on-failure", env=home)
    git("diff", "--exit-code", cwd=project.path)
    # The real session: a uv-made venv in .nox/ (reused by later runs, ignored by git).
    project.run("nox", "--session", "lint")
    # Whether or not other tests ran flows in this project, its folder now holds what they write.
    write_run_outputs(project.path)
    status = git("status", "--porcelain", "--untracked-files=all", cwd=project.path).stdout
    assert all(line.startswith("A  ") for line in status.splitlines()), status
