"""`raft_reproduce --preset claims-quick` end to end: tuning, calibration, the reward-quality axis with the stopping
protocol, and a claims table whose every row carries a verdict."""
import pytest
import json, subprocess, sys

CMD = [sys.executable, '-c', 'from raft_nb.cli import raft_reproduce; raft_reproduce()', '--preset', 'claims-quick', '--threads', '1', '--jobs', '2']
VERDICTS = {'holds', 'does not hold', 'undecided'}


@pytest.mark.slow
def test_claims_quick(tmp_path):
    out = tmp_path / 'c'
    r = subprocess.run(CMD + ['--out', str(out)], capture_output=True, text=True, timeout=1800)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    res = json.loads((out / 'results.json').read_text())
    rows = res['claims']
    ids = {x['id'] for x in rows}
    assert {'rq1_reward', 'rq1_memory', 'rq1_time', 'rq2_K', 'rq3_affine', 'rq3_hacking', 'rq4_reward_quality'} <= ids
    assert all(x['verdict'] in VERDICTS for x in rows)
    # the table on disk is the one of results.json: a row per claim, each with one verdict of the allowed set
    md = (out / 'claims.md').read_text()
    table = [l for l in md.split('\n## ')[0].splitlines() if l.startswith('|')][2:]     # after the header and its rule
    ran = [x for x in rows if x['ci']['n'] > 0]                                      # claims without runs: listed below the table
    assert len(table) == len(ran) and 0 < len(ran) < len(rows)
    assert all(x['id'] in md.split('\n## ')[0].split('Not run in this preset')[1] for x in rows if x['ci']['n'] == 0)
    for line, x in zip(table, ran):
        cells = [c.strip() for c in line.strip('|').split('|')]
        assert cells[1] == x['id'] and cells[5] in VERDICTS and cells[5] == x['verdict'], line
    # the runs that were made have intervals (2 seeds), the calibrated noise level is on the axis, the stopping rule ran
    assert next(x for x in rows if x['id'] == 'rq1_reward')['ci']['n'] == 2
    assert [l['target'] for l in res['calibration']['levels']] == [0.8] and res['calibration']['levels'][0]['sigma'] > 0
    assert {q['level'] for q in res['quality']} == {'learned', 'gold_a0.8'}
    assert all(1 <= s <= 4 for q in res['quality'] for s in q['per_seed']['stages'].values())
    for f in ('claims_quality.png', 'claims_curves.png', 'claims_intervals.png'):
        assert (out / f).stat().st_size > 5000, f
    # a rerun finds every run cached and writes the same verdicts
    r = subprocess.run(CMD + ['--out', str(out)], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    assert [x['verdict'] for x in json.loads((out / 'results.json').read_text())['claims']] == [x['verdict'] for x in rows]
