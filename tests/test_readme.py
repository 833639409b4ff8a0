"""README.md is the front door: its two command lines are the ones CI and users run."""

import os
import re
import shutil
import subprocess

import pytest

from conftest import TEMPLATE
from test_git_url import IGNORED

README = (TEMPLATE / "README.md").read_text(encoding="utf-8")


def readme_command(purpose):
    """Return the README's copy-paste line that runs the named nox session."""
    (line,) = [
        line.strip()
        for line in README.splitlines()
        if line.startswith("python3 -m venv") and re.search(rf"nox -s {purpose}\b", line)
    ]
    return line


def test_ci_runs_the_readme_test_command():
    ci_script = (TEMPLATE / ".ci" / "run").read_text(encoding="utf-8")
    assert readme_command("tests") in ci_script.splitlines()


@pytest.mark.slow
def test_readme_demo_line_renders_a_project_and_runs_its_flow(tmp_path):
    copy = tmp_path / "cookiecutter-metaflow"
    shutil.copytree(TEMPLATE, copy, ignore=IGNORED)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("METAFLOW_", "VIRTUAL_ENV"))}
    env["USERNAME"] = env.get("USERNAME") or "tester"
    env["METAFLOW_CLIENT_CACHE_PATH"] = str(tmp_path / "client-cache")
    env["METAFLOW_HOME"] = str(tmp_path / "metaflow-home")
    result = subprocess.run(
        ["bash", "-c", readme_command("demo")],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-20000:]
    results = list((copy / "build" / "demo").glob("*/results/*/summary.txt"))
    assert len(results) == 1, output[-5000:]
    assert (results[0].parent / "card.html").stat().st_size > 10_000
    assert "Card: " in output
