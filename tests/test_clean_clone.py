"tools/clean_clone.py: a command run from a fresh clone of HEAD, its rc, wall time and load recorded, the table rewritten."
import json, pathlib, subprocess, sys
ROOT = pathlib.Path(__file__).resolve().parents[1]

def run(tmp, name, *cmd):
    return subprocess.run([sys.executable, str(ROOT / 'tools' / 'clean_clone.py'), name, '--dir', str(tmp / f'clone_{name}'),
                           '--record', str(tmp / 'rec'), '--no-matmul', '--', *cmd], capture_output=True, text=True)

def test_records_rc_wall_and_table(tmp_path):
    head = subprocess.check_output(['git', '-C', str(ROOT), 'rev-parse', '--short', 'HEAD'], text=True).strip()
    r = run(tmp_path, 'ok', 'sh', '-c', 'test -f settings.ini && git rev-parse --short HEAD && sleep 1')
    assert r.returncode == 0, r.stderr
    r = run(tmp_path, 'fails', 'sh', '-c', 'echo to the log; exit 3')
    assert r.returncode == 3
    e = json.loads((tmp_path / 'rec' / 'timings.json').read_text())
    assert set(e) == {'ok', 'fails'} and e['ok']['rc'] == 0 and e['fails']['rc'] == 3
    assert e['ok']['commit'] == head and e['ok']['wall_s'] >= 1 and e['ok']['load']['max'] >= 0
    assert (tmp_path / 'rec' / 'ok.log').read_text().strip() == head          # it ran in the clone, at HEAD
    assert (tmp_path / 'rec' / 'fails.log').read_text().strip() == 'to the log'
    md = (tmp_path / 'rec' / 'timings.md').read_text()
    rows = [l for l in md.splitlines() if l.startswith('| ok ') or l.startswith('| fails ')]
    assert len(rows) == 2 and f'`{head}`' in rows[0] and '| 3 |' in rows[1]
    r = run(tmp_path, 'ok', 'true')                                             # the same name again: replaced, not added
    assert len(json.loads((tmp_path / 'rec' / 'timings.json').read_text())) == 2

def test_no_command_is_refused(tmp_path):
    r = subprocess.run([sys.executable, str(ROOT / 'tools' / 'clean_clone.py'), 'x', '--'], capture_output=True, text=True)
    assert r.returncode != 0 and 'no COMMAND' in r.stderr
