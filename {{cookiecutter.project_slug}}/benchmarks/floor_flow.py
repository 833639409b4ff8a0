"""The floor: what any tournament flow costs before it does any work.

Metaflow needs a join step before `end`, so a flow that fans out has at least four steps:
start, the foreach step, its join, end. Each runs in a fresh process. This flow has those four
steps, imports in each what the tournament's step imports, and does nothing else. The benchmark
runs it beside the tournament, so its printed floor comes from the same machine and minute.
"""

import atexit
import gc

from metaflow import FlowSpec, card, step

atexit.register(gc.freeze)  # as flows/common.py does: the tasks exit without a last collection


class FloorFlow(FlowSpec):
    """Four steps that only import what the tournament's steps import."""

    @step
    def start(self):
        """Import what checking the data, splitting it and planning the fits import."""
        import pandas  # noqa: F401
        import sklearn.model_selection  # noqa: F401

        self.batches = [0]
        self.next(self.fit, foreach="batches")

    @step
    def fit(self):
        """Import what fitting and scoring import."""
        import sklearn.metrics  # noqa: F401

        self.next(self.tournament)

    @step
    def tournament(self, inputs):
        """Import what ranking and refitting import."""
        import sklearn.metrics  # noqa: F401

        self.next(self.end)

    @card(type="blank", id="report")
    @step
    def end(self):
        """Import what drawing the report's figures imports; render an empty card."""
        import matplotlib

        matplotlib.use("Agg")  # as the package's plots do
        import matplotlib.pyplot  # noqa: F401


if __name__ == "__main__":
    FloorFlow()
