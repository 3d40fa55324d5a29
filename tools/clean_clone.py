"""Time a command from a clean clone, as a new user would run it, and record the figures (issue #11).

    python3 tools/clean_clone.py NAME [--commit REF] [--dir DIR] -- COMMAND...
    e.g. python3 tools/clean_clone.py align -- make align
         python3 tools/clean_clone.py cpu-preset -- make reproduce PRESET=cpu

Clones this repository's commit REF (default HEAD; the working tree's uncommitted changes are *not* in it) into DIR
(default /tmp/raft_nb_clean_NAME, removed first), runs COMMAND there with the user's environment, its output into
runs/clean_clone/NAME.log of this checkout (with `--record DIR`: DIR/NAME.log), and samples the 1-minute load average every 30 s. Other work shares
these cores, so the process gives its session's autogroup the priority -15 where the system lets it (recorded).
The entry — command, commit, date, rc, wall seconds, load average at the start, during (10th/90th percentile, max)
and at the end, the CPU model, whether it has AVX-512, a single-thread 2048² matmul's GFLOP/s with this checkout's
.venv just before and after (how fast the host is: hosts differ; `--no-matmul` skips it) — replaces the one of the same NAME in figures/timings.json,
and figures/timings.md (the README quotes its table) is rewritten from that file; both atomically (with `--record DIR`:
DIR/timings.json and DIR/timings.md). Only Python's
standard library: it runs before any set-up.
"""
from __future__ import annotations
import argparse, datetime, json, os, pathlib, shutil, statistics, subprocess, sys, threading, time
ROOT = pathlib.Path(__file__).resolve().parents[1]
JSON, MD = ROOT / 'figures' / 'timings.json', ROOT / 'figures' / 'timings.md'

def load1() -> float: return os.getloadavg()[0]

def cpu_model() -> tuple[str, bool]:
    info = pathlib.Path('/proc/cpuinfo').read_text() if pathlib.Path('/proc/cpuinfo').exists() else ''
    name = next((l.split(':', 1)[1].strip() for l in info.splitlines() if l.startswith('model name')), 'unknown CPU')
    return name, ' avx512f' in info

MATMUL = ("import torch, time; torch.set_num_threads(1); a, b = torch.randn(2048, 2048), torch.randn(2048, 2048); a @ b; ts = []\n"
          "for _ in range(5): t = time.process_time(); a @ b; ts.append(time.process_time() - t)\nprint(2 * 2048 ** 3 / min(ts) / 1e9)")

def matmul_gflops() -> float | None:
    "Single-thread 2048² matmul GFLOP/s (CPU time) with this checkout's .venv, if it has one: how fast the machine is now."
    py = ROOT / '.venv' / 'bin' / 'python'
    if not py.exists(): return None
    try: return round(float(subprocess.run([str(py), '-c', MATMUL], capture_output=True, text=True, timeout=120).stdout.strip()), 1)
    except (ValueError, subprocess.SubprocessError): return None

def write_atomic(path: pathlib.Path, text: str):
    tmp = path.with_name(path.name + f'.tmp-{os.getpid()}'); tmp.write_text(text, encoding='utf-8'); os.replace(tmp, path)

def fmt_wall(s: float) -> str:
    m, sec = divmod(round(s), 60)
    return f'{m} min {sec} s ({round(s):,} s)' if m else f'{sec} s'

def gf(e, k): v = (e.get('matmul_gflops') or {}).get(k); return '–' if v is None else f'{v:.0f}'

