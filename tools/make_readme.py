"""Render README.md from nbs/index.ipynb (markdown cells as they are, visible code cells as Python blocks).

nbdev's own `nbdev_readme` needs the Quarto binary, which cannot be installed from a package registry;
this does the same for a notebook made of prose and code. `tests/test_readme.py` checks README.md is current.
Tables of results are never typed by hand: a block
    <!-- table: figures/report_cpu.md § Main table -->
    ...
    <!-- /table -->
in a markdown cell is filled with the first table under the heading that starts with that text in that file
(a committed report written by the code that ran the experiment); a block `<!-- text: FILE § HEADING -->` ...
`<!-- /text -->` is filled with the prose under that heading (its paragraphs, up to the next heading or table). `--update` writes the filled blocks back into
the notebook too; `--check` fails when README.md or the notebook's blocks are not current.
Usage: python tools/make_readme.py [--check | --update]
"""
import json, pathlib, re, sys
ROOT = pathlib.Path(__file__).resolve().parents[1]
BLOCK = re.compile(r'(<!-- (?P<kind>table|text): (?P<file>[^§]+?) § (?P<head>.+?) -->\n)(?P<body>.*?)(<!-- /(?P=kind) -->)', re.S)

def _section(file, head) -> list[str]:
    "The lines after the first heading of `file` that starts with `head`."
    lines = (ROOT / file).read_text(encoding='utf-8').split('\n')
    start = next((i for i, l in enumerate(lines) if l.startswith('#') and l.lstrip('#').strip().startswith(head)), None)
    if start is None: sys.exit(f'{file}: no heading starting with {head!r}')
    return lines[start + 1:]

def section_text(file, head) -> str:
    "The paragraphs under the first heading of `file` that starts with `head`, up to the next heading or table."
    out = []
    for l in _section(file, head):
        if l.startswith('#') or l.startswith('|'): break
        out.append(l)
    text = '\n'.join(out).strip()
    if not text: sys.exit(f'{file} § {head}: no text')
    return text + '\n'

def section_table(file, head) -> str:
    "The first Markdown table under the first heading of `file` that starts with `head`."
    rows = []
    for l in _section(file, head):
        if l.startswith('#'): break
        if l.startswith('|'): rows.append(l)
        elif rows: break
    if not rows: sys.exit(f'{file} § {head}: no table')
    return '\n'.join(rows) + '\n'

def fill(md: str) -> str:
    "`md` with every table and text block filled from its report."
    get = lambda m: (section_table if m['kind'] == 'table' else section_text)(m['file'].strip(), m['head'].strip())
    return BLOCK.sub(lambda m: m.group(1) + get(m) + m.group(6), md)

def render(nb_path=ROOT / 'nbs' / 'index.ipynb') -> str:
    nb = json.loads(pathlib.Path(nb_path).read_text(encoding='utf-8'))
    parts = []
    for c in nb['cells']:
        src = ''.join(c['source'])
        if c['cell_type'] == 'markdown': parts.append(fill(src).strip())
        elif c['cell_type'] == 'code':
            lines = src.split('\n')
            if any(l.replace(' ', '') in ('#|hide', '#|exporti') for l in lines): continue
            code = '\n'.join(l for l in lines if not l.lstrip().startswith('#|')).strip()
            if code: parts.append(f'```python\n{code}\n```')
    return '<!-- Generated from nbs/index.ipynb by tools/make_readme.py: edit the notebook, not this file. -->\n\n' + '\n\n'.join(parts) + '\n'

def update_notebook(nb_path=ROOT / 'nbs' / 'index.ipynb', write=True) -> bool:
    "Fill the table blocks of the notebook's markdown cells; True when something changed (written if `write`)."
    nb_path = pathlib.Path(nb_path); raw = nb_path.read_text(encoding='utf-8'); nb = json.loads(raw); changed = False
    for c in nb['cells']:
        if c['cell_type'] != 'markdown': continue
        src = ''.join(c['source']); new = fill(src)
        if new != src: c['source'] = new.splitlines(keepends=True); changed = True
    if changed and write: nb_path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n', encoding='utf-8')
    return changed

if __name__ == '__main__':
    readme = ROOT / 'README.md'
    if '--check' in sys.argv:
        if update_notebook(write=False): sys.exit('nbs/index.ipynb has tables older than their reports: run python tools/make_readme.py --update')
        if readme.read_text(encoding='utf-8') != render(): sys.exit('README.md is out of date: run python tools/make_readme.py')
    else:
        if '--update' in sys.argv: update_notebook()
        readme.write_text(render(), encoding='utf-8')
