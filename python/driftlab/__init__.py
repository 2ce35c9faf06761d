"""driftlab for Python: seeded simulations of how fast a recommender pulls ordinary accounts
toward a flagged cluster, and what mitigations cost, with results as pandas DataFrames.

The engine is driftlab's own (the native module ``driftlab._native``): a scenario is read and
checked as ``driftlab run`` reads it, a run with ``out=`` writes the same files, byte for byte,
and runs release the GIL.

>>> import driftlab
>>> scenario = driftlab.Scenario.from_toml("scenarios/smoke.toml", set={"steps": 10})
>>> results = scenario.run(threads=2)
>>> results.steps().groupby("arm", observed=True)["flagged_share"].mean()
"""

from __future__ import annotations

import builtins as _builtins
import os
import sys
TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing

from . import _native
from ._native import DriftlabError, PluginError, ScenarioError
from ._plugins import Batch, Mitigation, ParamError, Policy

if TYPE_CHECKING:  # `typing` names in annotations only: importing driftlab stays cheap
    from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Union

    PathLike = Union[str, os.PathLike[str]]
    #: ``progress`` of :meth:`Scenario.run`: True (a line on stderr), or ``f(done, total, name)``.
    Progress = Union[bool, Callable[[int, int, str], Any], None]

__all__ = [
    "Batch",
    "DriftlabError",
    "Mitigation",
    "ParamError",
    "PluginError",
    "Policy",
    "Results",
    "Scenario",
    "ScenarioError",
    "list",
    "load",
]
__version__: str = _native.__version__

#: What :meth:`Results.steps`, :meth:`Results.probes` and :meth:`Results.summary` can return.
FRAMES = ("pandas", "polars", "arrow")


def _frame(columns: List[tuple], to: str = "pandas") -> "Any":
    """A DataFrame from the native module's typed columns (no text parsing): pandas (default),
    polars or a pyarrow Table, with the same column names and types."""
    import numpy as np

    if to not in FRAMES:
        raise ValueError(f"to={to!r}: expected one of {', '.join(map(repr, FRAMES))}")
    if to == "pandas":
        import pandas as pd
    else:
        try:
            if to == "polars":
                import polars as pl
            else:
                import pyarrow as pa
        except ImportError as e:  # the optional backends are the user's to install
            raise ImportError(f"to={to!r} needs the `{to if to == 'polars' else 'pyarrow'}` "
                              f"package: pip install {to if to == 'polars' else 'pyarrow'}") from e
    data: Dict[str, Any] = {}
    for name, kind, raw, extra in columns:
        if kind in ("f8", "i8"):
            values = np.frombuffer(raw, dtype=np.float64 if kind == "f8" else np.int64)
            data[name] = values if to != "arrow" else pa.array(values)
        elif kind == "bool":
            values = np.frombuffer(raw, dtype=np.uint8).astype(bool)
            data[name] = values if to != "arrow" else pa.array(values)
        elif kind == "Int64":
            values = np.frombuffer(raw, dtype=np.int64).copy()
            mask = np.frombuffer(extra, dtype=np.uint8).astype(bool)
            if to == "pandas":
                data[name] = pd.arrays.IntegerArray(values, mask)
            elif to == "polars":
                data[name] = pl.Series(name, values).scatter(np.flatnonzero(mask), None)
            else:
                data[name] = pa.array(values, mask=mask)
        elif kind == "cat":
            codes = np.frombuffer(raw, dtype=np.int32)
            if to == "pandas":
                data[name] = pd.Categorical.from_codes(codes, categories=extra)
            elif to == "polars":
                # An Enum keeps the categories in the scenario's order, as pandas does.
                labels = np.asarray(extra, dtype=object)[codes] if len(codes) else []
                data[name] = pl.Series(name, labels, dtype=pl.Enum(extra))
            else:
                data[name] = pa.DictionaryArray.from_arrays(
                    pa.array(codes, type=pa.int32()), pa.array(extra, type=pa.string())
                )
        elif kind == "str":
            data[name] = (pd.array(extra, dtype=object) if to == "pandas"
                          else extra if to == "polars" else pa.array(extra, type=pa.string()))
        else:  # pragma: no cover - the native module and this file ship together
            raise DriftlabError(f"unknown column kind {kind!r} for {name!r}")
    if to == "pandas":
        return pd.DataFrame(data)
    if to == "polars":
        return pl.DataFrame(data)
    return pa.table(data)


