"""README.md is the front door: its commands run, and its samples are what users see.

Every fenced shell command of the README is run by a test here, or listed in NOT_RUN with the
reason it is not.
"""

import os
import re
import shutil
import subprocess
import sys

import pytest

from bake import CONTEXT, COPY_IGNORED, NOXFILE, TEMPLATE, cookiecutter_cli, run

README = (TEMPLATE / "README.md").read_text(encoding="utf-8")

# Fenced shell commands no test runs, and why.
NOT_RUN = {
    "python3 -m venv .venv && .venv/bin/python -m pip install --quiet --upgrade nox uv"
    " && .venv/bin/nox -s tests": "it runs this suite; .ci/run, the CI entry point, runs it"
    " verbatim (test_ci_runs_the_readme_test_command)",
    "cookiecutter gh:<org>/cookiecutter-metaflow": "needs the published repository on GitHub;"
    " test_git_url.py renders the same way from a local git URL",
    "uvx cruft create https://github.com/<org>/cookiecutter-metaflow": "needs the published"
    " repository; test_cruft.py runs cruft create from a file:// URL of this one",
    "uvx cruft check": "test_cruft.py runs cruft check (before and after an update)",
    "uvx cruft update": "interactive; test_cruft.py runs cruft update --skip-apply-ask",
}
# Fenced shell commands tests run, by the nox session they start, and the test that runs each.
RUN = {"demo": "test_readme_demo_line_renders_a_project_and_runs_its_flow"}


def fenced_blocks(language):
    """Return the text of every fenced block of the given language."""
    return re.findall(rf"^```{language}\n(.*?)^```", README, flags=re.MULTILINE | re.DOTALL)


