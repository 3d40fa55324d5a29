"tools/report_diff.py matches two reports' tables cell by cell and leaves the host's columns (times) out."
import subprocess, sys, pathlib

TOOL = pathlib.Path(__file__).parents[1] / 'tools' / 'report_diff.py'
A = """# r

## Main table

| method | gold reward | perplexity | wall time (s) | gold @ 21 s |
|:--|:--|:--|:--|:--|
| raft_K8 | 0.441 ± 0.089 | 1.989 ± 0.260 | 24 ± 4 | 0.466 ± 0.056 |
| ppo | **0.473** | 1.886 | 124 | 0.184 |
"""

def run(tmp_path, b, *args):
    (tmp_path / 'a.md').write_text(A); (tmp_path / 'b.md').write_text(b)
    return subprocess.run([sys.executable, TOOL, tmp_path / 'a.md', tmp_path / 'b.md', *args], capture_output=True, text=True, check=True).stdout

def test_report_diff(tmp_path):
    assert '2 numeric cells compared' in run(tmp_path, A) and ': 2 equal, 0 differ' in run(tmp_path, A)
    b = A.replace('0.441 ± 0.089', '0.530 ± 0.070').replace('24 ± 4', '40 ± 4').replace('0.466', '0.9')
    out = run(tmp_path, b)
    assert ': 1 equal, 1 differ' in out and '| raft_K8 | gold reward | 0.441 ± 0.089 | 0.530 ± 0.070 | +0.089 | +1.00 |' in out
    assert 'wall' not in out.split('\n\n', 1)[1] and '@ 21 s' not in out          # times are the host's: not compared
    out = run(tmp_path, b.replace('1.886', '1.900'), '--all')
    assert '4 numeric cells compared' in out and '| ppo | perplexity | 1.886 | 1.900 | +0.014 |  |' in out

def test_report_diff_out(tmp_path):
    b = A.replace('0.441 ± 0.089', '0.530 ± 0.070')
    run(tmp_path, b, '--out', tmp_path / 'd.md', '--title', 'two hosts')
    text = (tmp_path / 'd.md').read_text()
    assert text.startswith('# Two reports compared\n\ntwo hosts\n\n## Differences\n') and '+1.00' in text and not (tmp_path / 'd.md.tmp').exists()
