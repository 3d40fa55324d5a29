"`tools/memory_bench.py --quick`: the table, the numbers and the figure are written, and what it measures is what it says."
import pytest
import json, math, subprocess, sys
from conftest import ROOT

@pytest.mark.slow
def test_memory_bench_quick(tmp_path):
    out = tmp_path / 'memory.md'
    r = subprocess.run([sys.executable, str(ROOT / 'tools' / 'memory_bench.py'), '--quick', '--out', str(out)],
                       capture_output=True, text=True, timeout=900, cwd=ROOT)
    assert r.returncode == 0, r.stderr[-3000:]
    text, d = out.read_text(), json.loads(out.with_suffix('.json').read_text())
    assert (tmp_path / 'memory.png').stat().st_size > 10_000
    assert not list(tmp_path.glob('.*.tmp-*'))                                    # written atomically: no temporaries left
    rows, base = d['rows'], d['baseline_kb']
    assert len(rows) == 2 * 2 * 4                                                 # 2 sizes × full/LoRA × 4 runs
    assert len([l for l in text.splitlines() if l.startswith('| tiny-')]) == 2 * len(rows) + len(d['ratios'])
    # every memory ratio of the table: finite, in (0, 2); the time ratios (tiny models: mostly overhead) finite and positive
    assert len(d['ratios']) == 2 * 2 * 3
    for q in d['ratios']:
        for k in ('rss_net', 'rss', 'accounted'): assert math.isfinite(q[k]) and 0 < q[k] < 2, (q, k)
        assert math.isfinite(q['time']) and q['time'] > 0, q
    for row in rows:
        n, a = row['parameters'], row['accounted']
        assert row['peak_kb'] > base and row['samples'] == d['settings']['b'] * d['settings']['K']
        assert n == d['setup']['parameters'][row['size']]
        if row['ft'] == 'full':                                                   # fp32: 4 bytes a parameter; AdamW: 2 states
            trained = 1 if row['method'] == 'raft' else 2                         # PPO trains policy and critic
            assert abs(a['gradients'] - trained * 4 * n) < 0.01 * trained * 4 * n, row
            assert abs(a['optimizer'] - 2 * a['gradients']) < 0.01 * a['optimizer'], row
        else: assert 0 < a['gradients'] < 0.5 * 4 * n and row['trainable'] < 0.5 * n   # only the adapters train
        assert a['activations'] > 0
        models = a['parameters'] / (4 * n)                                        # resident models at the heaviest step
        if row['method'] == 'raft' and row['mode'] == 'decoupled': assert models < 1.2, row     # the policy alone
        if row['method'] == 'raft' and row['mode'] == 'normal': assert models > (2.8 if row['ft'] == 'full' else 1.8), row
        if row['method'] == 'ppo': assert models > (2.8 if row['mode'] == 'decoupled' else 3.8) - (1 if row['ft'] == 'LoRA' else 0), row
