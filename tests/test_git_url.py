"""Rendering from a git URL, the way `cookiecutter gh:<org>/cookiecutter-metaflow` is used."""

import os
import shutil
import subprocess
import sys

from conftest import TEMPLATE
from test_render import expected_files, rendered_files

IGNORED = shutil.ignore_patterns(
    ".git", ".venv", ".nox", "build", "__pycache__", ".pytest_cache", ".ruff_cache"
)


def git(*args, cwd):
    """Run git quietly with a fixed identity, failing loudly on error."""
    subprocess.run(
        ["git", "-c", "user.name=test", "-c", "user.email=test@example.com", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


def test_renders_from_a_git_url(tmp_path):
    # A repository made from the working tree, so uncommitted edits are what gets tested.
    repository = tmp_path / "cookiecutter-metaflow"
    shutil.copytree(TEMPLATE, repository, ignore=IGNORED)
    git("init", "--quiet", "--initial-branch=main", cwd=repository)
    git("add", "--all", cwd=repository)
    git("commit", "--quiet", "--message=template", cwd=repository)
    output = tmp_path / "out"

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "cookiecutter",
            f"git+file://{repository}",
            "--no-input",
            "--output-dir",
            str(output),
            "--checkout",
            "main",
            "neural_net=none",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        # cookiecutter clones into ~/.cookiecutters: keep that inside the test folder.
        env={**os.environ, "HOME": str(tmp_path)},
    )

    assert result.returncode == 0, result.stderr
    project = output / "model-tournament"
    assert rendered_files(project) == expected_files({"neural_net": "none"}, "model_tournament")
