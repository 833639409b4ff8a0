"""The debug notebook is committed clean and runs headlessly against a real run."""

import json
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "debug.ipynb"


def execute(run_pathspec, timeout=600):
    """Run every cell of the notebook (cwd = notebooks/) on the given run; return the notebook."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    tagged = [cell for cell in notebook.cells if "parameters" in cell.metadata.get("tags", [])]
    (parameters,) = tagged
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


def test_notebook_is_committed_without_outputs():
    text = NOTEBOOK.read_text(encoding="utf-8")
    assert '"output_type"' not in text
    cells = json.loads(text)["cells"]
    code = [cell for cell in cells if cell["cell_type"] == "code"]
    assert all(cell["execution_count"] is None and cell["outputs"] == [] for cell in code)
    sources = "".join("".join(cell["source"]) for cell in code)
    assert "%autoreload 2" in sources
    assert "import common" in sources


@pytest.mark.flow
def test_notebook_runs_against_a_successful_run(smoke_run):
    notebook = execute(smoke_run.pathspec)
    text = printed(notebook)
    assert f"{smoke_run.pathspec}: successful" in text
    assert "no failed task" in text
    assert "matches the stored leaderboard: True" in text
    assert "final model:" in text