class Results:
    """The results of a run: in memory (``Scenario.run()``) or in a results directory
    (``Scenario.run(out=...)``, :func:`load`). Both give the same frames for the same run:
    the step metrics are the six decimals ``steps.csv`` holds.

    Each table is a pandas DataFrame by default; ``to="polars"`` gives a polars DataFrame
    (categories as ``pl.Enum`` in the scenario's order, <NA> as null) and ``to="arrow"`` a
    pyarrow Table (categories dictionary-encoded), for users who have those packages.
    """

    def __init__(self, native: "_native.Results") -> None:
        self._native = native

    @property
    def arms(self) -> List[str]:
        """Arm names, in the scenario's order (the first is the baseline of differences)."""
        return self._native.arms

    @property
    def dir(self) -> Optional[str]:
        """The results directory, or None for a run in memory."""
        d = self._native.dir
        return None if d is None else os.fspath(d)

    def steps(self, to: str = "pandas") -> "Any":
        """``steps.csv`` as a DataFrame: one row per (arm, replicate, step).

        Columns: ``arm`` (category, in the scenario's arm order), ``replicate`` and ``step``
        (int64), then every metric column of ``steps.csv`` in order (float64, NaN where the
        file's cell is empty).
        """
        return _frame(self._native.steps_columns(), to)

    def probes(self, to: str = "pandas") -> "Any":
        """``probes.csv`` as a DataFrame: one row per (arm, replicate, probe).

        Columns: ``arm`` (category), ``replicate``, ``probe`` (int64), ``persona`` (category),
        ``start_community`` (int64), ``first_flagged_step`` and ``first_flagged_follow_step``
        (nullable Int64, <NA> when it never happened), ``drift_step`` (int64; the horizon when
        censored), ``censored`` (bool).
        """
        return _frame(self._native.probes_columns(), to)

    def summary(self, to: str = "pandas") -> "Any":
        """The headline figures of ``summary.json``, one row per arm.

        Columns: ``arm`` (object), ``probes`` (int64); for each estimate ``<figure>``,
        ``<figure>_lower``, ``<figure>_upper`` (float64, NaN where undefined, 95% intervals):
        ``final_flagged_share``, ``mean_flagged_share``, ``drifted_share``,
        ``median_drift_step``, ``final_flagged_follows``, ``drifted_share_difference``,
        ``flagged_share_difference``, ``drift_reduction``, ``relevance_loss``,
        ``engagement_loss``, ``benign_labelled``, ``panel_reach``; ``pareto_optimal`` (bool);
        the flagged cluster at the last step (``cluster_active``, ``cluster_banned``,
        ``cluster_returned``, ``cluster_recruited``, ``cluster_variants``,
        ``cluster_bridges``, each with its interval); ``log_rank_chi2``, ``log_rank_p``.
        """
        return _frame(self._native.summary_columns(), to)

    def __repr__(self) -> str:
        where = self.dir if self.dir is not None else "in memory"
        return f"Results(arms={self.arms!r}, {where})"


def _printer() -> Callable[[int, int, str], None]:
    """A progress callback writing one updating line to stderr (what ``progress=True`` asks)."""

    def show(done: int, total: int, name: str) -> None:
        sys.stderr.write(f"\r{name}: {done}/{total} arm-replicates")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return show


