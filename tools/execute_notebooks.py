"""Execute the notebooks in place, each top to bottom in a fresh kernel, and store their outputs.

This is how the committed notebooks get their outputs (printed samples, tables, figures): the same cells
`nbdev_test` runs -- `#| eval: false` cells and cells flagged with a `tst_flags` flag of settings.ini
(`slow`) are skipped and keep no output -- in a kernel started from this Python, in `nbs/`, with
  * TQDM_DISABLE=1: no progress bars (`raft_nb.models.interactive()` reads it; tqdm too),
  * HF_HUB_OFFLINE=1, HF_DATASETS_OFFLINE=1, HF_EVALUATE_OFFLINE=1: nothing is fetched,
  * PYTHONHASHSEED=0 and this checkout first on PYTHONPATH.
The heavy experiment notebooks (14, 15, 17, 19) run only their miniature cells; their real results are
read from `figures/` by `raft_nb.report.show_committed`.

After a notebook has run, machine paths in its outputs are rewritten -- this checkout to `.`, the temporary
folder's `tmpXXXX` directories to `<tmp>`, the home folder to `~` -- and the notebook is cleaned as
`nbdev_clean` cleans it (so `nbdev_clean` leaves it as it is, outputs included: clear_all = False).
Any absolute path left (/work/, /tmp/, /home/, /root/), an error output or a progress bar makes the run fail,
as tests/test_notebook_outputs.py would.

Usage: python tools/execute_notebooks.py [NB.ipynb ...] [--jobs 2] [--timeout 1800] [--check]
  --check  only check the committed outputs (no execution); exit 1 on a problem.
"""
from __future__ import annotations
import argparse, json, os, re, sys, tempfile, time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT / 'nbs'
MACHINE_PATH = re.compile(r'(?<![\w.~<>-])/(?:work|tmp|home|root|var/folders|private)/[^\s\'"`)\]]*')
PROGRESS = re.compile(r'\r(?!\n)|\d+%\|[█▏▎▍▌▋▊▉ #]*\||it/s\]|s/it\]')
ENV = dict(TQDM_DISABLE='1', HF_HUB_OFFLINE='1', HF_DATASETS_OFFLINE='1', HF_EVALUATE_OFFLINE='1',
           TRANSFORMERS_NO_ADVISORY_WARNINGS='1', PYTHONHASHSEED='0', PYTHONWARNINGS='ignore::DeprecationWarning,ignore:IProgress not found')

def _directives(src: str) -> dict:
    d = {}
    for line in src.splitlines():
        m = re.match(r'^\s*#\|\s*([\w-]+):?\s*(.*?)\s*$', line)
        if not m:
            if line.strip(): break
            continue
        d[m.group(1)] = m.group(2)
    return d

def skipped(cell, flags) -> bool:
    "Cells nbdev_test does not run: `#| eval: false`, or flagged with one of `flags`."
    if cell.get('cell_type') != 'code': return True
    d = _directives(''.join(cell['source']) if isinstance(cell['source'], list) else cell['source'])
    return d.get('eval', '').lower() == 'false' or any(f in d for f in flags)

def output_texts(cell):
    "(kind, text) of every text part of a code cell's outputs."
    for o in cell.get('outputs', []):
        if o.get('output_type') == 'stream': yield 'stream', ''.join(o.get('text', ''))
        elif o.get('output_type') == 'error': yield 'error', '\n'.join(o.get('traceback', []) + [o.get('evalue', '')])
        for mime, v in o.get('data', {}).items():
            if mime.startswith('text/') or mime.endswith('json'):
                yield mime, v if isinstance(v, str) else ''.join(v) if isinstance(v, list) else json.dumps(v)

def _replacements() -> list[tuple[re.Pattern, str]]:
    tmp = re.escape(str(Path(tempfile.gettempdir()).resolve()))
    reps = [(re.compile(re.escape(str(ROOT)) + r'/?'), './'),
            (re.compile(tmp + r'/(?:tmp|pytest-of-)[\w.-]+'), '<tmp>'), (re.compile(tmp + r'(?=/)'), '<tmp>')]
    home = os.path.expanduser('~')
    if home not in ('/', ''): reps.append((re.compile(re.escape(home) + r'(?=/|\b)'), '~'))
    return reps

def _sub(v, reps):
    if isinstance(v, list): return [_sub(x, reps) for x in v]
    if isinstance(v, str):
        for pat, new in reps: v = pat.sub(new, v)
    return v

