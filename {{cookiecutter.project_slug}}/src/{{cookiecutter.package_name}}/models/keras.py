"""Keras 3 (JAX backend) dense networks behind the scikit-learn estimator contract.

Keras is imported inside `fit`, so importing this module (and unpickling a model that was
never fitted) stays cheap; the backend is chosen before the first Keras import.
"""

import os
import warnings
from contextlib import contextmanager

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import check_is_fitted


def _import_keras():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    # One thread per fit: the tournament runs its parallelism across tasks.
    os.environ.setdefault(
        "XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
    )
    import keras

    return keras


@contextmanager
def _quiet():
    # Keras reads weights through a numpy 1-style `__array__` (restore_best_weights, pickling);
    # numpy 2 warns about it on every call. Nothing to act on here: silence that one warning.
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=r"__array__ implementation", category=DeprecationWarning
        )
        yield


class _KerasNet(BaseEstimator):
    _classifier = False

    def __init__(
        self,
        hidden_layers=(32,),
        activation="relu",
        l1=0.0,
        l2=0.0,
        learning_rate=1e-3,
        epochs=100,
        batch_size=32,
        early_stopping_patience=10,
        validation_fraction=0.1,
        random_state=0,
        verbose=0,
    ):
        self.hidden_layers = hidden_layers
        self.activation = activation
        self.l1 = l1
        self.l2 = l2
        self.learning_rate = learning_rate
        self.epochs = epochs
        self.batch_size = batch_size
        self.early_stopping_patience = early_stopping_patience
        self.validation_fraction = validation_fraction
        self.random_state = random_state
        self.verbose = verbose

    def _network(self, keras, n_features, n_outputs, output_activation):
        regularizer = keras.regularizers.L1L2(l1=self.l1, l2=self.l2)
        layers = [keras.Input(shape=(n_features,))]
        for units in self.hidden_layers:
            layers.append(
                keras.layers.Dense(
                    int(units), activation=self.activation, kernel_regularizer=regularizer
                )
            )
        layers.append(
            keras.layers.Dense(
                n_outputs, activation=output_activation, kernel_regularizer=regularizer
            )
        )
        return keras.Sequential(layers)

    def _targets(self, y):
        return np.asarray(y, dtype=np.float32).reshape(-1, 1)

    def fit(self, X, y):
        keras = _import_keras()
        keras.utils.set_random_seed(int(self.random_state))
        X = np.asarray(X, dtype=np.float32)
        y = np.asarray(y)
        self.n_features_in_ = X.shape[1]
        targets, n_outputs, activation, loss = self._setup(y)
        self.model_ = self._network(keras, X.shape[1], n_outputs, activation)
        self.model_.compile(
            optimizer=keras.optimizers.Adam(learning_rate=self.learning_rate), loss=loss
        )
        callbacks = []
        validation = None
        X_fit, y_fit = X, targets
        if self.early_stopping_patience:
            X_fit, X_val, y_fit, y_val = train_test_split(
                X,
                targets,
                test_size=self.validation_fraction,
                random_state=self.random_state,
                stratify=targets if self._classifier else None,
            )
            validation = (X_val, y_val)
            stopper = keras.callbacks.EarlyStopping(
                monitor="val_loss",
                patience=int(self.early_stopping_patience),
                restore_best_weights=True,
            )
            callbacks.append(stopper)
        with _quiet():
            history = self.model_.fit(
                X_fit,
                y_fit,
                validation_data=validation,
                epochs=int(self.epochs),
                batch_size=int(self.batch_size),
                callbacks=callbacks,
                shuffle=True,
                verbose=self.verbose,
            )
        if validation is not None:
            self.best_iteration_ = int(np.argmin(history.history["val_loss"])) + 1
        else:
            self.best_iteration_ = int(self.epochs)
        return self

    def _raw(self, X):
        check_is_fitted(self, "model_")
        X = np.asarray(X, dtype=np.float32)
        with _quiet():
            return np.asarray(self.model_.predict(X, batch_size=4096, verbose=0))

    def refit_params(self, iterations):
        """Train exactly `iterations` epochs on all the data given, no validation split."""
        return {"epochs": max(int(iterations), 1), "early_stopping_patience": 0}

    def __getstate__(self):
        # Pickling saves the Keras model's weights through the same numpy path.
        with _quiet():
            state = dict(self.__dict__)
            if "model_" in state:
                import pickle

                state["model_"] = pickle.dumps(state["model_"])
        return state

    def __setstate__(self, state):
        if isinstance(state.get("model_"), bytes):
            import pickle

            _import_keras()
            with _quiet():
                state = {**state, "model_": pickle.loads(state["model_"])}
        self.__dict__.update(state)


class KerasRegressor(RegressorMixin, _KerasNet):
    """Dense Keras network for regression (mean squared error)."""

    def _setup(self, y):
        # A standardised target keeps the default learning rate sensible at any scale.
        y = np.asarray(y, dtype=np.float64)
        self.y_mean_ = float(np.mean(y))
        self.y_scale_ = float(np.std(y)) or 1.0
        return self._targets((y - self.y_mean_) / self.y_scale_), 1, None, "mse"

    def predict(self, X):
        return self._raw(X).reshape(-1) * self.y_scale_ + self.y_mean_


class KerasClassifier(ClassifierMixin, _KerasNet):
    """Dense Keras network for classification (sigmoid for two classes, else softmax)."""

    _classifier = True

    def _setup(self, y):
        self.classes_, codes = np.unique(y, return_inverse=True)
        if len(self.classes_) == 2:
            return codes.astype(np.float32).reshape(-1, 1), 1, "sigmoid", "binary_crossentropy"
        return (
            codes.astype(np.int32),
            len(self.classes_),
            "softmax",
            "sparse_categorical_crossentropy",
        )

    def predict_proba(self, X):
        raw = self._raw(X)
        if len(self.classes_) == 2:
            positive = raw.reshape(-1)
            return np.column_stack([1.0 - positive, positive])
        return raw

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
