"""What the flows call: every decision of a tournament and of scoring lives here.

Words, one meaning each:

- contender: a model family's table in the config (an estimator and its search space);
- family: a contender's name (`lightgbm`, `linear`, ... and `ensemble`, the stacking one);
- candidate: one parameter set of a contender (`lightgbm-3`);
- fit: one candidate trained on one fold's training rows and scored on that fold;
- batch: the fits one task of the `fit` foreach runs;
- problem: regression or classification (never "task": a task is Metaflow's);
- config: the checked tournament config; schema: the columns a model was trained on;
- winner: a run's best candidate; champion: the run whose model a branch uses.
"""

__version__ = "0.1.0"
