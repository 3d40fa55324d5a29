import pathlib, sys
import pytest, torch

torch.set_num_threads(1)

def pytest_configure(config):
    config.addinivalue_line('markers', "slow: an end-to-end run of minutes (a preset, the docs site, the GPU check's CPU path); "
                                       "`make test` leaves these out, `make test-all` runs them")

ROOT = pathlib.Path(__file__).resolve().parents[1]

# The tiny run used by the command-line tests: the whole pipeline in well under a minute on one thread.
TINY = dict(world_size=1200, n_embd=48, n_layer=2, sft_epochs=2, rm_epochs=1, b=32, K=4, stages=3, epochs=1,
            n_test=32, eval_best_of=2, max_new_tokens=40, batch_size=32)

@pytest.fixture
def tiny_config(tmp_path):
    p = tmp_path / 'tiny.yaml'
    p.write_text(''.join(f'{k}: {v}\n' for k, v in TINY.items()))
    return p

def cli(*args):
    "The command `raft_align ARGS` as an argv list, run with the current interpreter and one torch thread."
    return [sys.executable, '-c', 'import sys; from raft_nb.cli import raft_align; raft_align()', *map(str, args), '--threads', '1']
