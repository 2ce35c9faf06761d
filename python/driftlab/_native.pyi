"""Type stubs of the extension module; the documented API is the `driftlab` package."""

import os
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

__version__: str

class DriftlabError(Exception): ...

class PluginError(DriftlabError):
    kind: str
    place: str
    saved: Optional[str]

class ScenarioError(ValueError):
    file: Optional[str]
    line: Optional[int]
    column: Optional[int]
    key: Optional[str]
    suggestion: Optional[str]
    point: Optional[str]
    message: str

_Column = Tuple[str, str, Optional[bytes], Any]

class Results:
    @property
    def arms(self) -> List[str]: ...
    @property
    def dir(self) -> Optional[str]: ...
    def steps_columns(self) -> List[_Column]: ...
    def probes_columns(self) -> List[_Column]: ...
    def summary_columns(self) -> List[_Column]: ...

class Scenario:
    @staticmethod
    def from_toml(
        path: Union[str, os.PathLike[str]],
        set: Optional[Dict[str, Any]] = None,
        seed: Optional[int] = None,
        replicates: Optional[int] = None,
    ) -> Scenario: ...
    @staticmethod
    def from_toml_str(
        text: str,
        origin: str = "<string>",
        base_dir: Union[str, os.PathLike[str]] = ".",
        set: Optional[Dict[str, Any]] = None,
        seed: Optional[int] = None,
        replicates: Optional[int] = None,
    ) -> Scenario: ...
    @staticmethod
    def from_dict(
        data: Dict[str, Any],
        base_dir: Union[str, os.PathLike[str]] = ".",
        set: Optional[Dict[str, Any]] = None,
        seed: Optional[int] = None,
        replicates: Optional[int] = None,
    ) -> Scenario: ...
    @staticmethod
    def quickstart(
        set: Optional[Dict[str, Any]] = None,
        seed: Optional[int] = None,
        replicates: Optional[int] = None,
    ) -> Scenario: ...
    @property
    def name(self) -> str: ...
    @property
    def seed(self) -> int: ...
    @property
    def steps(self) -> int: ...
    @property
    def replicates(self) -> int: ...
    @property
    def arms(self) -> List[str]: ...
    @property
    def is_sweep(self) -> bool: ...
    @property
    def hash(self) -> str: ...
    def to_toml(self) -> str: ...
    def to_dict(self) -> Dict[str, Any]: ...
    def run(
        self,
        threads: Optional[int] = None,
        out: Optional[str] = None,
        resume: bool = False,
        overwrite: bool = False,
        progress: Optional[Callable[[int, int, str], Any]] = None,
        plugins: Optional[List[type]] = None,
    ) -> Union[Results, List[Results]]: ...

def load(results_dir: Union[str, os.PathLike[str]]) -> Results: ...
def catalog(
    plugins: Optional[List[type]] = None,
) -> List[Tuple[str, str, str, List[Tuple[str, str, str]]]]: ...
