"""Remove the files of options the user did not choose, then say what to type next."""

import json
import shutil
from pathlib import Path

ANSWERS = json.loads({{ cookiecutter|jsonify|jsonify }})
# cookiecutter.json's `_only_with`: prompt -> the answer that keeps them -> path patterns
# (relative to the project root; a folder goes with everything in it). The template tests read
# the same declaration.
ONLY_WITH = ANSWERS["_only_with"]


def answer_key(value):
    """Spell an answer the way `_only_with` keys do (JSON for yes/no: true, false)."""
    return json.dumps(value) if isinstance(value, bool) else str(value)


def unwanted():
    """Yield the path patterns of the options the answers leave out."""
    for prompt, groups in ONLY_WITH.items():
        for kept_with, patterns in groups.items():
            if answer_key(ANSWERS[prompt]) != kept_with:
                yield from patterns


def remove(path):
    """Delete a file or a folder; a path another option already removed is fine."""
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()


def main():
    """Prune the project and print the next three commands."""
    root = Path.cwd()
    for pattern in unwanted():
        for path in sorted(root.glob(pattern)):
            remove(path)
    slug = ANSWERS["project_slug"]
    print(
        f"\nCreated {slug}. Next:\n\n"
        f"  cd {slug}\n"
        "  uv sync\n"
        "  uv run python flows/model_selection.py run\n"
        "\n(without uv: see the README's quickstart)\n"
    )


if __name__ == "__main__":
    main()
