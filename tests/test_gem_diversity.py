"""The `evaluate` metric module raft_nb/gem_diversity.py (nbs/05a_gem_diversity.ipynb), in a fresh process:
an empty Hugging Face cache, the hub off, every socket connection refused — it must load by path, fetch
nothing, and agree exactly with raft_nb.metrics on the examples worked out by hand in nbs/05_metrics.ipynb."""
import json, os, subprocess, sys
import pytest

pytest.importorskip('evaluate', reason='evaluate not installed (it is in the dev extras: pip install -e ".[dev]")')

SCRIPT = r'''
import json, math, socket, sys
def no_network(self, *a): raise OSError(f'network used: {a}')
socket.socket.connect = no_network
import evaluate
import raft_nb.metrics as M
from raft_nb.gem_diversity import gem_diversity_path, load_gem_diversity
cases = [(["The cat sat.", "the cat ran"], 4), (["The cat sat.", "the cat ran"], 100), (["a a b b", "a b c d"], 4),
         ([" ".join(f"w{i % 37}" for i in range(250)), "short one"], 100)]
out = []
for m in (load_gem_diversity(), evaluate.load(gem_diversity_path(), keep_in_memory=True)):
    for texts, window in cases:
        got = m.compute(predictions=texts, window=window)
        want = dict(M.diversity(texts), msttr_100=M.msttr(texts, window))
        out.append(dict(got={k: None if v != v else v for k, v in got.items()},
                        want={k: None if v != v else v for k, v in want.items()}))
print(json.dumps(dict(name=m.name, module=type(m).__module__, cases=out)))
'''

def test_loads_offline_and_agrees(tmp_path):
    env = dict(os.environ, HF_HOME=str(tmp_path / 'hf'), HF_EVALUATE_OFFLINE='1', HF_HUB_OFFLINE='1')
    r = subprocess.run([sys.executable, '-c', SCRIPT], env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads(r.stdout.strip().splitlines()[-1])
    assert res['name'] == 'gem_diversity' and res['module'].startswith('evaluate_modules.metrics.gem_diversity.')
    for c in res['cases']: assert c['got'] == c['want'], c          # exact, NaN (None here) included
    hand = res['cases'][0]['got']                                   # nbs/05_metrics.ipynb, by hand
    assert hand == dict(msttr_100=1.0, distinct_1=5 / 7, distinct_2=4 / 5, unique_1=3, unique_2=3, length=3.0)
    assert res['cases'][1]['got']['msttr_100'] is None              # no full 100-token segment: NaN
    assert res['cases'][2]['got']['msttr_100'] == (2 / 4 + 4 / 4) / 2
    copies = list((tmp_path / 'hf' / 'modules' / 'evaluate_modules' / 'metrics' / 'gem_diversity').glob('*/gem_diversity.py'))
    assert len(copies) == 1                                         # evaluate's copy, in the fresh cache