def sanitize(nb) -> int:
    "Rewrite machine paths in the text outputs of `nb`, in place; returns how many outputs changed."
    reps, n = _replacements(), 0
    for c in nb.cells:
        for o in c.get('outputs', []):
            for key in ('text', 'traceback', 'evalue'):
                if key in o:
                    new = _sub(o[key], reps); n += new != o[key]; o[key] = new
            for mime, v in o.get('data', {}).items():
                if mime.startswith('text/'):
                    new = _sub(v, reps); n += new != v; o['data'][mime] = new
    return n

def problems(nb_json: dict, name: str) -> list[str]:
    "What is wrong with the committed outputs of one notebook: machine paths, errors, progress bars."
    out = []
    for i, c in enumerate(nb_json.get('cells', [])):
        for kind, text in output_texts(c):
            where = f'{name}, cell {i} ({c.get("id", "?")}), {kind}'
            if kind == 'error': out.append(f'{where}: an error output')
            for m in MACHINE_PATH.finditer(text): out.append(f'{where}: a machine path {m.group(0)!r}')
            if kind == 'stream' and PROGRESS.search(text): out.append(f'{where}: a progress bar')
    return out

def execute(path: Path, timeout: int, flags: list[str]) -> tuple[str, float, int, list[str]]:
    "Run one notebook in a fresh kernel, store its outputs, rewrite machine paths, clean it as nbdev_clean does."
    import nbformat
    from nbclient import NotebookClient
    os.environ.update(ENV)
    os.environ['PYTHONPATH'] = os.pathsep.join([str(ROOT)] + [p for p in os.environ.get('PYTHONPATH', '').split(os.pathsep) if p])

    class Client(NotebookClient):
        async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
            if skipped(cell, flags):
                if cell.get('cell_type') == 'code': cell.outputs = []; cell.execution_count = None
                return cell
            return await super().async_execute_cell(cell, cell_index, execution_count, store_history)

    t0 = time.time()
    nb = nbformat.read(path, as_version=4)
    Client(nb, timeout=timeout, kernel_name='python3', record_timing=False, allow_errors=False,
           resources={'metadata': {'path': str(path.parent)}}).execute()
    n = sanitize(nb)
    nbformat.write(nb, path)
    from nbdev.clean import nbdev_clean
    nbdev_clean(fname=str(path))
    return path.name, time.time() - t0, n, problems(json.loads(path.read_text(encoding='utf-8')), path.name)

def _one(args):
    path, timeout, flags = args
    try: return execute(path, timeout, flags)
    except Exception as e:                                     # nbclient's CellExecutionError names the cell and the traceback
        msg = str(e); msg = msg if len(msg) < 4000 else msg[:1500] + '\n...\n' + msg[-2000:]
        return path.name, 0.0, 0, [f'{path.name}: execution failed:\n{msg}']

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('notebooks', nargs='*', help='notebooks to run (default: every nbs/*.ipynb)')
    ap.add_argument('--jobs', type=int, default=2, help='notebooks at the same time')
    ap.add_argument('--timeout', type=int, default=1800, help='seconds per cell')
    ap.add_argument('--check', action='store_true', help='only check the committed outputs')
    a = ap.parse_args(argv)
    paths = [Path(p).resolve() for p in a.notebooks] or sorted(NBS.glob('*.ipynb'))
    for p in paths:
        if not p.is_file() or p.suffix != '.ipynb': sys.exit(f'not a notebook: {p}')
    if a.check:
        bad = [x for p in paths for x in problems(json.loads(p.read_text(encoding='utf-8')), p.name)]
        for b in bad: print(b)
        print(f'{len(paths)} notebooks checked, {len(bad)} problem(s)')
        sys.exit(1 if bad else 0)
    from nbdev.config import get_config
    flags = get_config().get('tst_flags', '').split()
    t0, bad = time.time(), []
    with ProcessPoolExecutor(max(1, a.jobs)) as ex:
        for name, dt, n, probs in ex.map(_one, [(p, a.timeout, flags) for p in paths]):
            print(f"{'ok  ' if not probs else 'FAIL'} {name:34s} {dt:6.1f}s" + (f'  ({n} output(s) with machine paths rewritten)' if n else ''), flush=True)
            for x in probs: print('     ', x)
            bad += probs
    print(f'{len(paths)} notebooks in {time.time() - t0:.0f}s, {len(bad)} problem(s)')
    sys.exit(1 if bad else 0)

if __name__ == '__main__': main()