class Scenario:
    """A checked scenario: read from a TOML file, a dict or the embedded quickstart, with the
    same checks and ``--set`` overrides as the CLI. A refused scenario raises
    :class:`ScenarioError` (``file``, ``line``, ``key``, ``suggestion``).
    """

    def __init__(self, native: "_native.Scenario") -> None:
        self._native = native

    @classmethod
    def from_toml(
        cls,
        path: PathLike,
        set: Optional[Mapping[str, Any]] = None,
        seed: Optional[int] = None,
        replicates: Optional[int] = None,
    ) -> "Scenario":
        """Reads a scenario file, as ``driftlab run PATH --set KEY=VALUE --seed S`` does.

        ``set`` maps key paths (``"world.accounts"``, ``"arms[1].name"``) to values (bool, int,
        float, str, list or dict), applied in order like the CLI's ``--set``.
        """
        return cls(_native.Scenario.from_toml(os.fspath(path), _set(set), seed, replicates))

    @classmethod
    def from_dict(
        cls,
        data: Mapping[str, Any],
        set: Optional[Mapping[str, Any]] = None,
        seed: Optional[int] = None,
        replicates: Optional[int] = None,
        base_dir: PathLike = ".",
    ) -> "Scenario":
        """Checks a scenario given as nested dicts (the TOML file's tables), with the loader
        of :meth:`from_toml`; its errors name the key path (``line`` is None). Relative import
        paths resolve against ``base_dir``.
        """
        return cls(
            _native.Scenario.from_dict(dict(data), os.fspath(base_dir), _set(set), seed, replicates)
        )

    @classmethod
    def from_string(
        cls,
        text: str,
        origin: str = "<string>",
        set: Optional[Mapping[str, Any]] = None,
        seed: Optional[int] = None,
        replicates: Optional[int] = None,
        base_dir: PathLike = ".",
    ) -> "Scenario":
        """Checks a scenario given as TOML text; ``origin`` names it in errors."""
        return cls(
            _native.Scenario.from_toml_str(
                text, origin, os.fspath(base_dir), _set(set), seed, replicates
            )
        )

    @classmethod
    def quickstart(
        cls,
        set: Optional[Mapping[str, Any]] = None,
        seed: Optional[int] = None,
        replicates: Optional[int] = None,
    ) -> "Scenario":
        """The quickstart scenario embedded in driftlab (``driftlab run`` without a file)."""
        return cls(_native.Scenario.quickstart(_set(set), seed, replicates))

    @property
    def name(self) -> str:
        """The scenario's name: a run with ``out`` writes ``<out>/<name>/``."""
        return self._native.name

    @property
    def seed(self) -> int:
        """The master seed."""
        return self._native.seed

    @property
    def steps(self) -> int:
        """Steps per run."""
        return self._native.steps

    @property
    def replicates(self) -> int:
        """Replicates."""
        return self._native.replicates

    @property
    def arms(self) -> List[str]:
        """Arm names, in order (the first is the baseline of differences)."""
        return self._native.arms

    @property
    def hash(self) -> str:
        """Stable hash of the resolved scenario (``manifest.json``'s ``scenario_hash``)."""
        return self._native.hash

    def to_toml(self) -> str:
        """The scenario with every default filled in (``scenario.resolved.toml``)."""
        return self._native.to_toml()

    def to_dict(self) -> Dict[str, Any]:
        """The scenario with every default filled in, as nested dicts (``from_dict`` takes it)."""
        return self._native.to_dict()

    def run(
        self,
        threads: Optional[int] = None,
        out: Optional[PathLike] = None,
        resume: bool = False,
        progress: Progress = False,
        overwrite: bool = False,
        plugins: Optional[Sequence[type]] = None,
    ) -> Union[Results, List[Results]]:
        """Runs every (arm, replicate) of the scenario with the GIL released.

        ``threads``: worker threads (default: every core); results do not depend on it.
        ``out``: write ``<out>/<name>/`` exactly as ``driftlab run --out OUT`` does (results,
        manifest, summary, plots); without it the run stays in memory. ``resume``: continue an
        interrupted run in ``out``. ``overwrite``: replace earlier results in ``out``.
        ``progress``: True for a line on stderr, or a callable ``f(done, total, name)`` called
        when the jobs of a results directory start (``done``: the jobs a resumed run had
        saved) and after every finished job, from a worker thread.

        ``plugins``: subclasses of :class:`Policy` and :class:`Mitigation` the scenario names
        by their ``kind`` (``policy = { kind = "my_ranker", source = { kind = "co_follow" } }``).
        They are called once per step and surface (probes and panel in one batch), with the GIL
        held; results are
        the same on any thread count when they are deterministic (draw from ``batch.rng``). A
        plug-in that raises stops the run with :class:`PluginError` (its exception is the
        ``__cause__``); with ``out``, finished jobs are kept for ``resume=True``. Python
        plug-ins serve probes and the panel; a living population needs native policies.

        Returns :class:`Results`; for a scenario with a ``[sweep]`` (which needs ``out``), a
        list of them, one per point in grid order. Ctrl-C stops the run at its next step and
        raises KeyboardInterrupt; with ``out``, finished jobs are kept for ``resume=True``.
        """
        callback = _printer() if progress is True else (progress or None)
        ran = self._native.run(
            threads,
            None if out is None else os.fspath(out),
            resume,
            overwrite,
            callback,
            None if plugins is None else _builtins.list(plugins),
        )
        if isinstance(ran, _builtins.list):
            return [Results(r) for r in ran]
        return Results(ran)

    def __repr__(self) -> str:
        return repr(self._native)


def _set(set: Optional[Mapping[str, Any]]) -> Optional[Dict[str, Any]]:
    """The ``set`` overrides as the plain dict the native module takes (order kept)."""
    return None if set is None else dict(set)


def load(results_dir: PathLike) -> Results:
    """Reads the results of a finished run from its directory (``<out>/<scenario name>``),
    checked against its manifest by driftlab's own reader."""
    return Results(_native.load(os.fspath(results_dir)))


def list(plugins: Optional[Sequence[type]] = None) -> List[Dict[str, Any]]:  # noqa: A001
    """What a scenario can name: policies, mitigations, adaptations, probe behaviours and
    metrics, each a dict ``{"category", "name", "description", "params"}`` where ``params`` is
    a list of ``{"name", "default", "meaning"}`` (the data of ``driftlab list``), with the
    Python ``plugins`` (as given to :meth:`Scenario.run`) beside the built-ins."""
    return [
        {
            "category": category,
            "name": name,
            "description": description,
            "params": [
                {"name": p, "default": default, "meaning": meaning}
                for p, default, meaning in params
            ],
        }
        for category, name, description, params in _native.catalog(
            None if plugins is None else _builtins.list(plugins)
        )
    ]
