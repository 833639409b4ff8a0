"""Answers: a refused one stops with one line naming the field typed and leaves nothing behind;
odd but valid ones render verbatim, and template syntax in an answer is never evaluated."""

import json
import keyword
import tomllib
from pathlib import Path

import pytest

from bake import CONTEXT, TEMPLATE, VARIANTS, bake, cookiecutter_cli, install, run

LONG = "x" * 300
# (answers, field the line must name, text the line must hold)
REFUSED = [
    (["project_slug=My Project"], "project_slug", "'My Project' is not a valid distribution name"),
    (["project_slug=9lives"], "project_slug", "'9lives' is not a valid distribution name"),
    (["project_slug=double--dash"], "project_slug", "is not a valid distribution name"),
    (["project_slug=."], "project_slug", "'.' is not a valid distribution name"),
    (["project_slug=a/b"], "project_slug", "'a/b' is not a valid distribution name"),
    ([f"project_slug={LONG}"], "project_slug", "is 300 characters long: keep it to 64"),
    (["project_slug=" + "a" * 65], "project_slug", "is 65 characters long: keep it to 64"),
    (["package_name=my-package"], "package_name", "'my-package' is not a valid import name"),
    (["package_name=class"], "package_name", "'class' is not a valid import name"),
    (["package_name=" + "a" * 65], "package_name", "is 65 characters long: keep it to 64"),
    (["author_email=jane.example.com"], "author_email", "'jane.example.com' is not an e-mail"),
    (["author_email=jane@localhost"], "author_email", "'jane@localhost' is not an e-mail"),
    (["github_owner=-bad-"], "github_owner", "'-bad-' is not a GitHub user"),
    # Names: empty, nothing to make a slug from, too long, starting with a digit.
    (["project_name=   ", "project_slug=some-name"], "project_name", "'   ' is empty"),
    (["project_name="], "project_name", "'' is empty"),
    (["project_name=!!!"], "project_name", "gives the project_slug '', which is empty"),
    ([f"project_name={LONG}"], "project_name", "is 300 characters long: keep it to 64"),
    (["project_name=3D Model"], "project_name", "gives the project_slug '3d-model', which is not"),
    (["project_slug=3d-model"], "project_slug", "'3d-model' is not a valid distribution name"),
    # Template syntax stays the text typed: refused, never evaluated, never a Jinja error.
    (["project_name={{ 7*7 }}"], "project_name", "'{{ 7*7 }}' contains template syntax"),
    (["project_name=Tournament {{"], "project_name", "'Tournament {{' contains template syntax"),
    (["description=Uses {% raw %}"], "description", "'Uses {% raw %}' contains template syntax"),
    (["author_name={# me #}"], "author_name", "'{# me #}' contains template syntax"),
    (
        ["author_name={{ cookiecutter.project_name }}"],
        "author_name",
        "'{{ cookiecutter.project_name }}' contains template syntax",
    ),
]


def hook_errors(result):
    """Return the lines the validation hook printed (cookiecutter's own summary left out)."""
    return [
        line
        for line in result.stderr.splitlines()
        if line.startswith("ERROR: ") and "Stopping generation" not in line
    ]


def assert_refused(output_dir, answers, field, text):
    """Run cookiecutter with answers; one hook line names field and holds text; nothing left."""
    result = cookiecutter_cli(output_dir, *answers)
    assert result.returncode != 0
    (line,) = hook_errors(result)
    assert line.startswith(f"ERROR: {field} "), line
    assert text in line
    assert list(Path(output_dir).iterdir()) == []
    return line


@pytest.mark.parametrize(
    ("answers", "field", "text"), REFUSED, ids=[" ".join(a)[:40] for a, _, _ in REFUSED]
)
def test_refuses_an_answer_in_one_line_and_writes_nothing(tmp_path, answers, field, text):
    assert_refused(tmp_path, answers, field, text)


def reserved_dependencies():
    """Return the shipped list of modules installed with a rendered project."""
    lines = (TEMPLATE / "hooks" / "reserved_modules.txt").read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line and not line.startswith("#")]


@pytest.mark.parametrize(
    "package", ["requests", "metaflow", "sklearn", "lightgbm", "keras", "boto3", "yaml", "pil"]
)
def test_refuses_a_package_named_like_an_installed_module(tmp_path, package):
    assert_refused(
        tmp_path,
        [f"package_name={package}"],
        "package_name",
        f"'{package}' would shadow the module of the same name (a module installed with",
    )


@pytest.mark.parametrize("package", ["json", "test", "tomllib", "email"])
def test_refuses_a_package_named_like_a_standard_library_module(tmp_path, package):
    assert_refused(
        tmp_path, [f"package_name={package}"], "package_name", "(a module of the standard library)"
    )


