"""Validate the answers before cookiecutter writes a single project file.

Cookiecutter runs this hook inside the freshly created (still empty) project folder and
removes that folder when the hook exits non-zero, so a bad answer leaves nothing behind.
Each failure prints one line: the field, the value and the rule it breaks.
"""

import keyword
import re
import sys

ANSWERS = {
    "project_name": {{ cookiecutter.project_name|jsonify }},
    "project_slug": {{ cookiecutter.project_slug|jsonify }},
    "package_name": {{ cookiecutter.package_name|jsonify }},
    "author_email": {{ cookiecutter.author_email|jsonify }},
    "github_owner": {{ cookiecutter.github_owner|jsonify }},
    "python_version": {{ cookiecutter.python_version|jsonify }},
    "task": {{ cookiecutter.task|jsonify }},
    "neural_net": {{ cookiecutter.neural_net|jsonify }},
    "ci": {{ cookiecutter.ci|jsonify }},
    "license": {{ cookiecutter.license|jsonify }},
}

# Import names a generated package must not take: they would shadow a dependency, a test
# tool, or a module of the generated project itself (flows/common.py, noxfile.py).
SHADOWED = {
    "metaflow", "sklearn", "scikit_learn", "lightgbm", "pandas", "numpy", "scipy",
    "matplotlib", "keras", "jax", "jaxlib", "pyarrow", "joblib", "threadpoolctl", "tomli",
    "pytest", "ruff", "nox", "nbclient", "ipykernel", "pre_commit", "boto3", "kubernetes",
    "test", "tests", "common", "flows", "configs", "src", "noxfile", "conftest", "setup",
    "model_selection", "predict",
}
CHOICES = {
    "python_version": ("3.10", "3.11", "3.12", "3.13"),
    "task": ("regression", "classification"),
    "neural_net": ("sklearn-mlp", "keras", "none"),
    "ci": ("github", "none"),
    "license": ("MIT", "Apache-2.0", "BSD-3-Clause", "Proprietary"),
}
SLUG = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")
PACKAGE = re.compile(r"[a-z][a-z0-9_]*")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
GITHUB_OWNER = re.compile(r"[A-Za-z0-9](-?[A-Za-z0-9]){0,38}")


def problems(answers):
    """Yield one message per answer that breaks a rule."""
    if not answers["project_name"].strip():
        yield "project_name '' is empty: give the project a name"
    slug = answers["project_slug"]
    if not SLUG.fullmatch(slug):
        yield (
            f"project_slug {slug!r} is not a valid distribution name: use lowercase letters, "
            "digits and single dashes, starting with a letter (e.g. churn-model)"
        )
    package = answers["package_name"]
    if not PACKAGE.fullmatch(package) or keyword.iskeyword(package):
        yield (
            f"package_name {package!r} is not a valid import name: use lowercase letters, "
            "digits and underscores, starting with a letter, and no Python keyword"
        )
    elif package in SHADOWED or package in sys.stdlib_module_names:
        yield (
            f"package_name {package!r} would shadow the module of the same name "
            "(a dependency, the standard library or the project's own): choose another"
        )
    email = answers["author_email"]
    if not EMAIL.fullmatch(email):
        yield f"author_email {email!r} is not an e-mail address: use the form name@example.com"
    owner = answers["github_owner"]
    if not GITHUB_OWNER.fullmatch(owner):
        yield (
            f"github_owner {owner!r} is not a GitHub user or organisation name: use letters, "
            "digits and single dashes, at most 39 characters"
        )
    for field, allowed in CHOICES.items():
        if answers[field] not in allowed:
            yield f"{field} {answers[field]!r} is not one of: {', '.join(allowed)}"


def main():
    """Exit non-zero with one line per broken rule."""
    found = list(problems(ANSWERS))
    for message in found:
        print(f"ERROR: {message}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
