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

from conftest import TEMPLATE, render, run

PYTHON_VERSIONS = ["3.10", "3.11", "3.12", "3.13"]
# Variants whose workflow differs: matrix bounds, keras extra, the notebook job.
CI_VARIANTS = {
    "default": {},
    "classification-keras": {"task": "classification", "neural_net": "keras"},
    "no-notebook": {"include_notebook": False},
    "python-3.10": {"python_version": "3.10"},
}
PINNED = re.compile(r"^[\w.-]+/[\w.-]+@[0-9a-f]{40}$")


def tool(name):
    """Return the path of a validator installed beside this interpreter or on PATH."""
    beside = Path(sys.executable).with_name(name)
    found = str(beside) if beside.exists() else shutil.which(name)
    if not found:
        pytest.fail(f"{name} is not installed: install the template's test dependencies")
    return found


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
        name: (answers, render(root / name, **answers)) for name, answers in CI_VARIANTS.items()
    }


@pytest.mark.parametrize("variant", CI_VARIANTS)
def test_rendered_workflows_pass_the_validators(rendered, variant):
    answers, project = rendered[variant]
    (workflow,) = assert_workflows_clean(project)
    text = workflow.read_text()
    assert "${{ matrix.python }}" in text, "GitHub expressions must survive rendering"
    assert "cookiecutter" not in text
    for session in ["lint", "hooks", "tests", "flows"]:
        assert f"nox --session {session}" in text
    assert "{%" not in text
    spec = assert_least_privilege(workflow)
    assert spec["env"]["USERNAME"]
    oldest = answers.get("python_version", "3.11")
    supported = PYTHON_VERSIONS[PYTHON_VERSIONS.index(oldest) :]
    assert spec["jobs"]["tests"]["strategy"]["matrix"]["python"] == supported
    assert spec["jobs"]["flows"]["strategy"]["matrix"]["python"] == [oldest, "3.13"]
    notebook = {"notebook"} if answers.get("include_notebook", True) else set()
    assert set(spec["jobs"]) == {"lint", "tests", "flows"} | notebook


@pytest.mark.parametrize("variant", CI_VARIANTS)
def test_rendered_nox_sessions_and_hooks_match_the_options(rendered, variant):
    answers, project = rendered[variant]
    notebook = answers.get("include_notebook", True)
    listing = run(
        [sys.executable, "-m", "nox", "--list", "--noxfile", project / "noxfile.py"],
        cwd=project,
    ).stdout
    default = set(re.findall(r"^\* (\w+)", listing, flags=re.MULTILINE))
    assert default == {"lint", "tests", "flows"} | ({"notebook"} if notebook else set())
    # Only on request: pre-commit needs a git repository.
    assert re.findall(r"^- (\w+)", listing, flags=re.MULTILINE) == ["hooks"]
    noxfile = (project / "noxfile.py").read_text()
    assert ("keras" in noxfile) == (answers.get("neural_net") == "keras")

    config = yaml.safe_load((project / ".pre-commit-config.yaml").read_text())
    assert {repo["repo"] for repo in config["repos"]} == {"local"}
    hooks = {hook["id"] for repo in config["repos"] for hook in repo["hooks"]}
    assert ("nbstripout" in hooks) == notebook
    assert {"ruff-check", "ruff-format", "trailing-whitespace", "end-of-file-fixer"} <= hooks
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


def git(*command, cwd):
    """Run git with an identity and without the user's global configuration."""
    env = {
        **os.environ,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.com",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.com",
    }
    return run(["git", *command], cwd=cwd, env=env)


def test_template_pre_commit_passes_on_a_copy(tmp_path):
    """The template's own hooks pass on its files and change none of them."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=TEMPLATE,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\0")
    skip = {".git", ".venv", ".nox", "build", "__pycache__", ".pytest_cache", ".ruff_cache"}
    copy = tmp_path / "template"
    for relative in filter(None, listed):
        source = TEMPLATE / relative
        if skip & set(Path(relative).parts) or not source.is_file():
            continue
        (copy / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, copy / relative)
    git("init", "--quiet", cwd=copy)
    git("add", "--all", cwd=copy)
    env = validator_env()
    env["PRE_COMMIT_HOME"] = str(tmp_path / "pre-commit-home")
    run([tool("pre-commit"), "run", "--all-files", "--show-diff-on-failure"], cwd=copy, env=env)
    git("diff", "--exit-code", cwd=copy)


@pytest.mark.slow
def test_rendered_pre_commit_and_nox_lint_pass(installed_project, tmp_path):
    """On a fresh repository, every hook passes and rewrites nothing; `nox -s lint` passes."""
    project = installed_project(extras=("dev", "cloud"))
    if not (project.path / ".git").exists():
        git("init", "--quiet", cwd=project.path)
    git("add", "--all", cwd=project.path)
    home = {"PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    project.run("pre-commit", "run", "--all-files", "--show-diff-on-failure", env=home)
    git("diff", "--exit-code", cwd=project.path)
    # The real session: a uv-made venv in .nox/ (reused by later runs, ignored by git).
    project.run("nox", "--session", "lint")
    status = git("status", "--porcelain", "--untracked-files=all", cwd=project.path).stdout
    assert all(line.startswith("A  ") for line in status.splitlines()), status
