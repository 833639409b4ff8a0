"""Template updates with cruft: a project made with `cruft create` takes a later template change.

cruft renders the template at the project's commit and at the newest one, each in a temporary
folder where the post-generation hook prunes the unchosen options, and applies the difference
to the project with a three-way merge: pruned files stay absent, the user's edits stay.
"""

import os
import shutil
import subprocess

import pytest

from bake import COPY_IGNORED, DEFAULTS, TEMPLATE, git, removed_patterns, tool

TEMPLATE_CHANGE = "# A line added to the template after the project was made.\n"
USER_CHANGE = "# A line the user added to their project.\n"


def commit_all(repository, message):
    """Stage everything in repository and commit it."""
    git("add", "--all", cwd=repository)
    git("commit", "--quiet", "--message", message, cwd=repository)


def cruft(*args, cwd, home):
    """Run cruft with its git clones and cookiecutter's user files under home."""
    env = {**os.environ, "HOME": str(home), "GIT_CONFIG_GLOBAL": os.devnull}
    return subprocess.run(
        [tool("cruft"), *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def succeeded(result):
    """Return the command's output for an assertion message."""
    return f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"


@pytest.fixture
def template_repository(tmp_path):
    """A git repository made from the working tree, so uncommitted edits are what gets tested."""
    repository = tmp_path / "cookiecutter-metaflow"
    shutil.copytree(TEMPLATE, repository, ignore=COPY_IGNORED)
    git("init", "--quiet", "--initial-branch=main", cwd=repository)
    commit_all(repository, "Template")
    return repository


def pruned_template_file(repository, answers):
    """Return a template file the post-generation hook removes for these answers."""
    project_template = repository / "{{cookiecutter.project_slug}}"
    for pattern in removed_patterns(answers):
        for path in sorted(project_template.glob(pattern)):
            if path.is_file():
                return path
    pytest.fail(f"no template file is pruned for {answers}")


def test_cruft_update_brings_a_template_change_and_keeps_pruned_files_pruned(
    template_repository, tmp_path
):
    home = tmp_path / "home"
    home.mkdir()
    url = f"file://{template_repository}"
    result = cruft(
        "create", "--no-input", "--output-dir", tmp_path / "out", url, cwd=tmp_path, home=home
    )
    assert result.returncode == 0, succeeded(result)
    project = tmp_path / "out" / "model-tournament"
    assert (project / ".cruft.json").is_file()
    pruned = pruned_template_file(template_repository, DEFAULTS)
    relative_pruned = pruned.relative_to(template_repository / "{{cookiecutter.project_slug}}")
    pruned_in_project = project / str(relative_pruned).replace(
        "{{cookiecutter.package_name}}", "model_tournament"
    )
    assert not pruned_in_project.exists()
    git("init", "--quiet", "--initial-branch=main", cwd=project)
    commit_all(project, "Project from the template")
    # The user edits a file the template change leaves alone, and the top of one it changes.
    with (project / "README.md").open("a", encoding="utf-8") as readme:
        readme.write(USER_CHANGE)
    gitignore = project / ".gitignore"
    gitignore.write_text(USER_CHANGE + gitignore.read_text(encoding="utf-8"), encoding="utf-8")
    commit_all(project, "User edits")
    readme_before = (project / "README.md").read_text(encoding="utf-8")

    # The template changes a file rendered for this project and one the hook prunes from it.
    template_project = template_repository / "{{cookiecutter.project_slug}}"
    with (template_project / ".gitignore").open("a", encoding="utf-8") as rendered:
        rendered.write(TEMPLATE_CHANGE)
    with pruned.open("a", encoding="utf-8") as pruned_file:
        pruned_file.write(TEMPLATE_CHANGE)
    commit_all(template_repository, "Template change")

    result = cruft("check", cwd=project, home=home)
    assert result.returncode != 0, "cruft check must report the template change"
    result = cruft("update", "--skip-apply-ask", cwd=project, home=home)
    assert result.returncode == 0, succeeded(result)

    text = gitignore.read_text(encoding="utf-8")
    assert text.startswith(USER_CHANGE), "the user's line must stay"
    assert text.endswith(TEMPLATE_CHANGE), "the template's line must arrive"
    assert (project / "README.md").read_text(encoding="utf-8") == readme_before
    assert not pruned_in_project.exists(), "a pruned file must stay pruned"
    assert not list(project.rglob("*.rej")), "no conflict left for the user"
    changed = git("status", "--porcelain", "--untracked-files=all", cwd=project).stdout
    assert sorted(line[3:] for line in changed.splitlines()) == [".cruft.json", ".gitignore"]
    result = cruft("check", cwd=project, home=home)
    assert result.returncode == 0, succeeded(result)