def test_refuses_a_package_named_like_the_projects_own_modules(tmp_path):
    """flows/common.py, noxfile.py, conftest.py, tests/, ... would shadow or be shadowed."""
    project = bake(tmp_path / "default")
    names = {path.name for path in project.path.iterdir() if path.is_dir()}
    # The package's own modules live under src/<package>/: not top-level.
    names |= {Path(f).stem for f in project.files() if f.endswith(".py") and f[:4] != "src/"}
    names = sorted(name for name in names if name.isidentifier())
    assert {"common", "model_selection", "predict", "noxfile", "conftest", "tests"} <= set(names)
    for name in names:
        output = tmp_path / name
        output.mkdir()
        assert_refused(output, [f"package_name={name}"], "package_name", "would shadow")


def test_shipped_reserved_modules_are_sorted_import_names():
    names = reserved_dependencies()
    assert names == sorted(set(names))
    assert all(name.isidentifier() and not keyword.iskeyword(name) for name in names)
    # The rendered project's direct dependencies are in it, by their import names.
    assert {"metaflow", "sklearn", "lightgbm", "pandas", "numpy", "keras", "boto3"} <= set(names)


@pytest.mark.slow
def test_shipped_reserved_modules_match_a_fresh_install(installed_project):
    """Recompute the list from the shared venvs (all extras between them); stale fails here.

    Regenerate with `nox -s reserved_modules` when a dependency adds or drops a module.
    """
    keras = next(a for a in VARIANTS.values() if a.get("neural_net") == "keras")
    listed = set()
    for project in (install(installed_project, {}), install(installed_project, keras)):
        script = TEMPLATE / "scripts" / "reserved_modules.py"
        listed |= set(run([project.python, script, "--list"], cwd=project.path).stdout.split())
    shipped = set(reserved_dependencies())
    assert listed == shipped, (
        f"hooks/reserved_modules.txt is stale (run `nox -s reserved_modules`): "
        f"missing {sorted(listed - shipped)}, no longer installed {sorted(shipped - listed)}"
    )


def test_reports_every_refused_field_at_once(tmp_path):
    result = cookiecutter_cli(tmp_path, "author_email=nope", "github_owner=a--b")
    lines = hook_errors(result)
    assert len(lines) == 2
    assert any(line.startswith("ERROR: author_email 'nope'") for line in lines)
    assert any(line.startswith("ERROR: github_owner 'a--b'") for line in lines)
    assert list(tmp_path.iterdir()) == []


# Cookiecutter itself refuses a value outside a choice list, before anything is written.
@pytest.mark.parametrize(
    "field", [name for name, value in CONTEXT.items() if isinstance(value, list)]
)
def test_refuses_a_value_outside_the_choices(tmp_path, field):
    result = cookiecutter_cli(tmp_path, f"{field}=not-a-choice")
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert f"not-a-choice provided for choice variable {field}" in last_line
    assert list(tmp_path.iterdir()) == []


def test_derives_slug_and_package_from_a_name_with_punctuation(tmp_path):
    project = bake(tmp_path, project_name='Zoë\'s "Fancy" Model: v2')
    assert project.path.name == "zoe-s-fancy-model-v2"
    assert project.has_file("src/zoe_s_fancy_model_v2/__init__.py")


def test_a_slug_typed_for_an_odd_name_renders(tmp_path):
    """Only derived names are refused for their source: typing the slug is the way out."""
    project = bake(tmp_path, project_name="3D Model", project_slug="model-3d")
    assert project.path.name == "model-3d"
    assert project.has_file("src/model_3d/__init__.py")
    assert project.read("README.md").startswith("# 3D Model")


@pytest.mark.parametrize(
    "text",
    ['O\'Brien & "Sons"', "Back\\slash \\n not a newline", "Zoë Ñúñez 数据", "50% {off} }} %}"],
    ids=["quotes", "backslashes", "non-ascii", "braces"],
)
def test_free_text_answers_render_verbatim_into_metadata(tmp_path, text):
    project = bake(
        tmp_path,
        project_name=f"Tournament {text}",
        project_slug="odd-names",
        package_name="odd_names",
        description=f"Predicts {text}.",
        author_name=text,
    )
    pyproject = tomllib.loads(project.read("pyproject.toml"))
    assert pyproject["project"]["description"] == f"Predicts {text}."
    assert pyproject["project"]["authors"][0]["name"] == text
    assert project.read("README.md").startswith(f"# Tournament {text}")
    json.loads(project.read("notebooks/debug.ipynb"))
    assert text in project.read("LICENSE")


def test_post_generation_prints_the_next_commands(tmp_path):
    result = cookiecutter_cli(tmp_path)
    assert result.returncode == 0, result.stderr
    assert "cd model-tournament\n  uv sync\n  uv run python flows/model_selection.py run" in (
        result.stdout
    )
