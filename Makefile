# One command each, from a clean clone (only Python ≥ 3.10 with venv needed):
#   make align   set up .venv and run the main job (SFT → reward model → RAFT on the embedded world, CPU, every core:
#                THREADS=1 gives the single-thread digits of the presets' runs, ARGS='--eval_best_of 3 --n_test 128' the cpu preset's)
#   make test    set up .venv and run the tests (notebooks with nbdev_test, then pytest), all but the slow
#                end-to-end ones (presets, the docs site, the GPU check's CPU path): what CI runs, ~10 min on 2 cores
#   make test-all  every test, the slow ones too: .ci/run --all
#   make bench   speed: FLOP/s of training, sampling, a RAFT stage and a PPO iteration against the machine's matmul limit
#   make compare RAFT vs PPO over 3 seeds (tables and figures into runs/compare and figures/)
#   make reproduce PRESET=quick|cpu|gpu   every table and figure (raft_reproduce)
#   make diffusion RAFT vs DDPO for a small diffusion model on 8×8 digits, 3 seeds (figures/diffusion_*.png)
#   make docs    the documentation site in _docs/ from the notebooks (no Quarto needed; tools/build_docs.py)
#   make check-docs  open the home and RAFT pages of _docs/ in headless chromium (apt-get install chromium):
#                images, links, console; screenshots into _docs_shots/ (CHECK_ARGS=--all: every page)
#   make lab     JupyterLab on nbs/ with the project's .venv as kernel (LAB_ARGS='--no-browser --port 8899' ...)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
OUT    ?= runs/default

.PHONY: setup runtime bench align compare reproduce diffusion test test-all export clean-run
.PHONY: docs check-docs lab
PRESET ?= cpu
JOBS   ?= 2
# torch threads of `make align`, one process: 0 = torch's choice (one per core). On 2 cores SFT, the reward model and the
# stages then take 0.6-0.8 of their 1-thread wall time (figures/bench.md, "Before and after"); a seed repeats its numbers run to
# run on one machine at one thread count, but 2 threads give other digits than 1 (reductions split between threads).
# The presets run one thread per job (--jobs), so THREADS=1 gives the digits of their seed-0 RAFT-K8 run (the cpu preset
# evaluates 3 samples on each of 128 test prompts: make align THREADS=1 ARGS='--eval_best_of 3 --n_test 128' is its run).
THREADS ?= 0

# Every process of a run, a test or a notebook kernel imports torch and transformers (~19k .py files in .venv). pip
# installs them with --no-compile (byte-compiling all of them is the slowest part of pip here), so each process compiles
# what it imports; a machine with PYTHONDONTWRITEBYTECODE set (this project's has) would then recompile in every process
# (figures/bench.md, "Before and after", times an import of raft_nb.runner both ways). The recipes below let Python write its bytecode caches (into
# .venv and raft_nb/__pycache__, both ignored by git), so only the first process pays.
unexport PYTHONDONTWRITEBYTECODE

# Two stamps: the runtime (what `make align` needs; no byte-compilation, the slowest part of pip here)
# and the developer tools on top (nbdev, pytest, jupyter: what `make test` needs).
$(BIN)/.runtime: settings.ini setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q --no-compile -e .
	touch $@

$(BIN)/.installed: $(BIN)/.runtime
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $@

setup: $(BIN)/.installed
runtime: $(BIN)/.runtime

align: runtime
	@if [ -f "$(OUT)/config.yaml" ]; then $(BIN)/raft_align --out $(OUT) --resume --threads $(THREADS) $(ARGS); \
	else $(BIN)/raft_align --out $(OUT) --threads $(THREADS) $(ARGS); fi

bench: runtime
	$(BIN)/python tools/bench.py --out figures/bench.md $(ARGS)

compare: runtime
	$(BIN)/raft_compare --out runs/compare --jobs $(JOBS) --figures figures $(ARGS)

reproduce: runtime
	$(BIN)/raft_reproduce --preset $(PRESET) --out runs/reproduce_$(PRESET) --jobs $(JOBS) $(ARGS)

diffusion: runtime
	$(BIN)/raft_diffusion --out runs/diffusion --figures figures $(ARGS)

test: setup
	$(BIN)/nbdev_test --n_workers 2
	$(BIN)/python -m pytest -q -n $(JOBS) --dist loadfile --durations=20 -m "not slow" tests

test-all: setup
	$(BIN)/nbdev_test --n_workers 2 --flags slow
	$(BIN)/python -m pytest -q -n $(JOBS) --dist loadfile --durations=20 tests

export: setup
	$(BIN)/nbdev_export && $(BIN)/nbdev_clean && $(BIN)/python tools/make_readme.py

# The site, the browser check and JupyterLab (docs, check-docs, lab).
docs: setup
	$(BIN)/python tools/build_docs.py $(ARGS)

check-docs: docs
	$(BIN)/python tools/check_docs.py $(CHECK_ARGS)

LAB_ARGS ?=
lab: setup
	$(BIN)/jupyter-lab --notebook-dir=nbs $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

# make gpu-check   the GPU check of issue 12 (tools/gpu_check.sh): the pipeline at ~300M parameters in bf16 on one
#                  CUDA device, ≤ 8 minutes on an H200; without CUDA, the same phases at tiny sizes on the CPU
.PHONY: gpu-check
gpu-check: setup
	PYTHON=$(BIN)/python tools/gpu_check.sh runs/gpu_check $(ARGS)

# make memory   peak memory of one RAFT stage against one PPO iteration at equal samples (figures/memory.md, memory.png; ARGS=--quick: tiny models)
.PHONY: memory
memory: setup
	$(BIN)/python tools/memory_bench.py $(ARGS)
