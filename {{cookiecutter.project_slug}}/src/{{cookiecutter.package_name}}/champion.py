"""Champion and challenger: a new winner replaces the branch's model only when it is better.

The champion of a `@project` branch is its newest successful run tagged `champion`. A new
tournament's winner (the challenger) is compared with it on the challenger's held-out rows, each
through the model behind its held-out score: the winner refit on its training split only. The
deployed models trained on every row, held-out rows included, so scoring them would favour
whichever had seen the rows. Rows of the champion's training split are left out (by value: the
same table split again with another seed shares rows), and the two compete on the rest;
`[promotion] min_improvement` decides.

Moving the tag: the promoted run is tagged first, then the tag is removed from the branch's
other champions. Readers take the newest tagged run, so at every moment exactly one run is the
champion: the old one until the new one is tagged, the new one from then on. When two runs
finish together, each compared itself with the champion it saw and removes the tag only from
runs older than itself, so the newer run wins; a rollback by hand (`promote`) removes the tag
from every other run of the branch. By hand::

    python -m {{ cookiecutter.package_name }}.champion show [--branch prod]
    python -m {{ cookiecutter.package_name }}.champion promote <run-id>   # promote or roll back
"""

import argparse
import sys
from dataclasses import dataclass
from typing import Any

import pandas as pd

from . import runs
from .runs import CHAMPION_TAG, ModelLoadError


@dataclass(frozen=True)
class Verdict:
    """The comparison of a challenger with the branch's champion, and the decision."""

    challenger_score: float
    champion: str | None
    champion_score: float | None
    promote: bool
    reason: str
    rows: int | None = None  # held-out rows both were scored on (None: no comparison)


def challenge(
    branch: str,
    challenger: Any,
    challenger_score: float,
    test: pd.DataFrame,
    metric: str,
    min_improvement: float,
) -> Verdict:
    """Score the branch's champion and the `challenger` (its held-out model, whose score on
    `test` is `challenger_score`) on the rows of `test` the champion never trained on; decide."""
    current = runs.champion_run(branch)
    if current is None:
        return Verdict(challenger_score, None, None, True, f"branch {branch} has no champion yet")
    from sklearn.metrics import get_scorer

    from .schema import SchemaError

    try:
        champion, seen = runs.load_holdout_model(current)
        target = champion.schema["target"]
        rows = test[~_row_keys(test, champion.schema).isin(_row_keys(seen, champion.schema))]
        if rows.empty:
            raise ValueError("it trained on every one of them")
        # Columns the champion never knew are not its problem; columns it needs and lacks are.
        known = [name for name in rows.columns if name in champion.schema["columns"]]
        features, _ = champion.check(rows[known])
        score = get_scorer(metric)
        champion_score = float(score(champion.model, features, rows[target]))
        left_out = len(rows) < len(test)
        if left_out:
            challenger_score = float(score(challenger, rows.drop(columns=[target]), rows[target]))
    except (ModelLoadError, SchemaError, KeyError, ValueError) as error:
        first = str(error).strip().splitlines()[0]
        return Verdict(
            challenger_score,
            current.pathspec,
            None,
            False,
            f"not promoted: champion {current.pathspec} cannot score these rows ({first}); "
            "compare by hand, then promote with the champion command",
        )
    gain = challenger_score - champion_score
    promote = gain >= min_improvement
    basis = f" on {len(rows)} of {len(test)} held-out rows" if left_out else ""
    decision = "promoted" if promote else "not promoted"
    reason = (
        f"{decision}: {metric} {gain:+.4f} against the champion{basis} (needed {min_improvement:+})"
    )
    if not promote:
        reason += f"; {current.pathspec} stays champion"
    return Verdict(challenger_score, current.pathspec, champion_score, promote, reason, len(rows))


def _row_keys(frame: pd.DataFrame, schema: dict[str, Any]) -> pd.Series:
    """One hash per row of the champion's columns (features and target) that `frame` has.

    Numbers hash as floats: a column read as integers from one file and as floats from
    another still holds the same rows.
    """
    columns = [name for name in [*schema["columns"], schema["target"]] if name in frame.columns]
    values = pd.DataFrame(
        {
            name: frame[name].astype("float64")
            if pd.api.types.is_numeric_dtype(frame[name])
            else frame[name].astype(str)
            for name in columns
        }
    )
    return pd.util.hash_pandas_object(values, index=False)


def promote(run: Any, *, by_hand: bool = False) -> list[str]:
    """Tag `run` champion of its branch, then untag the others; return the demoted pathspecs.

    Automatic promotions untag only older runs (see the module docstring); by hand, every other.
    """
    branch = runs.branch_of(run)
    if branch is None:
        raise ModelLoadError(f"{run.pathspec} has no @project branch")
    run.add_tag(CHAMPION_TAG)
    demoted = []
    for other in runs.branch_runs(branch, CHAMPION_TAG):
        older = runs.started(other) < runs.started(run)
        if other.id != run.id and (by_hand or older):
            other.remove_tag(CHAMPION_TAG)
            demoted.append(other.pathspec)
    return demoted


def main(argv: list[str] | None = None) -> int:
    """Show a branch's champion, or promote a run by hand (a rollback is a promotion)."""
    from metaflow.exception import MetaflowException

    parser = argparse.ArgumentParser(prog=f"python -m {__name__}", description=main.__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    show = commands.add_parser("show", help="print the champion of a branch")
    show.add_argument("--branch", help="@project branch (default: your own user branch)")
    chosen = commands.add_parser("promote", help="make a run the champion of its branch")
    chosen.add_argument("run", help="run id or ModelSelectionFlow/<run-id>")
    args = parser.parse_args(argv)
    try:
        if args.command == "show":
            branch = args.branch or runs.default_branch()
            current = runs.champion_run(branch)
            print(current.pathspec if current else f"branch {branch} has no champion")
            return 0
        run, _ = runs.choose(args.run)
        demoted = promote(run, by_hand=True)
        print(f"{run.pathspec} is the champion of branch {runs.branch_of(run)}")
        for pathspec in demoted:
            print(f"  {pathspec} is no longer champion")
        return 0
    except (ModelLoadError, MetaflowException) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
