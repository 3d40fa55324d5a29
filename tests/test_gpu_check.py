"tools/gpu_check.sh on its CPU fallback (no CUDA here): every phase runs in its own process and the report has its figures."
import json, os, re, subprocess
import pytest, torch
from conftest import ROOT

@pytest.mark.slow
@pytest.mark.skipif(torch.cuda.is_available(), reason='with CUDA the script runs the full-size check (minutes): run it by hand')
def test_gpu_check_cpu_fallback(tmp_path):
    out = tmp_path / 'gc'
    env = {**os.environ, 'PYTHON': __import__('sys').executable, 'OMP_NUM_THREADS': '1'}
    r = subprocess.run([str(ROOT / 'tools' / 'gpu_check.sh'), str(out), '--threads', '1'], capture_output=True, text=True,
                       timeout=600, cwd=ROOT, env=env)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert 'no CUDA device' in r.stdout
    for p in ('prepare', 'raft', 'ppo', 'raft_decoupled', 'raft_lora'):
        res = json.loads((out / f'{p}.json').read_text())
        assert res['peak_gib'] > 0 and res['memory_kind'] == 'peak RSS'
        if p != 'prepare': assert res['sampled_tokens'] > 0 and res['tokens_per_s'] > 0
        if p == 'ppo': assert len(res['ppo']) == 1 and res['ppo'][0]['samples_per_s'] > 0          # one PPO iteration
        else: assert len(res['train']) == 2 and all(x['samples_per_s'] > 0 for x in res['train'])   # SFT + RM, or 2 stages
    final = lambda p: {k: v for k, v in json.loads((out / f'{p}.json').read_text())['final'].items() if k != 'wall_time'}
    assert final('raft_lora')['stage'] == final('raft')['stage'] == 2
    assert final('raft_decoupled') == final('raft')             # one model at a time changes no number
    assert final('raft_lora') != final('raft')                  # LoRA trains other weights
    for p in ('raft', 'raft_decoupled', 'raft_lora'):
        assert re.search(rf'peak RSS {p}/ppo: \d+\.\d\d', r.stdout), p
    assert '| raft_decoupled |' in r.stdout and 'MISSING' not in r.stdout
    # a second run may reuse its own output directory, but not someone else's
    (tmp_path / 'other').mkdir(); (tmp_path / 'other' / 'x').write_text('keep')
    r = subprocess.run([str(ROOT / 'tools' / 'gpu_check.sh'), str(tmp_path / 'other')], capture_output=True, text=True, cwd=ROOT, env=env)
    assert r.returncode != 0 and 'not empty' in r.stderr and (tmp_path / 'other' / 'x').exists()
