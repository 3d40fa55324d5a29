"""`raft_reproduce --preset quick` end to end: every experiment's code path, its tables and figures, and the cache."""
import pytest
import json, subprocess, sys, time

CMD = [sys.executable, '-c', 'from raft_nb.cli import raft_reproduce; raft_reproduce()', '--preset', 'quick', '--threads', '1']


@pytest.mark.slow
def test_reproduce_quick(tmp_path):
    out = tmp_path / 'r'
    r = subprocess.run(CMD + ['--out', str(out)], capture_output=True, text=True, timeout=1800)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    res = json.loads((out / 'results.json').read_text())
    names = ['K', 'lam', 'beta', 'ranking', 'noise', 'scale', 'overopt', 'hacking']
    assert {'compare', *(f'ablation_{n}' for n in names)} <= set(res)
    assert 'diffusion' in res and 'Diffusion' in (out / 'report.md').read_text()      # the diffusion experiments ran in the same pool
    for f in ['compare_curves.png', 'compare_frontier.png', 'compare_stability.png', *(f'ablation_{n}.png' for n in names),
              'diffusion_curves.png', 'diffusion_grids.png', 'report.md']:
        assert (out / f).stat().st_size > 1000, f
    # RAFT ranks rewards, so r − 3 trains exactly the model that r trains; PPO uses the values
    scale = {row['run']: row for row in res['ablation_scale']['rows']}
    assert scale['raft_r']['gold'][0] == scale['raft_r-3']['gold'][0]
    assert scale['ppo_r']['gold'][0] != scale['ppo_r-3']['gold'][0]
    # the K ablation carries the SFT model's best-of-K yardstick; identical runs of different experiments run once
    assert [x['K'] for x in res['ablation_K']['best_of_K'][0]] == [1, 2, 4, 8, 16, 32]
    seed0 = out / 'runs' / 'seed0'
    assert (seed0 / 'raft_noise_none').is_symlink() and not (seed0 / 'raft_K8').is_symlink()
    # a rerun finds everything cached
    t0 = time.time()
    r = subprocess.run(CMD + ['--out', str(out)], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0 and time.time() - t0 < 120, r.stderr[-2000:]
    r = subprocess.run(CMD + ['--out', str(out), '--only', 'nonsense'], capture_output=True, text=True)
    assert r.returncode == 2 and 'only must be' in r.stderr and 'Traceback' not in r.stderr
