"README.md is generated from nbs/index.ipynb; CI calls the README's own test command."
import pathlib, re, sys
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / 'tools'))
from make_readme import render, ROOT

def test_readme_is_current():
    assert (ROOT / 'README.md').read_text(encoding='utf-8') == render(), 'run: python tools/make_readme.py'

def test_ci_runs_the_readme_test_command():
    readme = (ROOT / 'README.md').read_text(encoding='utf-8')
    ci = (ROOT / '.ci' / 'run').read_text()
    assert 'make test' in readme and re.search(r'^make test\b', ci, re.M)

def test_readme_tables_come_from_reports():
    "The README's tables of results are blocks filled from committed reports, and the notebook's copies are current."
    from make_readme import update_notebook, BLOCK
    readme = (ROOT / 'README.md').read_text(encoding='utf-8')
    assert len(BLOCK.findall(readme)) >= 3, 'the results tables of nbs/index.ipynb should be <!-- table: FILE § HEADING --> blocks'
    assert not update_notebook(write=False), 'run: python tools/make_readme.py --update'
