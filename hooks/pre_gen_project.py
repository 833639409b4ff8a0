"""Validate the answers before cookiecutter writes a single project file.

Cookiecutter runs this hook inside the freshly created (still empty) project folder and
removes that folder when the hook exits non-zero, so a bad answer leaves nothing behind.
Each refused answer prints one line naming the field the user typed, the value and the rule;
an answer made from a refused one (the slug from the name, say) adds no line of its own.
Choice answers need no check: cookiecutter refuses a value outside the choices itself.
"""

import json
import keyword
import re
import sys

# Every answer, and the prompt each was typed at (see local_extensions.answer_origins).
ANSWERS = json.loads({{ cookiecutter|jsonify|jsonify }})
ORIGINS = dict(json.loads({{ answer_origins(cookiecutter)|jsonify|jsonify }}))
RESERVED = json.loads({{ reserved_modules()|jsonify|jsonify }})

# Longest project name, repository name and package name accepted, in characters: room for
# titles and paths, and far below the 255 bytes a file name can take.
LONGEST = 64
# Spelled in two halves: this file is itself a Jinja template.
SYNTAX = ("{" + "{", "{" + "%", "{" + "#")
# sys.stdlib_module_names leaves out the standard library's own `test` package.
STDLIB = set(sys.stdlib_module_names) | {"test"}
SLUG = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")
PACKAGE = re.compile(r"[a-z][a-z0-9_]*")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
GITHUB_OWNER = re.compile(r"[A-Za-z0-9](-?[A-Za-z0-9]){0,38}")


def length_rule(value):
    """Return why value is too long, or None."""
    if len(value) > LONGEST:
        return f"is {len(value)} characters long: keep it to {LONGEST}"
    return None


def name_rule(name):
    if not name.strip():
        return "is empty: give the project a name"
    return length_rule(name)


def slug_rule(slug):
    if not slug:
        return "is empty: use letters or digits"
    if not SLUG.fullmatch(slug):
        return (
            "is not a valid distribution name: use lowercase letters, digits and single "
            "dashes, starting with a letter (e.g. churn-model)"
        )
    return length_rule(slug)


def package_rule(package):
    if not PACKAGE.fullmatch(package) or keyword.iskeyword(package):
        return (
            "is not a valid import name: use lowercase letters, digits and underscores, "
            "starting with a letter, and no Python keyword"
        )
    if package in RESERVED["dependencies"]:
        where = "a module installed with the project's dependencies"
    elif package in STDLIB:
        where = "a module of the standard library"
    elif package in RESERVED["project"]:
        where = f"the project's own {RESERVED['project'][package]}"
    else:
        return length_rule(package)
    return f"would shadow the module of the same name ({where}): choose another"


def email_rule(email):
    if not EMAIL.fullmatch(email):
        return "is not an e-mail address: use the form name@example.com"
    return None


def owner_rule(owner):
    if not GITHUB_OWNER.fullmatch(owner):
        return (
            "is not a GitHub user or organisation name: use letters, digits and single "
            "dashes, at most 39 characters"
        )
    return None


RULES = {
    "project_name": name_rule,
    "project_slug": slug_rule,
    "package_name": package_rule,
    "author_email": email_rule,
    "github_owner": owner_rule,
}


def problems(answers, origins):
    """Yield one message per refused answer, naming the prompt the user typed it at."""
    refused = set()
    # Typed answers first, then the ones made from them, each in cookiecutter.json's order.
    fields = [field for field in origins if field in answers]
    fields += [field for field in answers if field not in origins]
    typed = [field for field in fields if origins.get(field, field) == field]
    derived = [field for field in fields if field not in typed]
    for field in typed + derived:
        value = answers[field]
        if field.startswith("_") or not isinstance(value, str):
            continue
        origin = origins.get(field, field)
        if origin in refused:
            continue  # made from an answer already refused
        if any(marker in value for marker in SYNTAX):
            rule = f"contains template syntax ({', '.join(SYNTAX)}): answers are plain text"
        elif field in RULES:
            rule = RULES[field](value)
        else:
            continue
        if rule is None:
            continue
        refused.add(field)
        if origin == field:
            yield f"{field} {value!r} {rule}"
        else:
            refused.add(origin)
            yield (
                f"{origin} {answers[origin]!r} gives the {field} {value!r}, which {rule}; "
                f"change {origin} or answer {field} yourself"
            )


def main():
    """Exit non-zero with one line per refused answer."""
    found = list(problems(ANSWERS, ORIGINS))
    for message in found:
        print(f"ERROR: {message}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
