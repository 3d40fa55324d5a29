"""Where a preset's time went: the job-seconds of a finished `raft_reproduce` run, by kind of task (issue #11).

    python3 tools/preset_cost.py RUN_DIR [--jobs 2] [--out figures/preset_cost_cpu.md]
    e.g. python3 tools/preset_cost.py /tmp/raft_nb_clean_cpu-preset/runs/reproduce_cpu --out figures/preset_cost_cpu.md

RUN_DIR is a preset's `--out` (it holds `runs/` and, with the diffusion experiments, `diffusion/`). Each run of a method
wrote its process wall time to `runs/seedS/NAME.cost.json` (a run that another run of the same config stood in for
holds a copy of that run's file marked `same_as`: it ran nothing, and counts nothing); each SFT and reward-model phase
its wall time to its `metrics.json` (a reward-model variant's base holds a copy of its seed's SFT, counted once); the
diffusion experiments their base model's training time to `diffusion/shared/base_info.json` and their runs' mean wall
time per method over seeds to `diffusion/results.csv`. Their sum is the work the preset gave its `--jobs` processes;
divided by the jobs, the wall time it would take if no job were ever idle, at the speed each job had. What the sum
leaves out (set-up, the processes' start, the reward CNNs, the tables and figures) is part of the difference from the
run's measured wall time. Standard library only.
"""
from __future__ import annotations
import argparse, csv, json, os, pathlib, re, statistics

def kind(name: str) -> str:
    m = re.match(r'[a-z]+', name)
    return {'ppo': 'PPO runs', 'raft': 'RAFT runs'}.get(m.group(0) if m else '', 'other runs (best-of-K)')

def costs(run_dir: pathlib.Path) -> dict[str, list[float]]:
    "{kind: [seconds of each task]} of a finished preset run in `run_dir`."
    out: dict[str, list[float]] = {}
    runs = run_dir / 'runs'
    if not runs.is_dir(): raise SystemExit(f"preset_cost: {runs} is not a directory: RUN_DIR must be a raft_reproduce --out")
    for f in sorted(runs.glob('seed*/*.cost.json')):
        c = json.loads(f.read_text())
        if 'process_wall_time' in c and 'same_as' not in c: out.setdefault(kind(f.name[:-len('.cost.json')]), []).append(float(c['process_wall_time']))
    for m in sorted(runs.glob('seed*/base*/*/metrics.json')):
        base, sd = m.parent.parent, m.parent.parent.parent
        if m.parent.name not in ('sft', 'reward_model') or not (sd / f'{base.name}.done').exists(): continue
        if m.parent.name == 'sft' and base.name != 'base' and (sd / 'base' / 'sft' / 'metrics.json').exists() \
                and (sd / 'base' / 'sft' / 'metrics.json').read_text() == m.read_text(): continue   # a reward-model variant's copy of the seed's SFT
        w = json.loads(m.read_text()).get('wall_time')
        if w is not None: out.setdefault('SFT phases' if m.parent.name == 'sft' else 'reward-model phases', []).append(float(w))
    info = run_dir / 'diffusion' / 'shared' / 'base_info.json'
    if info.exists(): out.setdefault('diffusion base model', []).append(float(json.loads(info.read_text())['train_time']))
    res = run_dir / 'diffusion' / 'results.csv'
    if res.exists():
        for r in csv.DictReader(res.open()):
            out.setdefault('diffusion runs', []).extend([float(r['wall_time_mean'])] * int(r['seeds']))
    if not out: raise SystemExit(f"preset_cost: no finished tasks under {run_dir}")
    return out

def table(c: dict[str, list[float]], jobs: int, title: str) -> str:
    total = sum(map(sum, c.values()))
    rows = [f'# {title}', '', f'Job-seconds of the preset\'s tasks by kind (`tools/preset_cost.py`, from the files the runs wrote), '
            f'and what they make at {jobs} jobs.', '', '## Job-seconds by kind', '',
            '| kind | tasks | job-seconds | share | per task (median) |', '|---|---|---|---|---|']
    for k, v in sorted(c.items(), key=lambda kv: -sum(kv[1])):
        rows.append(f'| {k} | {len(v)} | {sum(v):,.0f} | {sum(v) / total:.0%} | {statistics.median(v):,.0f} |')
    rows += [f'| all | {sum(map(len, c.values()))} | {total:,.0f} | 100% | |', '',
             f'{total:,.0f} job-seconds over {jobs} jobs: {total / jobs / 60:.1f} minutes of wall time if the jobs were never idle '
             '(set-up, the processes\' start, the reward CNNs and the tables not counted).']
    return '\n'.join(rows) + '\n'

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('run_dir'); ap.add_argument('--jobs', type=int, default=2)
    ap.add_argument('--title', default=None); ap.add_argument('--out', default=None, help='also write the table here (atomically)')
    a = ap.parse_args(argv)
    if a.jobs < 1: raise SystemExit('preset_cost: --jobs must be ≥ 1')
    d = pathlib.Path(a.run_dir)
    text = table(costs(d), a.jobs, a.title or f'Where the time of `{d.name}` went')
    print(text, end='')
    if a.out:
        out = pathlib.Path(a.out); tmp = out.with_name(out.name + f'.tmp-{os.getpid()}')
        tmp.write_text(text, encoding='utf-8'); os.replace(tmp, out)

if __name__ == '__main__': main()
