"""Column preprocessing per contender: scaled + one-hot, ordinal (trees), or none."""

from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler


def make_preprocessor(kind, numeric, categorical):
    """Return the ColumnTransformer for one preprocessing kind.

    `scaled` (linear models, neural nets): impute + standardise numbers, one-hot categories.
    `ordinal` (LightGBM): numbers untouched (trees handle scale and NaN), categories as codes.
    `none`: numbers only, untouched (for estimators that bring their own preprocessing).
    """
    numeric = list(numeric)
    categorical = list(categorical)
    if kind == "scaled":
        transformers = [
            (
                "numeric",
                Pipeline(
                    [("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]
                ),
                numeric,
            ),
            (
                "categorical",
                OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                categorical,
            ),
        ]
    elif kind == "ordinal":
        transformers = [
            ("numeric", "passthrough", numeric),
            (
                "categorical",
                OrdinalEncoder(
                    handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-1
                ),
                categorical,
            ),
        ]
    elif kind == "none":
        transformers = [("numeric", "passthrough", numeric)]
    else:
        raise ValueError(f"unknown preprocessing {kind!r}")
    transformers = [item for item in transformers if item[2]]
    return ColumnTransformer(transformers, remainder="drop", verbose_feature_names_out=False)
