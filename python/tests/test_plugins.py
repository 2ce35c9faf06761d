"""Rankers and mitigations written in Python: they reproduce built-ins byte for byte, are the
same on any thread count, see no ground truth, and a raising plug-in stops the run with its
traceback while finished jobs are kept for resume."""

import filecmp
import threading
import time

import numpy as np
import pytest

import driftlab
from conftest import SMOKE

SURFACE_POLICIES = [
    'policy = { kind = "popularity" }\npool',
    'policy = { kind = "hybrid", components = [\n'
    '  { weight = 1.0, policy = { kind = "co_follow", samples = 100 } },\n'
    '  { weight = 0.5, policy = { kind = "embedding" } },\n] }\npool',
    'policy = { kind = "embedding" }\npool',
    'policy = { kind = "random" }\npool',
]


def smoke_text(policy=None, source=None, exclude=None, params=""):
    """The smoke scenario, every surface's policy replaced by `policy` (a kind) with `source`
    (a kind, or the surface's own policy), the exclusion mitigation by `exclude`."""
    text = SMOKE.read_text()
    for original in SURFACE_POLICIES:
        assert original in text, original
        if policy is None:
            continue
        table = original[len("policy = "):-len("\npool")]
        src = table if source is None else f'{{ kind = "{source}" }}'
        text = text.replace(
            original, f'policy = {{ kind = "{policy}", source = {src}{params} }}\npool', 1
        )
    if exclude is not None:
        text = text.replace('{ kind = "exclude_flagged_from_suggestions" }', f'{{ kind = "{exclude}" }}')
    return text


def scenario(text, **set):
    return driftlab.Scenario.from_string(
        text, origin="smoke.toml", base_dir=SMOKE.parent, set=set or None
    )


class Followers(driftlab.Policy):
    """Most-followed first: popularity, re-implemented in Python."""

    kind = "py_popularity"

    def score(self, batch):
        return batch.followers.astype(np.float32)


class Exclude(driftlab.Mitigation):
    """exclude_flagged_from_suggestions, re-implemented in Python."""

    kind = "py_exclude"

    def apply(self, batch):
        if batch.surface != "suggested_accounts":
            return None
        return ~batch.labelled


class Noisy(driftlab.Policy):
    """Source score plus seeded noise of size `scale`."""

    kind = "noisy"

    def __init__(self, scale: float = 1.0):
        if scale < 0:
            raise driftlab.ParamError("scale", f"= {scale}: must be at least 0")
        self.scale = scale

    def score(self, batch):
        return batch.score + self.scale * batch.rng.random(batch.candidates)


class Fails(driftlab.Policy):
    """Echoes the source, but raises at step 6 of replicate 2 while `failing` is set."""

    kind = "fails"
    failing = True

    def score(self, batch):
        if Fails.failing and batch.replicate == 2 and batch.step == 6:
            raise RuntimeError("ranker exploded")
        return batch.score


def same(a, b):
    for name in ["steps.csv", "probes.csv"]:
        assert filecmp.cmp(a / name, b / name, shallow=False), name


def test_a_python_policy_and_mitigation_reproduce_builtins_byte_for_byte(tmp_path):
    builtin = scenario(smoke_text(policy=None).replace(
        'policy = { kind = "hybrid", components = [\n'
        '  { weight = 1.0, policy = { kind = "co_follow", samples = 100 } },\n'
        '  { weight = 0.5, policy = { kind = "embedding" } },\n] }',
        'policy = { kind = "popularity" }',
    ).replace('policy = { kind = "embedding" }\npool', 'policy = { kind = "popularity" }\npool')
     .replace('policy = { kind = "random" }', 'policy = { kind = "popularity" }'))
    python = scenario(smoke_text("py_popularity", source="popularity", exclude="py_exclude"))
    builtin.run(threads=2, out=tmp_path / "builtin")
    python.run(threads=2, out=tmp_path / "python", plugins=[Followers, Exclude])
    same(tmp_path / "builtin" / "smoke", tmp_path / "python" / "smoke")


def test_a_seeded_python_policy_is_the_same_on_any_thread_count(tmp_path):
    s = scenario(smoke_text("noisy", params=", scale = 0.5"), steps=8)
    one = s.run(threads=1, out=tmp_path / "one", plugins=[Noisy])
    two = s.run(threads=2, out=tmp_path / "two", plugins=[Noisy])
    same(tmp_path / "one" / "smoke", tmp_path / "two" / "smoke")
    in_memory = s.run(threads=2, plugins=[Noisy])
    assert in_memory.steps().equals(one.steps())


