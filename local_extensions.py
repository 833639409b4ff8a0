"""The template's Jinja extension (cookiecutter.json `_extensions`): answers stay plain text.

Cookiecutter renders every answer given on its command line (`--no-input key=value`), in a
user's config file or replayed by cruft as a Jinja template: `{{ 7*7 }}` would become 49 and a
lone `{{` would stop with a TemplateSyntaxError before the validation hook can say what is
wrong. This extension leaves the template's own Jinja alone (cookiecutter.json's defaults, file
and folder names, the hook scripts) and turns any other source holding template syntax into a
literal, so the pre-generation hook sees what was typed and refuses it in one line.

It also gives the hooks what their rendered context cannot tell them: which answers are
defaults derived from another answer, which import names a package must not take, and a folder
name cookiecutter can create for the project even when the answer is not a usable one.

Cookiecutter and cruft both put the template folder on sys.path, so `local_extensions` imports.
"""

import json
import re
from functools import partial
from pathlib import Path

from jinja2.ext import Extension

ROOT = Path(__file__).resolve().parent
CONTEXT = json.loads((ROOT / "cookiecutter.json").read_text(encoding="utf-8"))
PROJECT = ROOT / "{{cookiecutter.project_slug}}"
SYNTAX = ("{{", "{%", "{#")
# The project folder cookiecutter creates, as spelled in the template tree.
PROJECT_FOLDER = "{{cookiecutter.project_slug}}"
# What the project folder is called while the pre-generation hook refuses an answer that is no
# usable folder name (empty, ".", a path, too long): cookiecutter creates the folder before the
# hook runs and removes it when the hook fails.
REFUSED_FOLDER = "refused-project-slug"
# Top-level modules of the rendered project's dependencies, all extras (see the file's header).
RESERVED_FILE = ROOT / "hooks" / "reserved_modules.txt"


def _strings(value):
    """Yield every string inside a JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _own_sources():
    """Return the Jinja sources the template itself hands to `from_string`."""
    sources = set(_strings(CONTEXT))
    sources |= {p.read_text(encoding="utf-8") for p in (ROOT / "hooks").glob("*.py")}
    return sources


def _name_segments():
    """Return the Jinja expressions used in the template's file and folder names."""
    return {
        segment for path in PROJECT.rglob("*") for segment in re.findall(r"\{\{.*?\}\}", path.name)
    } | {PROJECT_FOLDER}


OWN_SOURCES = _own_sources()
NAME_SEGMENTS = _name_segments()


def is_own(source):
    """Tell whether source is Jinja the template wrote (a default, a hook, a path)."""
    if source in OWN_SOURCES:
        return True
    if "\n" in source:
        return False
    # File and folder paths: the template's name segments, around plain path text.
    for segment in NAME_SEGMENTS:
        source = source.replace(segment, "")
    return not any(marker in source for marker in SYNTAX)


def literal(source):
    """Return a Jinja source that renders exactly source (a quoted string expression)."""
    # Jinja unescapes string literals like Python's unicode-escape: JSON escaping round-trips.
    return "{{ " + json.dumps(source, ensure_ascii=False) + " }}"


def project_folder(slug):
    """Return slug when it can be a folder name, else a placeholder for the refusing hook."""
    usable = (
        slug not in ("", ".", "..")
        and not any(char in slug for char in "/\\\0")
        and len(slug.encode("utf-8")) <= 255
    )
    return slug if usable else REFUSED_FOLDER


def answer_origins(environment, answers):
    """Return (answer, the prompt it was typed at) pairs, in cookiecutter.json's order.

    An answer equal to its default, when that default is made from one other answer, comes
    from that answer's prompt: package_name from project_slug, which comes from project_name.
    Pairs, not a mapping: the `jsonify` filter sorts a mapping's keys.
    """
    origins = {}
    for key, raw in CONTEXT.items():
        origins[key] = key
        if key.startswith("_") or not isinstance(raw, str) or key not in answers:
            continue
        sources = set(re.findall(r"cookiecutter\.(\w+)", raw))
        if len(sources) != 1:
            continue
        (source,) = sources
        default = environment.from_string(raw).render(cookiecutter=answers)
        if answers[key] == default:
            origins[key] = origins.get(source, source)
    return list(origins.items())


def reserved_modules():
    """Return the import names a generated package must not take, by where they come from.

    `dependencies`: top-level modules installed with the project (all extras), generated into
    hooks/reserved_modules.txt by `nox -s reserved_modules`; `project`: the rendered project's
    own modules and folders that end up importable (flows/common.py, noxfile.py, tests, ...),
    read from the template tree. The standard library is the hook's own sys.stdlib_module_names.
    """
    dependencies = [
        line.strip()
        for line in RESERVED_FILE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    project = {}
    for path in sorted(PROJECT.rglob("*")):
        relative = path.relative_to(PROJECT)
        if "{{" in str(relative):
            continue  # the package itself
        if path.is_dir() and len(relative.parts) == 1:
            project[path.name] = f"{relative.as_posix()}/"
        elif path.suffix == ".py":
            project.setdefault(path.stem, relative.as_posix())
    return {"dependencies": dependencies, "project": project}


class LiteralAnswers(Extension):
    """Render answers as the text they are; give the hooks their helpers."""

    def __init__(self, environment):
        super().__init__(environment)
        environment.filters["project_folder"] = project_folder
        environment.globals["answer_origins"] = partial(answer_origins, environment)
        environment.globals["reserved_modules"] = reserved_modules

    def preprocess(self, source, name, filename=None):
        """Keep foreign template syntax literal; give the project folder a usable name."""
        if name is not None:
            return source  # a template file, loaded by name: the template's own
        if source == PROJECT_FOLDER:
            return "{{ cookiecutter.project_slug|project_folder }}"
        if any(marker in source for marker in SYNTAX) and not is_own(source):
            return literal(source)
        return source
