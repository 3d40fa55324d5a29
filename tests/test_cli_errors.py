"""Bad input on the command line (issue 16): one line, exit 2, and nothing written — or, for a failure mid-run
such as a full disk, a `--resume` that finishes the run exactly and leaves no temporaries."""
import gzip, json, subprocess, sys, textwrap
import pytest
from conftest import TINY, cli
from test_hh_loader import hh_lines, write_gz

def run(*args, **kw): return subprocess.run(cli(*args), capture_output=True, text=True, timeout=600, **kw)

def one_line_error(r, msg):
    assert r.returncode == 2, (r.returncode, r.stderr[-1500:])
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    assert lines[-1].startswith('raft_align: error: ') and msg in lines[-1], lines[-3:]
    assert 'Traceback' not in r.stderr

def test_data_that_empties_is_refused_before_writing(tmp_path, tiny_config):
    out = tmp_path / 'run'
    tiny_world = tmp_path / 'tiny_world.jsonl'                        # 12 usable records: too few for four parts
    from raft_nb.world import make_world
    tiny_world.write_text(''.join(json.dumps(dict(chosen=r['chosen'], rejected=r['rejected'])) + '\n' for r in make_world(12, seed=1)))
    for args, msg in [(['--dataset', tiny_world], 'part is empty'),
                      (['--max_prompt_tokens', 2], 'sft: no training examples left after filtering'),
                      (['--b', 100000], 'b = 100000 is larger than the'),
                      (['--max_new_tokens', 200], "'max_new_tokens' = 200 leaves no room for a prompt"),
                      (['--seed', -1], "'seed' must be ≥ 0")]:
        one_line_error(run(tiny_config, '--out', out, *args), msg)
        assert not out.exists(), args

def test_files_and_names(tmp_path, tiny_config):
    out = tmp_path / 'run'
    cut = tmp_path / 'cut.jsonl.gz'
    cut.write_bytes(gzip.compress(('\n'.join(hh_lines() * 50) + '\n').encode())[:3000])
    one_line_error(run(tiny_config, '--out', out, '--dataset', cut), 'cut.jsonl.gz: truncated or corrupt gzip file')
    r = run(tiny_config, '--out', out, '--dataset', 'does_not_exist_dir', cwd=tmp_path,
            env={**__import__('os').environ, 'HF_ENDPOINT': 'http://127.0.0.1:9'})   # an unreachable hub: it must not be asked
    one_line_error(r, 'dataset path not found: does_not_exist_dir')
    (tmp_path / 'afile').write_text('x')
    one_line_error(run(tiny_config, '--out', tmp_path / 'afile'), '--out is a file, not a directory')
    one_line_error(run(tiny_config, '--out', tmp_path / 'afile' / 'run'), '--out lies under a file')
    assert not out.exists()

WRAP = """
import errno, os, sys
{patch}
from raft_nb.cli import raft_align; raft_align(sys.argv[1:])
"""

def wrapped(tmp_path, patch, *args):
    "raft_align with a monkeypatch applied first (a read-only file system, a disk that fills up)."
    script = tmp_path / 'wrapped.py'; script.write_text(WRAP.format(patch=textwrap.dedent(patch)))
    return subprocess.run([sys.executable, str(script), *map(str, args), '--threads', '1'], capture_output=True, text=True, timeout=600)

def test_read_only_output(tmp_path, tiny_config):
    r = wrapped(tmp_path, "os.access = lambda *a, **k: False", tiny_config, '--out', tmp_path / 'ro' / 'run')
    one_line_error(r, 'cannot create or write --out here (read-only)')
    r = wrapped(tmp_path, """
        import pathlib
        def mkdir(self, *a, **k): raise OSError(errno.EROFS, 'Read-only file system', str(self))
        pathlib.Path.mkdir = mkdir""", tiny_config, '--out', tmp_path / 'ro2')
    one_line_error(r, 'Read-only file system')
    assert not (tmp_path / 'ro').exists() and not (tmp_path / 'ro2').exists()

def metrics(d):
    return [{k: v for k, v in json.loads(l).items() if k != 'wall_time'} for l in open(d / 'metrics.jsonl')]

def test_disk_full_during_a_stage_then_resume(tmp_path, tiny_config):
    full, out = tmp_path / 'full', tmp_path / 'run'
    assert run(tiny_config, '--out', full).returncode == 0
    r = wrapped(tmp_path, """
        import datasets
        save = datasets.Dataset.save_to_disk
        def full(self, path, *a, **k):
            if 'stage_002' in str(path): raise OSError(errno.ENOSPC, 'No space left on device', str(path))
            return save(self, path, *a, **k)
        datasets.Dataset.save_to_disk = full""", tiny_config, '--out', out)
    one_line_error(r, 'No space left on device — free some space, then run the same command with --resume')
    assert not list(out.rglob('*.tmp-*'))                             # the half-written stage was removed
    r = run(tiny_config, '--out', out, '--resume')
    assert r.returncode == 0, r.stderr[-2000:]
    assert metrics(out) == metrics(full) and not list(out.rglob('*.tmp-*'))

def test_logs_hold_no_progress_bars(tmp_path, tiny_config):
    log = tmp_path / 'log.txt'
    with open(log, 'w') as f:
        r = subprocess.run(cli(tiny_config, '--out', tmp_path / 'run', '--stages', 1), stdout=f, stderr=subprocess.STDOUT, timeout=600)
    text = log.read_text()
    assert r.returncode == 0, text[-2000:]
    for bar in ('Writing model shards', 'Loading weights', 'Saving the dataset', 'it/s]', '\r'): assert bar not in text, bar
    assert 'stage 1 |' in text and 'gold reward on' in text
