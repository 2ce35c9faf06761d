"""Scenarios are read and refused as the CLI reads and refuses them."""

import pytest

import driftlab
from conftest import SMOKE

BAD = """name = "bad"
seed = 1
steps = 5

[world]
accounts = 300
benign_comunities = 4
"""


def test_reads_the_smoke_scenario_with_overrides():
    s = driftlab.Scenario.from_toml(SMOKE, set={"steps": 7, "name": "renamed"}, seed=9)
    assert (s.name, s.steps, s.seed, s.replicates) == ("renamed", 7, 9, 3)
    assert s.arms == ["baseline", "both"]
    assert "steps = 7" in s.to_toml()


def test_a_misspelt_key_in_a_file_names_file_line_key_and_suggestion(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(BAD)
    with pytest.raises(driftlab.ScenarioError) as caught:
        driftlab.Scenario.from_toml(path)
    e = caught.value
    assert e.file == str(path)
    assert e.line == 7
    assert e.key == "world.benign_comunities"
    assert e.suggestion == "benign_communities"
    # The CLI's one-line message, word for word.
    assert str(e) == (
        f"{path}:7:1: `world.benign_comunities`: unknown key `benign_comunities`, "
        "did you mean `benign_communities`?"
    )
    assert isinstance(e, ValueError)


def test_a_bad_set_is_blamed_on_the_override():
    with pytest.raises(driftlab.ScenarioError) as caught:
        driftlab.Scenario.from_toml(SMOKE, set={"world.acounts": 5})
    e = caught.value
    assert e.key == "world.acounts"
    assert e.suggestion == "accounts"
    assert e.line is None
    with pytest.raises(driftlab.ScenarioError) as caught:
        driftlab.Scenario.from_toml(SMOKE, set={"steps": 0})
    assert caught.value.key == "steps"
    assert "out of range" in str(caught.value)


def test_an_invalid_value_in_a_file_names_its_line(tmp_path):
    path = tmp_path / "zero.toml"
    path.write_text(SMOKE.read_text().replace("steps = 30", "steps = 0"))
    with pytest.raises(driftlab.ScenarioError) as caught:
        driftlab.Scenario.from_toml(path)
    e = caught.value
    assert (e.file, e.key) == (str(path), "steps")
    assert e.line == SMOKE.read_text().splitlines().index("steps = 30") + 1


def test_a_missing_file_is_a_scenario_error(tmp_path):
    with pytest.raises(driftlab.ScenarioError) as caught:
        driftlab.Scenario.from_toml(tmp_path / "none.toml")
    assert caught.value.file == str(tmp_path / "none.toml")


def test_from_dict_is_the_file_as_dicts():
    s = driftlab.Scenario.from_toml(SMOKE)
    d = driftlab.Scenario.from_dict(s.to_dict())
    assert d.to_toml() == s.to_toml()
    assert d.hash == s.hash


def test_from_dict_errors_name_the_key_path():
    data = driftlab.Scenario.from_toml(SMOKE).to_dict()
    data["world"]["benign_comunities"] = data["world"].pop("benign_communities")
    with pytest.raises(driftlab.ScenarioError) as caught:
        driftlab.Scenario.from_dict(data)
    e = caught.value
    assert (e.file, e.line, e.key) == ("<dict>", None, "world.benign_comunities")
    assert e.suggestion == "benign_communities"
    assert str(e).startswith("<dict>: `world.benign_comunities`: unknown key")

    data = driftlab.Scenario.from_toml(SMOKE).to_dict()
    data["world"]["accounts"] = None
    with pytest.raises(driftlab.ScenarioError) as caught:
        driftlab.Scenario.from_dict(data)
    assert caught.value.key == "world.accounts"
    assert "None" in str(caught.value)

    data = driftlab.Scenario.from_toml(SMOKE).to_dict()
    data["world"]["accounts"] = "many"
    with pytest.raises(driftlab.ScenarioError) as caught:
        driftlab.Scenario.from_dict(data)
    assert caught.value.key == "world.accounts"


def test_quickstart_is_embedded():
    q = driftlab.Scenario.quickstart(set={"steps": 10})
    assert q.name == "quickstart" and q.steps == 10


def test_list_is_the_catalogue():
    entries = driftlab.list()
    co_follow = next(e for e in entries if e["name"] == "co_follow")
    assert co_follow["category"] == "policy"
    assert {"name": "samples", "default": "300", "meaning": "sampled paths per request"} in co_follow[
        "params"
    ]
    categories = {e["category"] for e in entries}
    assert {"policy", "mitigation", "behaviour", "metric"} <= categories
    assert entries == driftlab.list()  # a stable order