def table(entries: dict) -> str:
    rows = ['# Timings from clean clones (`tools/clean_clone.py`)', '',
            'Each command run from a fresh clone of the commit shown, set-up included, on the machine named '
            '(priority raised where allowed); load average: 1-minute, at the start, during (10th–90th percentile, '
            'max), at the end; how fast the machine was, by a single-thread matmul with the checkout\'s .venv just before '
            'and after (CPU time: the two cores may share a physical core). Written by the tool from figures/timings.json; one run each, not a distribution.', '',
            '## Clean-clone wall times', '',
            '| name | command | commit | date | rc | wall | load: start · during · end | machine | 2048² matmul, 1 thread: start · end (GFLOP/s) |',
            '|---|---|---|---|---|---|---|---|---|']
    for n, e in entries.items():
        l = e['load']
        rows.append(f"| {n} | `{e['command']}` | `{e['commit']}` | {e['date']} | {e['rc']} | {fmt_wall(e['wall_s'])} | "
                    f"{l['start']:.2f} · {l['p10']:.1f}–{l['p90']:.1f} (max {l['max']:.1f}) · {l['end']:.2f} | "
                    f"{e['nproc']} cores, {e['cpu']}{' (AVX-512)' if e['avx512'] else ''} | {gf(e, 'start')} · {gf(e, 'end')} |")
    return '\n'.join(rows) + '\n'

def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if '--' not in argv: sys.exit('usage: clean_clone.py NAME [--commit REF] [--dir DIR] -- COMMAND...')
    i = argv.index('--'); ap = argparse.ArgumentParser()
    ap.add_argument('name'); ap.add_argument('--commit', default='HEAD'); ap.add_argument('--dir', default=None)
    ap.add_argument('--no-matmul', action='store_true', help='skip the matmul measurement before and after')
    ap.add_argument('--record', default=None, help='write timings.json, timings.md and the log here (default: figures/, runs/clean_clone/)')
    a, cmd = ap.parse_args(argv[:i]), argv[i + 1:]
    if not cmd: sys.exit('clean_clone.py: no COMMAND after --')
    rec = pathlib.Path(a.record).resolve() if a.record else None
    js, md = (rec / 'timings.json', rec / 'timings.md') if rec else (JSON, MD)
    commit = subprocess.check_output(['git', '-C', str(ROOT), 'rev-parse', '--short', a.commit], text=True).strip()
    d = pathlib.Path(a.dir or f'/tmp/raft_nb_clean_{a.name}')
    if d.exists(): shutil.rmtree(d)
    subprocess.check_call(['git', 'clone', '-q', str(ROOT), str(d)])
    subprocess.check_call(['git', '-C', str(d), 'checkout', '-q', commit])
    try: pathlib.Path('/proc/self/autogroup').write_text('-15'); prio = True
    except OSError: prio = False
    log = (rec or ROOT / 'runs' / 'clean_clone') / f'{a.name}.log'; log.parent.mkdir(parents=True, exist_ok=True)
    samples, stop = [], threading.Event()
    def sample():
        while not stop.wait(30): samples.append(load1())
    gf0 = None if a.no_matmul else matmul_gflops()
    start_load, date = load1(), datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')
    th = threading.Thread(target=sample, daemon=True); th.start()
    t = time.perf_counter()
    with open(log, 'w') as f: rc = subprocess.call(cmd, cwd=d, stdout=f, stderr=subprocess.STDOUT)
    wall = time.perf_counter() - t; stop.set(); th.join(); gf1 = None if a.no_matmul else matmul_gflops()
    during = samples or [start_load]
    q = statistics.quantiles(during, n=10) if len(during) > 1 else [during[0]] * 9
    name, avx = cpu_model()
    entry = dict(command=' '.join(cmd), commit=commit, date=date, rc=rc, wall_s=round(wall, 1), priority_raised=prio,
                 load=dict(start=start_load, p10=q[0], p90=q[-1], max=max(during), end=load1(), samples=during),
                 cpu=name, avx512=avx, nproc=os.cpu_count(), matmul_gflops=dict(start=gf0, end=gf1))
    entries = json.loads(js.read_text()) if js.exists() else {}
    entries[a.name] = entry
    write_atomic(js, json.dumps(entries, indent=1) + '\n'); write_atomic(md, table(entries))
    print(f"{a.name}: rc {rc}, {fmt_wall(wall)} from a clean clone of {commit}; load {start_load:.2f} → "
          f"{q[0]:.1f}–{q[-1]:.1f} (max {max(during):.1f}); log {log}", flush=True)
    return rc

if __name__ == '__main__': sys.exit(main())
