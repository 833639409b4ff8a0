"""The debug notebook is committed clean, imports only the package, and runs headlessly.

It runs here against the shared smoke run; test_resume.py runs it against a failed run, with the
default `RUN = None`.
"""

import json
import re
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "debug.ipynb"


def execute(run_pathspec=None, timeout=600):
    """Run every cell (cwd = notebooks/) on the given run, or on the default; return it."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    (parameters,) = [
        cell for cell in notebook.cells if "parameters" in cell.metadata.get("tags", [])
    ]
    assert "RUN = None" in parameters.source
    if run_pathspec is not None:
        parameters.source += f"\nRUN = {run_pathspec!r}\n"
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    client.execute()
    return notebook


def printed(notebook):
    """Everything the cells wrote to stdout, as one string."""
    return "".join(
        output.get("text", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "stream"
    )


def test_notebook_is_committed_without_outputs_and_imports_only_the_package():
    text = NOTEBOOK.read_text(encoding="utf-8")
    assert '"output_type"' not in text
    cells = json.loads(text)["cells"]
    code = [cell for cell in cells if cell["cell_type"] == "code"]
    assert all(cell["execution_count"] is None and cell["outputs"] == [] for cell in code)
    sources = "\n".join("".join(cell["source"]) for cell in code)
    assert "%autoreload 2" in sources
    assert "sys.path" not in sources
    imported = set(re.findall(r"^(?:from|import) ([\w.]+)", sources, flags=re.MULTILINE))
    assert {name.split(".")[0] for name in imported} == {
        "IPython",
        "pathlib",
        "pandas",
        "metaflow",
        "sklearn",
        "{{ cookiecutter.package_name }}",
    }


@pytest.mark.flow
def test_notebook_runs_against_a_successful_run(smoke_run):
    text = printed(execute(smoke_run.pathspec))
    assert f"{smoke_run.pathspec}: successful" in text
    assert "no failed task" in text
    assert "matches the stored leaderboard: True" in text
    assert "| same: True" in text
    metric, score = smoke_run.data.metric, smoke_run.data.test_score
    assert f"held-out {metric} stored by the run: {score}" in text
    assert f"winner: {smoke_run.data.winner['candidate']} " in text
