"""Remove the files of options the user did not choose, then say what to type next."""

import shutil
from pathlib import Path

NEURAL_NET = {{ cookiecutter.neural_net|jsonify }}
INCLUDE_NOTEBOOK = {{ 'True' if cookiecutter.include_notebook else 'False' }}
CI = {{ cookiecutter.ci|jsonify }}
PROJECT_SLUG = {{ cookiecutter.project_slug|jsonify }}
PACKAGE = {{ cookiecutter.package_name|jsonify }}

# Paths (relative to the project root) that belong to one option only.
ONLY_WITH = {
    "keras": [
        f"src/{PACKAGE}/models/keras.py",
        "tests/test_keras_model.py",
    ],
    "notebook": [
        "notebooks",
        "tests/test_notebook.py",
    ],
    "github": [
        ".github",
    ],
}


def unwanted():
    """Yield the option groups the answers leave out."""
    if NEURAL_NET != "keras":
        yield "keras"
    if not INCLUDE_NOTEBOOK:
        yield "notebook"
    if CI != "github":
        yield "github"


def remove(path):
    """Delete a file or a folder; a path another option already removed is fine."""
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()


def main():
    """Prune the project and print the next three commands."""
    root = Path.cwd()
    for group in unwanted():
        for relative in ONLY_WITH[group]:
            remove(root / relative)
    print(
        f"\nCreated {PROJECT_SLUG}. Next:\n\n"
        f"  cd {PROJECT_SLUG}\n"
        "  python3 -m venv .venv && .venv/bin/pip install -e '.[dev]'\n"
        "  .venv/bin/python flows/model_selection.py run\n"
    )


if __name__ == "__main__":
    main()
