# One command each, from a clean clone (only Python ≥ 3.10 with venv needed):
#   make align   set up .venv and run the main job (SFT → reward model → RAFT on the embedded world, CPU)
#   make test    set up .venv and run every test (notebooks with nbdev_test, then pytest)
#   make compare RAFT vs PPO over 3 seeds (tables and figures into runs/compare and figures/)
#   make reproduce PRESET=quick|cpu|gpu   every table and figure (raft_reproduce)
#   make diffusion RAFT vs DDPO for a small diffusion model on 8×8 digits, 3 seeds (figures/diffusion_*.png)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
OUT    ?= runs/default

.PHONY: setup align compare reproduce diffusion test export clean-run
PRESET ?= cpu
JOBS   ?= 2

$(BIN)/.installed: settings.ini setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $@

setup: $(BIN)/.installed

align: setup
	@if [ -f "$(OUT)/config.yaml" ]; then $(BIN)/raft_align --out $(OUT) --resume $(ARGS); \
	else $(BIN)/raft_align --out $(OUT) $(ARGS); fi

compare: setup
	$(BIN)/raft_compare --out runs/compare --jobs $(JOBS) --figures figures $(ARGS)

reproduce: setup
	$(BIN)/raft_reproduce --preset $(PRESET) --out runs/reproduce_$(PRESET) --jobs $(JOBS) $(ARGS)

diffusion: setup
	$(BIN)/raft_diffusion --out runs/diffusion --figures figures $(ARGS)

test: setup
	$(BIN)/nbdev_test --n_workers 2
	$(BIN)/python -m pytest -q tests

export: setup
	$(BIN)/nbdev_export && $(BIN)/nbdev_clean && $(BIN)/python tools/make_readme.py

# make memory   peak memory of one RAFT stage against one PPO iteration at equal samples (figures/memory.md, memory.png; ARGS=--quick: tiny models)
.PHONY: memory
memory: setup
	$(BIN)/python tools/memory_bench.py $(ARGS)
