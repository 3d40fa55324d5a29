"""Render README.md from nbs/index.ipynb (markdown cells as they are, visible code cells as Python blocks).

nbdev's own `nbdev_readme` needs the Quarto binary, which cannot be installed from a package registry;
this does the same for a notebook made of prose and code. `tests/test_readme.py` checks README.md is current.
Usage: python tools/make_readme.py [--check]
"""
import json, pathlib, sys
ROOT = pathlib.Path(__file__).resolve().parents[1]

def render(nb_path=ROOT / 'nbs' / 'index.ipynb') -> str:
    nb = json.loads(pathlib.Path(nb_path).read_text(encoding='utf-8'))
    parts = []
    for c in nb['cells']:
        src = ''.join(c['source'])
        if c['cell_type'] == 'markdown': parts.append(src.strip())
        elif c['cell_type'] == 'code':
            lines = src.split('\n')
            if any(l.replace(' ', '') in ('#|hide', '#|exporti') for l in lines): continue
            code = '\n'.join(l for l in lines if not l.lstrip().startswith('#|')).strip()
            if code: parts.append(f'```python\n{code}\n```')
    return '<!-- Generated from nbs/index.ipynb by tools/make_readme.py: edit the notebook, not this file. -->\n\n' + '\n\n'.join(parts) + '\n'

if __name__ == '__main__':
    text, readme = render(), ROOT / 'README.md'
    if '--check' in sys.argv:
        if readme.read_text(encoding='utf-8') != text: sys.exit('README.md is out of date: run python tools/make_readme.py')
    else: readme.write_text(text, encoding='utf-8')
