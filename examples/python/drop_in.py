"""The drop-in: torchtitan's autopartition `auto_partition`, from pipecut.

In torchtitan's experiment the FLOPs come from profiling; here they are a
small made-up model (embedding, 30 blocks, a heavy output head).

    python examples/python/drop_in.py
"""

from pipecut import auto_partition

forward_flops = [2] + [100] * 30 + [420]
backward_flops = [2 * f for f in forward_flops]

for schedule in ["1F1B", "Interleaved1F1B", "ZBVZeroBubble", "DualPipeV"]:
    starts = auto_partition(forward_flops, backward_flops, 4, 8, schedule_type=schedule)
    # torchtitan appends the layer count and slices its module names with it.
    bounds = starts + [len(forward_flops)]
    sizes = [b - a for a, b in zip(bounds, bounds[1:])]
    print(f"{schedule:>16}: starts {starts} -> layers per stage {sizes}")

# Communication: 64 MiB activations cross every boundary at 50 GB/s, with
# FLOPs at 400 TFLOP/s, so time is in seconds on both sides.
starts = auto_partition(
    [f * 1e9 for f in forward_flops], [f * 1e9 for f in backward_flops], 4, 8,
    communication_volume=64 * 2**20, device_compute_throughput=4e14, network_bandwidth=5e10,
)
print(f"{'1F1B + comm':>16}: starts {starts}")
