"raft_diffusion killed mid-run and restarted ends exactly where the uninterrupted run ends."
import pytest
import json, signal, subprocess, sys, time

def cli(*args):
    return [sys.executable, '-c', 'from raft_nb.cli import raft_diffusion; raft_diffusion()', *map(str, args)]

def metrics(run):
    return [{k: v for k, v in json.loads(l).items() if k not in ('wall_time', 'train_time')} for l in open(run / 'metrics.jsonl')]

@pytest.mark.slow
def test_diffusion_kill_and_resume(tmp_path):
    full, killed = tmp_path / 'full', tmp_path / 'killed'
    args = ('--preset', 'quick', '--seeds', '0', '--threads', '1')
    r = subprocess.run(cli('--out', full, *args), capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    p = subprocess.Popen(cli('--out', killed, *args), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    target = killed / 'quality' / 'ddpo' / 'seed0' / 'stages' / 'stage_001' / 'metrics.json'   # the second run, mid-way
    t0 = time.time()
    while not target.exists():
        assert p.poll() is None and time.time() - t0 < 600, 'run ended before the target stage was written'
        time.sleep(0.02)
    p.send_signal(signal.SIGKILL); p.wait()
    assert not (killed / 'results.md').exists()
    r = subprocess.run(cli('--out', killed, *args), capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    assert 'resuming after stage' in r.stdout
    runs = sorted(d.relative_to(full) for d in full.glob('*/*/seed0'))
    assert len(runs) == 7
    for d in runs: assert metrics(killed / d) == metrics(full / d), d
    assert (killed / 'results.csv').read_text().count("\n") == 8

def test_diffusion_bad_preset(tmp_path):
    r = subprocess.run(cli('--out', tmp_path / 'x', '--preset', 'huge'), capture_output=True, text=True)
    assert r.returncode == 2 and "invalid choice: 'huge'" in r.stderr and not (tmp_path / 'x').exists()
