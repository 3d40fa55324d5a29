"`tools/process_bench.py --reps 1`: both modes run the same pool, give the same summaries, and the table says so."
import subprocess, sys
import pytest
from conftest import ROOT

@pytest.mark.slow
def test_process_bench_one_rep(tmp_path):
    out = tmp_path / 'process_bench.md'
    r = subprocess.run([sys.executable, str(ROOT / 'tools' / 'process_bench.py'), '--reps', '1', '--out', str(out)],
                       capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert r.returncode == 0, r.stderr[-3000:]
    rows = [l for l in out.read_text().splitlines() if l.startswith('| fresh') or l.startswith('| forked')]
    assert len(rows) == 2
    assert all(float(l.split('|')[4]) > 0 and float(l.split('|')[5]) > 50 for l in rows)   # a run's process s, peak RSS MiB
    assert 'summary is the same' in out.read_text()                # the tool exits non-zero if the modes' summaries differ
    assert not list(tmp_path.glob('.*.tmp-*'))
