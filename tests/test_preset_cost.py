"tools/preset_cost.py: a preset's job-seconds by kind, from the files its runs write (issue #11)."
import json, pathlib, subprocess, sys
ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / 'tools'))
import preset_cost

def fake_run(d: pathlib.Path):
    sd = d / 'runs' / 'seed0'; sd.mkdir(parents=True)
    (sd / 'ppo_beta0.05.cost.json').write_text(json.dumps(dict(process_wall_time=100.0)))
    (sd / 'raft_K8.cost.json').write_text(json.dumps(dict(process_wall_time=30.0)))
    (sd / 'raft_lam1.cost.json').write_text(json.dumps(dict(process_wall_time=30.0, same_as='raft_K8')))   # a stand-in's copy: counts nothing
    for base, sft, rm in (('base', 90.0, 110.0), ('base_rm_n_embd-64', 90.0, 50.0)):     # the variant copies the seed's SFT
        for part, w in (('sft', sft), ('reward_model', rm)):
            (sd / base / part).mkdir(parents=True); (sd / base / part / 'metrics.json').write_text(json.dumps(dict(wall_time=w)))
        (sd / f'{base}.done').write_text('ok')
    (d / 'diffusion' / 'shared').mkdir(parents=True); (d / 'diffusion' / 'shared' / 'base_info.json').write_text(json.dumps(dict(train_time=60.0)))
    (d / 'diffusion' / 'results.csv').write_text('task,method,seeds,wall_time_mean\nquality,raft,3,20.0\n')

def test_counts_each_task_once(tmp_path):
    fake_run(tmp_path)
    c = preset_cost.costs(tmp_path)
    assert c == {'PPO runs': [100.0], 'RAFT runs': [30.0], 'SFT phases': [90.0], 'reward-model phases': [110.0, 50.0],
                 'diffusion base model': [60.0], 'diffusion runs': [20.0, 20.0, 20.0]}
    t = preset_cost.table(c, 2, 'T')
    assert '| PPO runs | 1 | 100 | 20% | 100 |' in t and '| all | 9 | 500 | 100% | |' in t and '4.2 minutes' in t

def test_cli_writes_the_table_and_refuses_a_wrong_dir(tmp_path):
    fake_run(tmp_path / 'run')
    r = subprocess.run([sys.executable, str(ROOT / 'tools' / 'preset_cost.py'), str(tmp_path / 'run'), '--out', str(tmp_path / 'c.md')],
                       capture_output=True, text=True)
    assert r.returncode == 0 and (tmp_path / 'c.md').read_text() == r.stdout
    bad = subprocess.run([sys.executable, str(ROOT / 'tools' / 'preset_cost.py'), str(tmp_path)], capture_output=True, text=True)
    assert bad.returncode != 0 and 'not a directory' in bad.stderr and bad.stderr.count('\n') == 1
