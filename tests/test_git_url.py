"""Rendering from a git URL, the way `cookiecutter gh:<org>/cookiecutter-metaflow` is used."""

import os
import shutil

from bake import COPY_IGNORED, TEMPLATE, cookiecutter_cli, expected_files, files_below, git


def test_renders_from_a_git_url(tmp_path):
    # A repository made from the working tree, so uncommitted edits are what gets tested.
    repository = tmp_path / "cookiecutter-metaflow"
    shutil.copytree(TEMPLATE, repository, ignore=COPY_IGNORED)
    git("init", "--quiet", "--initial-branch=main", cwd=repository)
    git("add", "--all", cwd=repository)
    git("commit", "--quiet", "--message=template", cwd=repository)
    output = tmp_path / "out"

    result = cookiecutter_cli(
        output,
        "--checkout",
        "main",
        "neural_net=none",
        template=f"git+file://{repository}",
        cwd=tmp_path,
        # cookiecutter clones into ~/.cookiecutters: keep that inside the test folder.
        env={**os.environ, "HOME": str(tmp_path)},
    )

    assert result.returncode == 0, result.stderr
    project = output / "model-tournament"
    assert files_below(project) == expected_files({"neural_net": "none"})
