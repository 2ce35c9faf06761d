"""Rankers and mitigations written in Python: the classes to subclass, the batch they receive,
and the glue the native module calls (one call per step and surface).

A policy scores the candidates a native, seeded source retrieved; a mitigation removes or
re-ranks ranked pools. Both see only what the platform could observe: its estimate of each
viewer, the candidates' content, follower counts and moderation labels. Ground truth (latent
interests, true flags) is not in a batch.
"""

from __future__ import annotations

import difflib
import inspect
import traceback

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, List, Tuple

    import numpy as np

__all__ = ["Batch", "Mitigation", "ParamError", "Policy"]


class ParamError(ValueError):
    """A plug-in parameter refused: raise it from ``__init__`` with the parameter's ``key``
    and a ``message`` (the valid range); driftlab reports it at the scenario's line like a
    built-in's parameter error."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}" if key else message)
        self.key = key
        self.message = message


class Batch:
    """One step's requests on one surface (probes and panel), as read-only numpy arrays.

    Per request (``requests`` of them: the probes, then the collateral panel's members):
    ``group`` (uint8: 0 for a probe, 1 for a panel member), ``agent`` (uint32, the agent's index
    in its group), ``query`` (int64 search term, -1 for none), ``estimate`` (float32, requests x
    dims: the platform's estimate of the viewer's interests), ``followees`` (uint32, how many
    accounts the viewer follows), ``offsets`` (uint32, requests + 1: the candidates of request
    ``i`` are ``offsets[i]:offsets[i + 1]``).

    Per candidate (``candidates`` of them): ``request`` (int64, its request's index),
    ``account`` (uint32), ``score`` (float32: the source's score for a policy, the current
    ranking score for a mitigation), ``content`` (float32, candidates x dims), ``followers``
    (uint32, follower count), ``labelled`` (bool: the platform's moderation label now).

    Scalars: ``replicate``, ``arm`` (index), ``step``, ``surface`` (``"search"``,
    ``"suggested_accounts"``, ``"feed"``, ``"explore"``), ``dims``, ``seed``; ``rng`` is a ``numpy.random.Generator`` seeded from
    driftlab's seed tree (the same in every arm, on any thread count): draw every random
    number from it.
    """

    __slots__ = (
        "replicate", "arm", "step", "surface", "group", "seed", "dims", "agent", "query",
        "estimate", "followees", "offsets", "account", "score", "content", "followers",
        "labelled", "_rng", "_request",
    )

    def __init__(self, raw: "Tuple[Any, ...]") -> None:
        (self.replicate, self.arm, self.step, self.surface, self.seed, self.dims, group,
         agent, query, estimate, followees, offsets, account, score, content, followers,
         labelled) = raw
        import numpy as np

        dims = max(self.dims, 1)
        self.group = np.frombuffer(group, dtype=np.uint8)
        self.agent = np.frombuffer(agent, dtype="<u4")
        self.query = np.frombuffer(query, dtype="<i8")
        self.estimate = np.frombuffer(estimate, dtype="<f4").reshape(-1, dims)
        self.followees = np.frombuffer(followees, dtype="<u4")
        self.offsets = np.frombuffer(offsets, dtype="<u4")
        self.account = np.frombuffer(account, dtype="<u4")
        self.score = np.frombuffer(score, dtype="<f4")
        self.content = np.frombuffer(content, dtype="<f4").reshape(-1, dims)
        self.followers = np.frombuffer(followers, dtype="<u4")
        self.labelled = np.frombuffer(labelled, dtype=np.bool_)
        self._rng = None
        self._request = None

    @property
    def requests(self) -> int:
        """Number of requests."""
        return len(self.agent)

    @property
    def candidates(self) -> int:
        """Number of candidates over all requests."""
        return len(self.account)

    @property
    def request(self) -> "np.ndarray":
        """Per candidate: the index of its request (int64)."""
        import numpy as np

        if self._request is None:
            counts = np.diff(self.offsets.astype(np.int64))
            self._request = np.repeat(np.arange(self.requests, dtype=np.int64), counts)
        return self._request

    @property
    def viewer_estimate(self) -> "np.ndarray":
        """Per candidate: the estimate of the viewer it is a candidate for (candidates x dims)."""
        return self.estimate[self.request]

    @property
    def rng(self) -> "np.random.Generator":
        """A generator seeded by driftlab for this call (``numpy.random.default_rng(seed)``)."""
        import numpy as np

        if self._rng is None:
            self._rng = np.random.default_rng(self.seed)
        return self._rng

    def rank_within(self, keys: "np.ndarray") -> "np.ndarray":
        """Per candidate, its 0-based position within its request when sorted by ``keys``
        descending (ties by current order): a helper for mitigations that keep the top k."""
        import numpy as np

        keys = np.asarray(keys, dtype=np.float64)
        order = np.lexsort((np.arange(self.candidates), -keys, self.request))
        rank = np.empty(self.candidates, dtype=np.int64)
        rank[order] = np.arange(self.candidates) - self.offsets[self.request[order]]
        return rank

    def __repr__(self) -> str:
        return (f"Batch(step={self.step}, surface={self.surface!r}, "
                f"requests={self.requests}, candidates={self.candidates}, dims={self.dims})")


class Policy:
    """A recommender written in Python. Subclass it, set ``kind`` (the name scenario files use),
    take parameters as keyword arguments of ``__init__`` and implement :meth:`score`.

    In a scenario: ``policy = { kind = "my_ranker", source = { kind = "co_follow" }, alpha =
    0.3 }``. ``source`` is the built-in policy retrieving candidates natively and seeded
    (default co-follow; on search and feed the candidates are the term's postings and the
    followees' posts, scored by the source); every other key goes to ``__init__``.
    ``score`` is called once per step and surface (for the probes and the panel together),
    never per request. Keep no
    state between calls, or key it by ``batch.replicate`` and ``batch.arm``: calls of different
    (replicate, arm) jobs interleave on several threads.
    """

    kind: str = ""

    def score(self, batch: Batch) -> "np.ndarray":
        """One score per candidate (float array of length ``batch.candidates``); the pipeline
        ranks each request's candidates by it, highest first, ties by lower account."""
        raise NotImplementedError(f"{type(self).__name__}.score")


class Mitigation:
    """A mitigation written in Python: subclass it, set ``kind`` and implement :meth:`apply`.
    Named in an arm like a built-in: ``mitigations = [{ kind = "my_filter", k = 3 }]``."""

    kind: str = ""

    def apply(self, batch: Batch) -> "np.ndarray":
        """Per candidate of the ranked pools: a bool keep mask (order unchanged), or float keys
        (NaN removes the candidate; the rest are re-ranked by key, highest first, ties in
        their current order). ``None`` changes nothing. It can remove or reorder, never add."""
        raise NotImplementedError(f"{type(self).__name__}.apply")


def describe(cls: Any) -> "Tuple[str, str, str, List[Tuple[str, str, str]]]":
    """(category, kind, about, [(param, default, meaning)]) of a plug-in class."""
    if not isinstance(cls, type) or not issubclass(cls, (Policy, Mitigation)):
        raise TypeError(
            f"plugins: {cls!r} is not a subclass of driftlab.Policy or driftlab.Mitigation"
        )
    category = "policy" if issubclass(cls, Policy) else "mitigation"
    kind = getattr(cls, "kind", "")
    if not isinstance(kind, str) or not kind:
        raise TypeError(f"plugins: {cls.__name__} needs a class attribute `kind = \"...\"`")
    doc = inspect.getdoc(cls) or ""
    about = doc.strip().splitlines()[0] if doc.strip() else cls.__name__
    params = []
    for name, p in _parameters(cls).items():
        default = "required" if p.default is inspect.Parameter.empty else repr(p.default)
        hint = "" if p.annotation is inspect.Parameter.empty else str(p.annotation)
        params.append((name, default, hint))
    return category, kind, about, params


def _parameters(cls: Any) -> "dict":
    params = dict(inspect.signature(cls.__init__).parameters)
    params.pop("self", None)
    return {
        n: p for n, p in params.items()
        if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    }


def build(cls: Any, params: dict) -> Any:
    """An instance of ``cls`` from a scenario table's parameters, checked against ``__init__``:
    an unknown or missing key raises :class:`ParamError` naming it."""
    signature = _parameters(cls)
    accepts_any = any(
        p.kind is inspect.Parameter.VAR_KEYWORD
        for p in inspect.signature(cls.__init__).parameters.values()
    )
    if not accepts_any:
        for key in params:
            if key not in signature:
                near = difflib.get_close_matches(key, list(signature), n=1)
                hint = f", did you mean `{near[0]}`?" if near else (
                    f": expected one of {', '.join(f'`{k}`' for k in signature)}"
                    if signature else f": {cls.__name__} takes no parameters")
                raise ParamError(key, f"unknown key `{key}`{hint}")
    for name, p in signature.items():
        if p.default is inspect.Parameter.empty and name not in params:
            raise ParamError(name, f"missing key `{name}` ({cls.__name__} requires it)")
    try:
        return cls(**params)
    except ParamError:
        raise
    except (TypeError, ValueError) as e:
        raise ParamError("", f"{cls.__name__}(...) refused its parameters: {e}") from e


def _values(returned: Any, batch: Batch, what: str) -> "np.ndarray":
    import numpy as np

    array = np.asarray(returned)
    if array.shape != (batch.candidates,):
        raise ValueError(
            f"{what} returned shape {array.shape}; expected ({batch.candidates},): one value "
            f"per candidate of the batch"
        )
    return array


def call_policy(instance: Policy, raw: "Tuple[Any, ...]") -> bytes:
    """Scores one batch: the instance's scores as little-endian float32 bytes."""
    import numpy as np

    batch = Batch(raw)
    scores = _values(instance.score(batch), batch, f"{type(instance).__name__}.score")
    if not np.issubdtype(scores.dtype, np.number) or np.issubdtype(scores.dtype, np.complexfloating):
        raise TypeError(f"{type(instance).__name__}.score returned {scores.dtype} values: "
                        "expected real numbers")
    scores = np.ascontiguousarray(scores, dtype="<f4")
    bad = ~np.isfinite(scores)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{type(instance).__name__}.score returned {scores[i]} for candidate "
                         f"{i} (account {batch.account[i]}): scores must be finite")
    return scores.tobytes()


def call_mitigation(instance: Mitigation, raw: "Tuple[Any, ...]") -> bytes:
    """Applies a mitigation to one batch: its keys as little-endian float64 bytes (NaN
    removes a candidate)."""
    import numpy as np

    batch = Batch(raw)
    returned = instance.apply(batch)
    position = -(np.arange(batch.candidates, dtype=np.float64)
                 - batch.offsets[batch.request].astype(np.float64))
    if returned is None:
        return position.astype("<f8").tobytes()
    values = _values(returned, batch, f"{type(instance).__name__}.apply")
    if values.dtype == np.bool_:
        keys = np.where(values, position, np.nan)
    elif np.issubdtype(values.dtype, np.number) and not np.issubdtype(values.dtype, np.complexfloating):
        keys = values.astype(np.float64)
        if np.isinf(keys).any():
            raise ValueError(f"{type(instance).__name__}.apply returned an infinite key: use "
                             "NaN to remove a candidate, finite keys to rank")
    else:
        raise TypeError(f"{type(instance).__name__}.apply returned {values.dtype} values: "
                        "expected a bool mask or float keys")
    return np.ascontiguousarray(keys, dtype="<f8").tobytes()


def format_error(e: BaseException, tb: Any = None) -> str:
    """The traceback of an exception raised by a plug-in, as Python prints it."""
    return "".join(traceback.format_exception(type(e), e, tb or e.__traceback__))
