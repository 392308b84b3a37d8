"""Plan a preset model and print what torchtitan, Megatron-LM and DeepSpeed take.

    python examples/python/plan_preset.py
"""

import pipecut

chain = pipecut.Chain.from_model("llama3-8b", seq_len=8192)
plan = pipecut.plan(chain, stages=4, micro_batches=16, memory_cap="80GiB")
print(plan)  # the readable table
print("starts:", plan.starts, "step time:", round(plan.step_time, 4), plan.unit, plan.status)
print("torchtitan module_fqns_per_model_part:", plan.to_torchtitan())
print("megatron layout:", plan.to_megatron())
print("deepspeed parts:", plan.to_deepspeed())

# Interleaved 1F1B on the same 4 devices (8 stages), and a ranking of every
# algorithm on the plain problem.
looped = pipecut.plan(chain, stages=8, schedule="Interleaved1F1B", micro_batches=16)
print("interleaved step time:", round(looped.step_time, 4), "on devices", looped.stage_devices)
for row in pipecut.compare(chain, 4, micro_batches=16, algorithms=["torchtitan", "uniform", pipecut.DEFAULT_ALGORITHM]):
    print(f"  {row['algorithm']:>12}: step {row['step_time']:.4f} s, gain over torchtitan {row['gain']:+.1%}")
