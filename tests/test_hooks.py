"""Answers: bad ones stop with one clear line and leave nothing behind; odd names still render."""

import json
import subprocess
import sys
import tomllib

import pytest

from conftest import TEMPLATE, render

INVALID = [
    ("project_slug", "My Project", "project_slug 'My Project' is not a valid distribution name"),
    ("project_slug", "9lives", "project_slug '9lives' is not a valid distribution name"),
    ("project_slug", "double--dash", "is not a valid distribution name"),
    ("package_name", "my-package", "package_name 'my-package' is not a valid import name"),
    ("package_name", "class", "package_name 'class' is not a valid import name"),
    ("package_name", "metaflow", "package_name 'metaflow' would shadow the module"),
    ("package_name", "sklearn", "package_name 'sklearn' would shadow the module"),
    ("package_name", "lightgbm", "package_name 'lightgbm' would shadow the module"),
    ("package_name", "json", "package_name 'json' would shadow the module"),
    ("package_name", "test", "package_name 'test' would shadow the module"),
    ("package_name", "common", "package_name 'common' would shadow the module"),
    ("author_email", "jane.example.com", "author_email 'jane.example.com' is not an e-mail"),
    ("author_email", "jane@localhost", "author_email 'jane@localhost' is not an e-mail"),
    ("github_owner", "-bad-", "github_owner '-bad-' is not a GitHub user"),
    ("project_name", "   ", "project_name '' is empty"),
]


def cookiecutter_cli(output_dir, *answers):
    """Run the cookiecutter command line without prompts; return the finished process."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "cookiecutter",
            str(TEMPLATE),
            "--no-input",
            "--output-dir",
            str(output_dir),
            *answers,
        ],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    INVALID,
    ids=[f"{field}={value!r}" for field, value, _ in INVALID],
)
def test_rejects_invalid_answer_and_writes_nothing(tmp_path, field, value, message):
    answers = [f"{field}={value}"]
    if field == "project_name":
        answers.append("project_slug=whitespace-name")
    if field == "project_slug":
        answers.append("package_name=valid_package")
    result = cookiecutter_cli(tmp_path, *answers)
    assert result.returncode != 0
    (line,) = hook_errors(result)
    assert message in line
    assert list(tmp_path.iterdir()) == []


def hook_errors(result):
    """Return the lines the validation hook printed (cookiecutter's own summary left out)."""
    return [
        line
        for line in result.stderr.splitlines()
        if line.startswith("ERROR: ") and "Stopping generation" not in line
    ]


# Cookiecutter itself refuses a value outside a choice list, before anything is written.
CHOICES = [
    ("python_version", "3.9"),
    ("task", "ranking"),
    ("neural_net", "torch"),
    ("license", "GPL"),
    ("ci", "gitlab"),
]


@pytest.mark.parametrize(("field", "value"), CHOICES, ids=[f"{f}={v}" for f, v in CHOICES])
def test_rejects_a_value_outside_the_choices(tmp_path, field, value):
    result = cookiecutter_cli(tmp_path, f"{field}={value}")
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert f"{value} provided for choice variable {field}" in last_line
    assert list(tmp_path.iterdir()) == []


def test_reports_every_broken_rule_at_once(tmp_path):
    result = cookiecutter_cli(tmp_path, "author_email=nope", "github_owner=a--b")
    assert len(hook_errors(result)) == 2
    assert "author_email 'nope'" in result.stderr
    assert "github_owner 'a--b'" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_derives_slug_and_package_from_a_name_with_punctuation(tmp_path):
    project = render(tmp_path, project_name='Zoë\'s "Fancy" Model: v2')
    assert project.name == "zoe-s-fancy-model-v2"
    assert (project / "src" / "zoe_s_fancy_model_v2" / "__init__.py").is_file()


@pytest.mark.parametrize(
    "text",
    ['O\'Brien & "Sons"', "Back\\slash \\n not a newline", "Zoë Ñúñez 数据"],
    ids=["quotes", "backslashes", "non-ascii"],
)
def test_free_text_answers_render_verbatim_into_metadata(tmp_path, text):
    project = render(
        tmp_path,
        project_name=f"Tournament {text}",
        project_slug="odd-names",
        package_name="odd_names",
        description=f"Predicts {text}.",
        author_name=text,
    )
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["description"] == f"Predicts {text}."
    assert pyproject["project"]["authors"][0]["name"] == text
    assert (project / "README.md").read_text(encoding="utf-8").startswith(f"# Tournament {text}")
    notebook = project / "notebooks" / "debug.ipynb"
    json.loads(notebook.read_text(encoding="utf-8"))
    assert text in (project / "LICENSE").read_text(encoding="utf-8")


def test_post_generation_prints_the_next_commands(tmp_path):
    result = cookiecutter_cli(tmp_path)
    assert result.returncode == 0, result.stderr
    assert "cd model-tournament" in result.stdout
    assert "flows/model_selection.py run" in result.stdout
