"The pieces of tools/bench.py that decide what its before/after table says, and the threads `make align` passes (issue #11)."
import pathlib, subprocess, sys
import torch
ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / 'tools'))
import bench

def test_fingerprint_sees_every_bit():
    torch.manual_seed(0); m = torch.nn.Linear(4, 3); x = torch.randn(5, 4)
    a = bench.fingerprint((m, [x.sum().item()], {'loss': x}))
    assert a == bench.fingerprint((m, [x.sum().item()], {'loss': x.clone()}))
    y = x.clone(); y.view(-1)[7] = torch.nextafter(y.view(-1)[7], torch.tensor(1e9))      # one ulp in one element
    assert a != bench.fingerprint((m, [x.sum().item()], {'loss': y}))
    with torch.no_grad(): m.weight[0, 0] += 1e-6
    assert a != bench.fingerprint((m, [x.sum().item()], {'loss': x}))

def test_threads_rows_compares_outputs():
    torch.manual_seed(0); w = torch.randn(64, 64); x = torch.randn(256, 64)
    same = lambda watch: (x @ w).tanh()                                     # the same output at any thread count
    drift = iter(range(100))
    differs = lambda watch: torch.full((2,), float(next(drift)))           # another output at every call
    rows = bench.threads_rows([('SFT: same', same), ('RAFT stage: drifts', differs), ('sampling: not a raft_align part', same)], reps=1)
    assert [r['workload'].split(',')[0] for r in rows] == ['SFT: same', 'RAFT stage: drifts']
    assert rows[0]['same'].startswith('yes;') and rows[0]['same'].endswith('threads: same')
    assert rows[1]['same'].startswith('no: other digits;') and rows[1]['same'].endswith('threads: DIFFERENT')
    assert all(r['without'] > 0 and r['with_'] > 0 for r in rows)

def test_threads_rows_restores_the_thread_count():
    before = torch.get_num_threads()
    bench.threads_rows([('SFT', lambda watch: torch.ones(3))], reps=1)
    assert torch.get_num_threads() == before

def test_decode_attention_rows():
    rows = bench.decode_attention(rows=16, cached=8, room=4, reps=1)
    assert len(rows) == 6 and all(r['ms'] > 0 for r in rows)
    assert 'GFLOP/s' in rows[0]['note'] and '× the contiguous' in rows[1]['note']

def test_make_align_passes_threads():
    "`make align` runs its one process on every core unless THREADS says otherwise (dry run: nothing is executed)."
    dry = lambda *a: subprocess.run(['make', '-n', 'align', *a], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert '--threads 0' in dry()
    assert '--threads 1' in dry('THREADS=1') and '--threads 0' not in dry('THREADS=1')

def test_two_at_once_runs_forked_pairs():
    "Each paired workload runs alone and two at once in forked processes; a failing child is an error, not a figure."
    rows = bench.two_at_once([('SFT: tiny', lambda watch: torch.randn(64, 64) @ torch.randn(64, 64)), ('sampling: not paired', None)], reps=1)
    assert [r['workload'] for r in rows] == ['SFT: tiny'] and rows[0]['alone'] > 0 and rows[0]['pair'] > 0
    assert abs(rows[0]['gain'] - 2 * rows[0]['alone'] / rows[0]['pair']) < 1e-9
    import pytest
    def boom(watch): raise RuntimeError('boom')
    with pytest.raises(RuntimeError, match='failed'): bench.two_at_once([('PPO iteration: fails', boom)], reps=1)
