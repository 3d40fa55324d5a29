"The same pipeline under two processes (torchrun; gloo on CPU): sampling is split and gathered, training is data-parallel."
import json, socket, subprocess, sys
from conftest import ROOT

def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

def test_two_processes(tmp_path, tiny_config):
    script = tmp_path / 'align.py'
    script.write_text('from raft_nb.cli import raft_align\nraft_align()\n')
    out = tmp_path / 'run'
    cmd = [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node', '2', '--master_addr', '127.0.0.1',
           '--master_port', str(_free_port()), str(script), str(tiny_config), '--out', str(out), '--threads', '1', '--stages', '2']
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=900, cwd=ROOT)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    rows = [json.loads(l) for l in open(out / 'metrics.jsonl')]
    assert [x['stage'] for x in rows] == [0, 1, 2]            # written once, by the main process
    assert r.stdout.count('stage 1 |') == 1                   # logged once
    s = json.loads((out / 'summary.json').read_text())
    assert s['stages'] == 2 and s['test_prompts'] == 32