def test_an_exception_stops_the_run_with_its_traceback_and_resume_finishes_it(tmp_path):
    s = scenario(smoke_text("fails"), steps=8)
    Fails.failing = True
    with pytest.raises(driftlab.PluginError) as caught:
        s.run(threads=1, out=tmp_path, plugins=[Fails])
    e = caught.value
    assert isinstance(e.__cause__, RuntimeError)
    assert "ranker exploded" in str(e) and "in score" in str(e)  # the traceback
    assert e.kind == "fails"
    assert "replicate 2" in e.place and "step 6" in e.place
    assert e.saved is not None and "resume" in e.saved
    assert "4 of 6" in e.saved  # replicates 0 and 1, both arms
    Fails.failing = False
    resumed = s.run(threads=2, out=tmp_path, resume=True, plugins=[Fails])
    whole = s.run(threads=2, out=tmp_path / "whole", plugins=[Fails])
    same(tmp_path / "smoke", tmp_path / "whole" / "smoke")
    assert resumed.steps().equals(whole.steps())


def test_plugin_parameters_are_checked_like_builtins():
    s = scenario(smoke_text("noisy", params=", scael = 0.5"))
    with pytest.raises(driftlab.ScenarioError) as caught:
        s.run(plugins=[Noisy])
    e = caught.value
    assert e.key.endswith("policy.scael") and e.line is not None, e
    assert "did you mean `scale`" in str(e)
    s = scenario(smoke_text("noisy", params=", scale = -1.0"))
    with pytest.raises(driftlab.ScenarioError, match="must be at least 0"):
        s.run(plugins=[Noisy])
    with pytest.raises(driftlab.ScenarioError, match="unknown kind `noisy`"):
        scenario(smoke_text("noisy")).run()


def test_a_batch_holds_what_the_platform_sees_and_nothing_else():
    seen = []

    class Spy(driftlab.Policy):
        kind = "spy"

        def score(self, batch):
            if not seen:
                seen.append(batch)
            return batch.score

    scenario(smoke_text("spy"), steps=6, replicates=1).run(threads=1, plugins=[Spy])
    batch = seen[0]
    public = {n for n in type(batch).__slots__ if not n.startswith("_")}
    assert public == {
        "replicate", "arm", "step", "surface", "group", "seed", "dims", "agent", "query",
        "estimate", "followees", "offsets", "account", "score", "content", "followers",
        "labelled",
    }
    assert batch.estimate.shape == (batch.requests, batch.dims)
    assert batch.content.shape == (batch.candidates, batch.dims)
    assert batch.offsets[-1] == batch.candidates and len(batch.request) == batch.candidates
    assert batch.labelled.dtype == np.bool_ and batch.followers.dtype == np.uint32
    with pytest.raises(ValueError):
        batch.score[0] = 1.0  # read-only: the engine's buffers are not the plug-in's


def test_a_wrong_return_value_is_a_plugin_error():
    class Short(driftlab.Policy):
        kind = "short"

        def score(self, batch):
            return batch.score[:-1]

    with pytest.raises(driftlab.PluginError, match="one value per candidate"):
        scenario(smoke_text("short"), steps=6, replicates=1).run(plugins=[Short])


def test_list_shows_python_plugins():
    entries = {e["name"]: e for e in driftlab.list(plugins=[Noisy, Exclude])}
    assert entries["noisy"]["category"] == "policy"
    assert entries["noisy"]["params"][0]["name"] == "scale"
    assert entries["py_exclude"]["category"] == "mitigation"
    with pytest.raises(TypeError, match="not a subclass"):
        driftlab.list(plugins=[object])


def test_the_gil_is_released_between_plugin_calls():
    ticks = []
    stop = threading.Event()

    def tick():
        while not stop.is_set():
            ticks.append(1)
            stop.wait(0.005)

    t = threading.Thread(target=tick)
    t.start()
    start = time.perf_counter()
    try:
        scenario(smoke_text("py_popularity", source="popularity")).run(
            threads=2, plugins=[Followers]
        )
    finally:
        elapsed = time.perf_counter() - start
        stop.set()
        t.join()
    # The ticker wakes every 5 ms; with the GIL held for the whole run it could not tick at all.
    assert len(ticks) >= max(3, 0.2 * elapsed / 0.005), (len(ticks), elapsed)
