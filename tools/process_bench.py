"""What a run's own process costs: the same miniature pool of runs with a fresh interpreter per run, and forked from
the runner's fork servers (issue #11; `12_runner`).

    .venv/bin/python tools/process_bench.py [--out figures/process_bench.md] [--reps 2] [--jobs 2]

The pool: one seed at tiny sizes, its base (tokenizer, SFT, reward model) and five runs (RAFT with K = 2, 3, 4, 6 and
PPO), `--jobs` at a time, as the presets run them. The two modes alternate (fresh, forked, fresh, ...) in new
folders, so that both see the same machine; the load average is recorded before and after each. Every run's summary
must be the same in both modes but for wall times (checked here too). Writes the table atomically.
"""
from __future__ import annotations
import argparse, json, os, pathlib, statistics, sys, tempfile, time

ROOT = pathlib.Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path: sys.path.insert(0, str(ROOT))
from raft_nb.runner import run_tasks
from raft_nb.loop import write_atomic

TINY = dict(world_size=1200, n_embd=48, n_layer=2, sft_epochs=2, rm_epochs=1, b=16, stages=1, n_test=24, eval_best_of=2, max_new_tokens=40)
PPO_TINY = dict(rollout_batch=16, rollouts_per_stage=2, mini_batch=8)
TASKS = [(0, f'raft_K{k}', 'raft', dict(K=k)) for k in (2, 3, 4, 6)] + [(0, 'ppo', 'ppo', {})]

def no_times(f: pathlib.Path):
    return json.loads(f.read_text(), object_hook=lambda o: {k: v for k, v in o.items() if 'wall_time' not in k})

def pool(mode: str, jobs: int) -> dict:
    "One pool in a new folder; returns its wall time, every run's process time and the summaries."
    if mode == 'fresh': os.environ['RAFT_NB_FRESH_PROCESS'] = '1'
    else: os.environ.pop('RAFT_NB_FRESH_PROCESS', None)
    with tempfile.TemporaryDirectory() as d:
        load0, t0 = os.getloadavg()[0], time.time()
        run_tasks(d, TASKS, TINY, {'ppo': PPO_TINY}, jobs=jobs, log=lambda s: None, desc=mode)
        wall, sd = time.time() - t0, pathlib.Path(d) / 'seed0'
        cost = {f.name[:-len('.cost.json')]: json.loads(f.read_text()) for f in sd.glob('*.cost.json')}
        return dict(mode=mode, wall=wall, load=(load0, os.getloadavg()[0]), runs={n: c['process_wall_time'] for n, c in cost.items()},
                    rss={n: c['peak_rss_mib'] for n, c in cost.items()}, summaries={n: no_times(sd / n / 'summary.json') for n in cost})

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', default='figures/process_bench.md'); ap.add_argument('--reps', type=int, default=2)
    ap.add_argument('--jobs', type=int, default=2)
    a = ap.parse_args(argv)
    t0, load0 = time.time(), os.getloadavg()
    res = [pool(m, a.jobs) for _ in range(a.reps) for m in ('fresh', 'forked')]
    for r in res[1:]:
        if r['summaries'] != res[0]['summaries']: raise SystemExit(f"{r['mode']} pool: the summaries differ from the fresh pool's")
    by = {m: [r for r in res if r['mode'] == m] for m in ('fresh', 'forked')}
    wall = {m: statistics.median([r['wall'] for r in rs]) for m, rs in by.items()}
    run = {m: statistics.median([t for r in rs for t in r['runs'].values()]) for m, rs in by.items()}
    rss = {m: statistics.median([t for r in rs for t in r['rss'].values()]) for m, rs in by.items()}
    md = [f"# `tools/process_bench.py` — a run's own process: fresh interpreter vs forked from a fork server",
          '', f"One seed at tiny sizes: the base and {len(TASKS)} runs ({', '.join(t[1] for t in TASKS)}), {a.jobs} at a time; "
          f"{a.reps} pools per mode, alternating; load average {tuple(round(x, 2) for x in load0)} at the start, "
          f"{tuple(round(x, 2) for x in os.getloadavg())} at the end; {time.time() - t0:.0f} s. Every run's summary is the same "
          "in both modes but for wall times.", '',
          '| mode | pool wall s (each) | median | a run\'s process s (median) | peak RSS MiB (median) | load before → after (each) |',
          '|---|---|---|---|---|---|']
    for m, rs in by.items():
        md.append(f"| {m} | {', '.join(format(r['wall'], '.1f') for r in rs)} | {wall[m]:.1f} | {run[m]:.2f} | {rss[m]:.0f} | "
                  + ', '.join(f"{r['load'][0]:.2f} → {r['load'][1]:.2f}" for r in rs) + ' |')
    md += ['', f"Forked / fresh: pool wall time {wall['forked'] / wall['fresh']:.2f}, a run's process time {run['forked'] / run['fresh']:.2f} "
           f"({run['fresh'] - run['forked']:.1f} s saved per run)."]
    write_atomic(pathlib.Path(a.out), '\n'.join(md) + '\n'); print('\n'.join(md), flush=True)
    sys.stdout.flush(); os._exit(0)

if __name__ == '__main__': main()