def fenced_commands():
    """Return every command line of the README's shell blocks, comments stripped."""
    return [
        line.split("  #")[0].strip()
        for block in fenced_blocks("bash") + fenced_blocks("sh") + fenced_blocks("console")
        for line in block.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


def readme_command(session):
    """Return the README's copy-paste line that runs the named nox session."""
    (line,) = [
        line
        for line in fenced_commands()
        if line.startswith("python3 -m venv") and re.search(rf"nox -s {session}$", line)
    ]
    return line


def test_every_fenced_command_is_run_or_listed_as_not_run():
    run = {readme_command(session) for session in RUN}
    assert all(name in globals() for name in RUN.values())
    assert not run & set(NOT_RUN)
    assert sorted(fenced_commands()) == sorted(run | set(NOT_RUN))


def test_ci_runs_the_readme_test_command():
    ci_script = (TEMPLATE / ".ci" / "run").read_text(encoding="utf-8")
    assert readme_command("tests") in ci_script.splitlines()


def visible_prompts():
    """Return the prompts cookiecutter asks, in order."""
    return [name for name in CONTEXT if not name.startswith("_")]


def test_prompt_table_has_one_row_per_prompt():
    rows = re.findall(r"^\| `(\w+)` \|", README, flags=re.MULTILINE)
    prompts = visible_prompts()
    assert rows[: len(prompts)] == prompts


def test_prompt_sample_shows_cookiecutter_jsons_prompts_and_choices():
    (sample,) = [block for block in fenced_blocks("text") if "[1/" in block]
    prompts = visible_prompts()
    texts = CONTEXT["__prompts__"]
    lines = sample.splitlines()
    for index, line in enumerate(lines):
        asked = re.match(r"\s+\[(\d+)/(\d+)\] (.*)", line)
        if not asked:
            continue
        number, total, text = int(asked[1]), int(asked[2]), asked[3]
        assert total == len(prompts)
        name = prompts[number - 1]
        prompt = texts[name]["__prompt__"] if isinstance(texts[name], dict) else texts[name]
        assert text.startswith(prompt), (name, text)
        if isinstance(CONTEXT[name], bool):
            assert "[y/n]" in text
        if isinstance(CONTEXT[name], list):
            labels = [
                texts[name].get(option, option) if isinstance(texts[name], dict) else option
                for option in CONTEXT[name]
            ]
            shown = []
            for following in lines[index + 1 :]:
                choice = re.match(r"\s+(\d+) - (.*)", following)
                if not choice:
                    break
                shown.append(choice[2])
            assert shown == labels, name


def test_refusal_sample_is_what_cookiecutter_prints(tmp_path):
    (sample,) = [block for block in fenced_blocks("text") if "Stopping generation" in block]
    (answer,) = re.findall(r"ERROR: (package_name) '(\w+)'", sample)
    result = cookiecutter_cli(tmp_path, "=".join(answer))
    assert result.returncode != 0
    assert list(tmp_path.iterdir()) == []
    # The hook's line goes to stderr, then cookiecutter logs to stdout: in a terminal, this order.
    printed = result.stderr.splitlines() + result.stdout.splitlines()
    # The sample's lines, in order, with its `...` standing for the traceback's frames.
    position = 0
    for expected in sample.splitlines():
        if expected.strip() == "...":
            continue
        assert expected in printed[position:], f"{expected!r} not printed (in order)"
        position = printed.index(expected, position) + 1
    assert printed[0] == sample.splitlines()[0]


def test_readme_lists_every_template_session():
    listing = subprocess.run(
        [sys.executable, "-m", "nox", "--list", "--noxfile", TEMPLATE / "noxfile.py"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    sessions = set(re.findall(r"^[*-] (\w+)", listing, flags=re.MULTILINE))
    assert sessions == set(re.findall(r"^\| `nox -s (\w+)`", README, flags=re.MULTILINE))


@pytest.mark.parametrize(
    ("environ", "user"),
    [
        ({}, "metaflow-user"),
        ({"USER": "root"}, "metaflow-user"),
        ({"USER": "root", "USERNAME": "root"}, "metaflow-user"),
        ({"USER": "ada"}, "ada"),
        ({"USERNAME": "grace", "USER": "root"}, "grace"),
    ],
)
def test_sessions_set_a_user_metaflow_accepts(environ, user):
    """The README promises the sessions set USERNAME when it is missing (Metaflow refuses root)."""
    variables = NOXFILE.metaflow_variables("/tmp/state", environ)
    assert variables["USERNAME"] == user


def run_as_root_in_a_copy(tmp_path, command):
    """Run command in a copy of the template's working tree (as a user's clone has it), as CI's
    root user with no USERNAME and no Metaflow settings; return the copy and all output."""
    copy = tmp_path / "cookiecutter-metaflow"
    shutil.copytree(TEMPLATE, copy, ignore=COPY_IGNORED)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("METAFLOW_", "VIRTUAL_ENV")) and k not in ("USERNAME", "LOGNAME")
    }
    env["USER"] = "root"
    result = run(command, cwd=copy, env=env)
    return copy, result.stdout + result.stderr


@pytest.mark.slow
def test_readme_demo_line_renders_a_project_and_runs_its_flow(tmp_path):
    copy, output = run_as_root_in_a_copy(tmp_path, ["bash", "-c", readme_command("demo")])
    results = list((copy / "build" / "demo").glob("*/results/*/summary.txt"))
    assert len(results) == 1, output[-5000:]
    assert (results[0].parent / "card.html").stat().st_size > 10_000
    assert "Card: " in output


def benchmark_figures(output):
    """Return the benchmark's wall times and its largest CV-score difference, from its output."""
    timed = r"^\s*(GridSearchCV|in-process|floor|flow \([\w-]+\)):\s+([\d.]+) s"
    seconds = {name: float(value) for name, value in re.findall(timed, output, flags=re.M)}
    (difference,) = re.findall(r"max \|flow - GridSearchCV\| mean CV score: (\S+)", output)
    return seconds, float(difference)


@pytest.mark.slow
def test_benchmark_session_prints_its_figures_and_equal_scores(tmp_path):
    """`nox -s benchmark`, at the tiny size, two rounds: timings are printed (not judged), each
    round's ratio and walls, the medians and the floor of four steps that only import; scores
    equal."""
    nox = [sys.executable, "-m", "nox", "--session", "benchmark", "--"]
    _, output = run_as_root_in_a_copy(tmp_path, [*nox, "--size", "tiny", "--rounds", "2"])
    seconds, difference = benchmark_figures(output)
    assert {"GridSearchCV", "in-process", "floor", "flow (sharded)"} <= set(seconds), output[-5000:]
    each_round = r"^round [12]: flow / GridSearchCV \d+\.\d\d  \(flow \S+ s, GridSearchCV \S+ s\)$"
    assert len(re.findall(each_round, output, re.M)) == 2
    assert "medians of 2 rounds:" in output
    (least,) = re.findall(r"^  least ratio a four-step flow reaches: (\d+\.\d\d) ", output, re.M)
    assert float(least) > 1
    assert all(value > 0 for value in seconds.values())
    assert difference == 0
