"""Type stubs of pipecut's native module (checked against it by stubtest)."""

from os import PathLike
from typing import Any, Callable, Dict, List, Optional, Sequence, Union, final

_Numbers = Union[Sequence[float], Sequence[int], Any]
_Path = Union[str, "PathLike[str]"]
_Bytes = Union[int, float, str]

__all__ = [
    "DEFAULT_ALGORITHM",
    "Chain",
    "Error",
    "Layer",
    "Plan",
    "__version__",
    "algorithms",
    "auto_partition",
    "compare",
    "hardware",
    "models",
    "plan",
    "run_suite",
    "simulate",
]

DEFAULT_ALGORITHM: str
__version__: str

class Error(ValueError):
    """Bad input to pipecut or a problem it cannot solve; the message names the field."""

@final
class Layer:
    def __new__(
        cls,
        name: str,
        forward: float,
        backward: float,
        *,
        kind: str = ...,
        backward_weight: Optional[float] = ...,
        param_bytes: Optional[_Bytes] = ...,
        activation_bytes: Optional[_Bytes] = ...,
        output_bytes: Optional[_Bytes] = ...,
    ) -> Layer: ...
    @property
    def name(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def forward(self) -> float: ...
    @property
    def backward(self) -> float: ...
    @property
    def backward_weight(self) -> Optional[float]: ...
    @property
    def param_bytes(self) -> int: ...
    @property
    def activation_bytes(self) -> int: ...
    @property
    def output_bytes(self) -> int: ...
    def to_dict(self) -> Dict[str, Any]: ...
    def __eq__(self, value: object, /) -> bool: ...

@final
class Chain:
    def __new__(
        cls,
        layers: Sequence[Union[Layer, Dict[str, Any]]],
        *,
        name: str = ...,
        unit: str = ...,
    ) -> Chain: ...
    @staticmethod
    def from_lists(
        forward: _Numbers,
        backward: _Numbers,
        *,
        names: Optional[Sequence[str]] = ...,
        kinds: Optional[Sequence[str]] = ...,
        backward_weight: Optional[_Numbers] = ...,
        param_bytes: Optional[_Numbers] = ...,
        activation_bytes: Optional[_Numbers] = ...,
        output_bytes: Optional[_Numbers] = ...,
        name: str = ...,
        unit: str = ...,
    ) -> Chain: ...
    @staticmethod
    def from_dict(data: Dict[str, Any]) -> Chain: ...
    @staticmethod
    def from_json(text: str) -> Chain: ...
    @staticmethod
    def from_csv(text: str) -> Chain: ...
    @staticmethod
    def load(path: _Path) -> Chain: ...
    @staticmethod
    def from_model(
        name: str,
        *,
        seq_len: Optional[int] = ...,
        micro_batch_size: Optional[int] = ...,
        layers: Optional[int] = ...,
        dim: Optional[int] = ...,
        vocab: Optional[int] = ...,
        moe: Optional[bool] = ...,
        hardware: Optional[str] = ...,
        activation_checkpointing: Optional[str] = ...,
        bytes_per_param: Optional[int] = ...,
    ) -> Chain: ...
    def save(self, path: _Path) -> None: ...
    def to_json(self) -> str: ...
    def to_csv(self) -> str: ...
    def to_dict(self) -> Dict[str, Any]: ...
    @property
    def name(self) -> str: ...
    @property
    def unit(self) -> str: ...
    @property
    def layers(self) -> List[Layer]: ...
    @property
    def names(self) -> List[str]: ...
    @property
    def forward(self) -> List[float]: ...
    @property
    def backward(self) -> List[float]: ...
    def __len__(self) -> int: ...
    def __getitem__(self, key: int, /) -> Layer: ...
    def __eq__(self, value: object, /) -> bool: ...

@final
class Plan:
    @property
    def algorithm(self) -> str: ...
    @property
    def starts(self) -> List[int]: ...
    @property
    def stages(self) -> int: ...
    @property
    def devices(self) -> int: ...
    @property
    def stage_devices(self) -> List[int]: ...
    @property
    def stage_names(self) -> List[List[str]]: ...
    @property
    def stage_times(self) -> List[float]: ...
    @property
    def stage_forward(self) -> List[float]: ...
    @property
    def stage_backward(self) -> List[float]: ...
    @property
    def stage_memory(self) -> List[int]: ...
    @property
    def device_memory(self) -> List[int]: ...
    @property
    def peak_memory(self) -> int: ...
    @property
    def fits_memory(self) -> bool: ...
    @property
    def step_time(self) -> float: ...
    @property
    def bubble(self) -> float: ...
    @property
    def bottleneck(self) -> float: ...
    @property
    def status(self) -> str: ...
    @property
    def objective(self) -> str: ...
    @property
    def bound(self) -> Optional[float]: ...
    @property
    def solve_seconds(self) -> float: ...
    @property
    def schedule(self) -> str: ...
    @property
    def micro_batches(self) -> int: ...
    @property
    def unit(self) -> str: ...
    @property
    def notes(self) -> List[str]: ...
    def to_torchtitan(self) -> List[List[str]]: ...
    def to_torchtitan_toml(self) -> str: ...
    def to_megatron(self) -> str: ...
    def megatron_warnings(self) -> List[str]: ...
    def to_deepspeed(self) -> List[int]: ...
    def to_json(self) -> str: ...
    def to_dict(self) -> Dict[str, Any]: ...
    def gantt_svg(self, title: Optional[str] = ...) -> str: ...

def auto_partition(
    forward_flops: _Numbers,
    backward_flops: _Numbers,
    num_stages: int,
    n_microbatches: int,
    *,
    schedule_type: Union[str, type, None] = ...,
    communication_volume: Union[None, int, float, _Numbers] = ...,
    device_compute_throughput: Optional[float] = ...,
    network_bandwidth: Optional[float] = ...,
    virtual_stages_per_rank: Optional[int] = ...,
    backward_input_flops: Optional[_Numbers] = ...,
    backward_weight_flops: Optional[_Numbers] = ...,
    algorithm: Optional[str] = ...,
) -> List[int]: ...
def plan(
    chain: Chain,
    stages: int,
    *,
    schedule: Union[str, type, None] = ...,
    micro_batches: Optional[int] = ...,
    virtual_stages: Optional[int] = ...,
    algorithm: Optional[str] = ...,
    memory_cap: Optional[_Bytes] = ...,
    link_latency: Optional[float] = ...,
    link_bandwidth: Optional[float] = ...,
    speeds: Optional[_Numbers] = ...,
    time_limit: Optional[float] = ...,
    threads: int = ...,
    milp_backend: Optional[str] = ...,
    timeline: bool = ...,
) -> Plan: ...
def simulate(
    chain: Chain,
    starts: Sequence[int],
    *,
    schedule: Union[str, type, None] = ...,
    micro_batches: Optional[int] = ...,
    virtual_stages: Optional[int] = ...,
    memory_cap: Optional[_Bytes] = ...,
    link_latency: Optional[float] = ...,
    link_bandwidth: Optional[float] = ...,
    speeds: Optional[_Numbers] = ...,
    timeline: bool = ...,
) -> Plan: ...
def compare(
    chain: Chain,
    stages: int,
    *,
    algorithms: Optional[Sequence[str]] = ...,
    schedule: Union[str, type, None] = ...,
    micro_batches: Optional[int] = ...,
    virtual_stages: Optional[int] = ...,
    memory_cap: Optional[_Bytes] = ...,
    link_latency: Optional[float] = ...,
    link_bandwidth: Optional[float] = ...,
    speeds: Optional[_Numbers] = ...,
    time_limit: Optional[float] = ...,
    threads: int = ...,
    milp_max_layers: int = ...,
    milp_steptime_max_layers: int = ...,
) -> List[Dict[str, Any]]: ...
def algorithms() -> List[Dict[str, Any]]: ...
def models() -> List[Dict[str, Any]]: ...
def hardware() -> List[Dict[str, Any]]: ...
def run_suite(
    suite: str,
    *,
    algorithms: Optional[Sequence[str]] = ...,
    chains: Optional[_Path] = ...,
    no_milp: bool = ...,
    milp_max_layers: int = ...,
    milp_steptime_max_layers: int = ...,
    jobs: int = ...,
    time_limit: Optional[float] = ...,
    progress: Optional[Callable[[int, int], Any]] = ...,
    out: Optional[_Path] = ...,
    formats: Optional[Sequence[str]] = ...,
) -> Dict[str, Any]: ...
