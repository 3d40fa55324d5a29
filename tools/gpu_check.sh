#!/usr/bin/env bash
# The GPU check of issue 12 (see tools/gpu_check.py): SFT, reward model, 2 RAFT stages, 1 PPO iteration, the
# decoupled mode and LoRA, in bf16, on one CUDA device with a ~300M-parameter GPT-2 built from a config (no hub);
# prints tokens/s sampled, samples/s trained, peak GPU memory per method and the RAFT/PPO ratios.
# Without CUDA it runs the same phases at tiny sizes on the CPU.
#   usage: tools/gpu_check.sh [OUT] [more options of tools/gpu_check.py]      (default OUT: runs/gpu_check)
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-.venv/bin/python}"
[ -x "$PY" ] || PY=python3
OUT="${1:-runs/gpu_check}"
[ $# -gt 0 ] && shift
if command -v nvidia-smi >/dev/null 2>&1; then nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true; fi
# 8 minutes is the target on an H200; the hard limit leaves room for a slower GPU before giving up.
exec timeout 900 "$PY" tools/gpu_check.py --out "$OUT" "$@"
