"A run killed mid-stage and resumed ends exactly where the uninterrupted run ends."
import json, signal, subprocess, time
from conftest import cli

def metrics(d):
    return [{k: v for k, v in json.loads(l).items() if k != 'wall_time'} for l in open(d / 'metrics.jsonl')]

def test_kill_and_resume_matches_uninterrupted(tmp_path, tiny_config):
    full, killed = tmp_path / 'full', tmp_path / 'killed'
    r = subprocess.run(cli(tiny_config, '--out', full), capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    # Start the same run, and kill it (SIGKILL: no clean-up) while stage 2 is in flight.
    p = subprocess.Popen(cli(tiny_config, '--out', killed), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t0 = time.time()
    while not (killed / 'stages' / 'stage_001' / 'metrics.json').exists():
        assert p.poll() is None and time.time() - t0 < 600, 'run ended before stage 1 was written'
        time.sleep(0.05)
    time.sleep(0.5)
    p.send_signal(signal.SIGKILL); p.wait()
    assert not (killed / 'summary.json').exists()
    done = sorted(x.name for x in (killed / 'stages').iterdir() if not x.name.count('.tmp-'))
    assert 'stage_003' not in done
    # A plain restart is refused; --resume continues after the last complete stage.
    r = subprocess.run(cli(tiny_config, '--out', killed), capture_output=True, text=True)
    assert r.returncode == 2 and 'pass --resume' in r.stderr
    r = subprocess.run(cli(tiny_config, '--out', killed, '--resume'), capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    assert 'resuming after stage' in r.stdout
    assert metrics(killed) == metrics(full)
    assert not list(killed.rglob('*.tmp-*'))                    # the killed process's half-written temporaries are gone
    s_full, s_killed = (json.loads((d / 'summary.json').read_text()) for d in (full, killed))
    assert s_full['gold'] == s_killed['gold']

def test_bad_input_is_reported_before_writing(tmp_path, tiny_config):
    out = tmp_path / 'run'
    for args, msg in [(['--lam', '0'], "'lam' must be > 0"),
                      (['--ranking', 'best'], "'ranking' must be one of"),
                      (['--dataset', tmp_path / 'none.jsonl'], 'dataset path not found'),
                      (['--policy', tmp_path / 'no_model'], 'model path not found')]:
        r = subprocess.run(cli(tiny_config, '--out', out, *args), capture_output=True, text=True)
        assert r.returncode == 2 and msg in r.stderr, (args, r.stderr[-500:])
        assert 'Traceback' not in r.stderr and not out.exists()
    r = subprocess.run(cli(tmp_path / 'missing.yaml', '--out', out), capture_output=True, text=True)
    assert r.returncode == 2 and 'config file not found' in r.stderr
    r = subprocess.run(cli(tiny_config, '--out', out, '--resume'), capture_output=True, text=True)
    assert r.returncode == 2 and 'holds no run to resume' in r.stderr
