"The HH loader on files in HH-RLHF's own format with the quirks of the real splits (issue 16), written by the tests."
import gzip, json, os, subprocess, time
from collections import Counter
import pytest
import raft_nb.data as data
from raft_nb.data import (HUMAN, ASSISTANT, split_dialogue, common_prompt, parse_records, read_hh, load_hh, sft_records, preference_pairs,
                          resolve_source, BadRecord)
from raft_nb.world import make_world
from conftest import cli

P1 = "\n\nHuman: My neighbor’s dog keeps barking at night. What can I do? 🐶\n\nAssistant:"
P2 = ("\n\nHuman: Can you recommend a “good” book?\n\nAssistant: Sure — what do you like to read?"
      "\n\nHuman: Mysteries, mostly… and sci‑fi 🚀\n\nAssistant:")

def rec(prompt, chosen, rejected): return dict(chosen=prompt + chosen, rejected=prompt + rejected)

# One of each kind of record found in a real HH split, with the count each should add to the report.
GOOD = [rec(P1, " Have you tried talking to them about it?", " Poison the dog."),
        rec(P2, " You might enjoy “The Left Hand of Darkness”.", " No."),
        rec(P2, " Agatha Christie’s novels are a classic place to start. 😊", " I don't read.")]
RAMBLE = rec(P1, " Talk to them first.\n\nHuman: And if that fails?\n\nAssistant: Then call the city’s noise line.",
             " Get a dog yourself.")                                     # the chosen reply invents two more turns
EMPTY_CHOSEN = rec(P2, " ", " Read the dictionary.")                     # the chosen dialogue ends in "\n\nAssistant: "
EMPTY_REJECTED = rec(P1, " Earplugs help, and so does a friendly note.", "")
IDENTICAL = rec(P2, " Try Ursula K. Le Guin.", " Try Ursula K. Le Guin.")          # an SFT target, but no comparison
BOTH_EMPTY = rec(P2, " ", "")                                                  # of use to no phase
NO_PROMPT = dict(chosen="\n\nHuman: hi\n\nAssistant: hello", rejected="\n\nHuman: bye\n\nAssistant: go away")
NO_TURN = dict(chosen="\n\nHuman: hi", rejected="\n\nHuman: hi\n\nAssistant: hello")

def hh_lines():
    "The lines of a quirky HH file: 20 good records, 5 rambling, 9 empty chosen, 2 empty rejected, 3 identical, and the broken ones."
    recs = GOOD * 6 + GOOD[:2] + ([RAMBLE] * 5) + ([EMPTY_CHOSEN] * 9) + ([EMPTY_REJECTED] * 2)
    recs += [IDENTICAL] * 3 + [BOTH_EMPTY] + [NO_PROMPT] * 3 + [NO_TURN] + [[1, 2], "text", {'chosen': P1 + " x"}, dict(chosen=P1, rejected=None)]
    lines = [json.dumps(r, ensure_ascii=False) for r in recs]
    return lines[:20] + ['{"chosen": "\\n\\nHuman: cut here', ''] + lines[20:] + ['not json at all']

def write_gz(path, lines):
    with gzip.open(path, 'wt', encoding='utf-8') as f: f.write('\n'.join(lines) + '\n')
    return path

def test_world_records_parse_as_before():
    "The embedded world's records give exactly the prompt/chosen/rejected of the old split at each dialogue's last turn."
    for n, seed in ((3000, 0), (1000, 7)):
        world = list(make_world(n, seed=seed))
        rows, rep = parse_records(world, source='embedded world')
        old = []
        for r in world:
            (pc, c), (pr, rj) = split_dialogue(r['chosen']), split_dialogue(r['rejected'])
            assert pc == pr
            old.append(dict(prompt=pc, chosen=c, rejected=rj))
        assert rows == old
        same = sum(r['chosen'] == r['rejected'] for r in old)             # the world has a few: kept, and noted
        assert (rep.records, rep.loaded, rep.n_skipped, rep.noted) == (n, n, 0, Counter(identical_replies=same) if same else Counter())

def test_quirky_hh_file_loads_by_default(tmp_path):
    f = write_gz(tmp_path / 'hh.jsonl.gz', hh_lines())
    ds, rep = read_hh(f)
    assert (rep.records, rep.loaded) == (50, 39)
    assert rep.skipped == Counter(empty_replies=1, no_common_prompt=4, not_object=2, missing_field=1, not_text=1, bad_json=2)
    assert rep.noted == Counter(empty_chosen=9, identical_replies=3, empty_rejected=2, turn_in_reply=5)
    assert rep.first == {'bad_json': f'{f}, line 21', 'empty_replies': f'{f}, line 42', 'no_common_prompt': f'{f}, line 43',
                         'not_object': f'{f}, line 47', 'missing_field': f'{f}, line 49', 'not_text': f'{f}, line 50'}
    assert rep.summary() == (
        f"{f}: 50 records: 39 loaded; skipped: 2 not valid JSON (first: line 21), 2 not a JSON object (first: line 47), "
        "1 missing 'chosen' or 'rejected' (first: line 49), 1 'chosen' or 'rejected' not a string (first: line 50), "
        "4 no common prompt (first: line 43), 1 both replies empty (first: line 42); of those loaded: "
        "9 with an empty chosen reply (preference pairs only, not used for SFT), "
        "3 with identical replies (SFT only, no preference pair), 2 with an empty rejected reply, "
        "5 with '\\n\\nHuman:' or '\\n\\nAssistant:' inside a reply")
    assert '\n' not in rep.summary()
    assert rep.as_dict()['skipped']['no_common_prompt'] == 4
    # the rambling replies are whole, and their prompt is the one both dialogues share
    ramble = [r for r in ds if HUMAN in r['chosen']]
    assert len(ramble) == 5 and all(r['prompt'] == P1 and r['chosen'] == RAMBLE['chosen'][len(P1):] for r in ramble)
    assert all(r['prompt'].endswith(ASSISTANT) for r in ds)
    # empty chosen replies are preference pairs, not SFT targets
    assert sum(not r['chosen'].strip() for r in ds) == 9
    sft = sft_records(ds)
    assert len(sft) == 30 and all(c.strip() for c in sft['chosen'])
    pairs = preference_pairs(ds)                     # identical replies are SFT targets, not preference pairs
    assert len(pairs) == 36 and all(c != r for c, r in zip(pairs['chosen'], pairs['rejected']))

def test_load_hh_reports_once(tmp_path):
    f = write_gz(tmp_path / 'hh.jsonl.gz', hh_lines())
    said = []
    ds = load_hh(f, log=said.append)
    assert len(ds) == 39 and said == [read_hh(f)[1].summary()]
    with pytest.warns(UserWarning) as w: load_hh(f)
    assert len(w) == 1
    clean = tmp_path / 'clean.jsonl'; clean.write_text('\n'.join(json.dumps(r) for r in GOOD) + '\n')
    said.clear(); load_hh(clean, log=said.append)
    assert said == []                                            # nothing to report on a clean file

def test_error_mode_names_record_and_option(tmp_path):
    f = write_gz(tmp_path / 'hh.jsonl.gz', hh_lines())
    with pytest.raises(BadRecord) as e: load_hh(f, malformed='error')
    assert str(e.value) == (f"{f}, line 21: not valid JSON (Unterminated string starting at, column 12); "
                            "set `malformed: skip` (or pass --malformed skip) to skip and count such records")
    assert e.value.reason == 'bad_json'
    ok = tmp_path / 'ok.jsonl'                                    # quirks are not errors
    ok.write_text('\n'.join(json.dumps(r, ensure_ascii=False) for r in GOOD + [RAMBLE, EMPTY_CHOSEN, EMPTY_REJECTED, IDENTICAL]) + '\n')
    assert len(load_hh(ok, malformed='error', log=lambda s: None)) == 7
    ok.write_text(json.dumps(GOOD[0]) + '\n' + json.dumps(BOTH_EMPTY) + '\n')
    with pytest.raises(ValueError, match=r"ok.jsonl, line 2: both replies are empty: no SFT target and no comparison; set `malformed: skip`"):
        load_hh(ok, malformed='error')

def test_common_prompt_is_the_shared_prefix():
    assert common_prompt(RAMBLE['chosen'], RAMBLE['rejected']) == P1
    assert split_dialogue(RAMBLE['chosen'])[0] != split_dialogue(RAMBLE['rejected'])[0]       # the old, wrong cut
    both = rec(P1, " Ok.\n\nHuman: thanks\n\nAssistant: welcome", " Ok.\n\nHuman: thanks\n\nAssistant: bye")
    assert common_prompt(both['chosen'], both['rejected']) == P1 + " Ok.\n\nHuman: thanks\n\nAssistant:"  # the longest one
    with pytest.raises(ValueError, match="share no prompt"): common_prompt(NO_PROMPT['chosen'], NO_PROMPT['rejected'])
    with pytest.raises(ValueError, match="'chosen' has no '\\\\n\\\\nAssistant:' turn"): common_prompt(NO_TURN['chosen'], NO_TURN['rejected'])

def one_line(e): assert '\n' not in str(e) and str(e).strip(), repr(str(e)); return str(e)

def test_truncated_and_corrupt_files(tmp_path):
    blob = gzip.compress(('\n'.join(json.dumps(r, ensure_ascii=False) for r in GOOD * 2000) + '\n').encode())
    cut = tmp_path / 'cut.jsonl.gz'; cut.write_bytes(blob[:len(blob) // 3])
    with pytest.raises(ValueError) as e: load_hh(cut)
    msg = one_line(e.value)
    assert msg.startswith(f"{cut}: truncated or corrupt gzip file, unreadable after line ") and 'end-of-stream marker' in msg
    bad = tmp_path / 'latin1.jsonl'; bad.write_bytes(json.dumps(GOOD[0]).encode() + b'\n' + '{"chosen": "caf\xe9"}\n'.encode('latin-1'))
    with pytest.raises(ValueError) as e: load_hh(bad, malformed='skip')
    assert one_line(e.value) == f"{bad}, line 2: not UTF-8 text (byte 0xe9 at column 16); re-encode the file as UTF-8"
    bom = tmp_path / 'bom.jsonl'; bom.write_bytes('\ufeff'.encode() + json.dumps(GOOD[0]).encode() + b'\r\n')
    assert load_hh(bom)[0]['chosen'] == GOOD[0]['chosen'][len(P1):]      # a byte-order mark and CRLF are fine

def test_bad_json_lines(tmp_path):
    f = tmp_path / 'bad.jsonl'
    f.write_text(json.dumps(GOOD[0]) + '\n{"chosen": broken\n[1, 2]\n' + json.dumps({'chosen': P1}) + '\n')
    ds, rep = read_hh(f)
    assert len(ds) == 1 and rep.skipped == Counter(bad_json=1, not_object=1, missing_field=1)
    for m, msg in [('error', f"{f}, line 2: not valid JSON (Expecting value, column 12)")]:
        with pytest.raises(ValueError, match=msg.replace('(', r'\(').replace(')', r'\)')): load_hh(f, malformed=m)
    f.write_text(json.dumps(GOOD[0]) + '\n[1, 2]\n')
    with pytest.raises(ValueError) as e: load_hh(f, malformed='error')
    assert one_line(e.value).startswith(f"{f}, line 2: expected a JSON object, got an array; set `malformed: skip`")
    f.write_text(json.dumps(GOOD[0]) + '\n' + json.dumps({'chosen': P1}) + '\n')
    with pytest.raises(ValueError, match=r"line 2: missing field 'rejected' \(has \['chosen'\]\)"): load_hh(f, malformed='error')
    f.write_text('{"chosen": broken\n')
    with pytest.raises(ValueError) as e: load_hh(f)
    assert one_line(e.value) == f"{f}: no usable HH records (1 records: 0 loaded; skipped: 1 not valid JSON (first: line 1))"

def test_identical_replies(tmp_path):
    f = tmp_path / 'same.jsonl'
    f.write_text('\n'.join(json.dumps(r) for r in [GOOD[0], IDENTICAL, BOTH_EMPTY, dict(chosen=P1 + " a", rejected=P1 + " a ")]) + '\n')
    ds, rep = read_hh(f)
    assert len(ds) == 3 and rep.noted == Counter(identical_replies=2)       # kept: their chosen replies are SFT targets
    assert rep.skipped == Counter(empty_replies=1) and rep.first['empty_replies'] == f'{f}, line 3'
    assert len(sft_records(ds)) == 3 and preference_pairs(ds)['chosen'] == [GOOD[0]['chosen'][len(P1):]]

def test_names_that_look_local_never_reach_the_hub(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    def no_hub(*a, **k): raise AssertionError(f'the hub was asked for {a}')
    monkeypatch.setattr(data, 'load_dataset', no_hub)
    for name in ['does_not_exist_dir', 'data/hh.jsonl.gz', 'hh.jsonl', './hh', 'runs/x/data', '~/no-such-hh', 'a--b/c']:
        t0 = time.time()
        with pytest.raises(FileNotFoundError) as e: load_hh(name)
        assert time.time() - t0 < 2
        assert one_line(e.value).startswith(f"dataset path not found: {name} (no file or directory ")
    with pytest.raises(FileNotFoundError) as e: load_hh('does_not_exist_dir')
    assert str(e.value) == f"dataset path not found: does_not_exist_dir (no file or directory {tmp_path}/does_not_exist_dir; hub ids look like owner/name)"
    (tmp_path / 'owner' / 'name').mkdir(parents=True)                         # an existing path wins over the hub
    with pytest.raises(FileNotFoundError, match="holds no .jsonl/.jsonl.gz files"): load_hh('owner/name')
    (tmp_path / 'owner' / 'name' / 'train.jsonl').write_text(json.dumps(GOOD[0]) + '\n')
    assert len(load_hh('owner/name')) == 1

def test_hub_ids_offline_fail_at_once(tmp_path, monkeypatch):
    monkeypatch.setattr(data, 'load_dataset', lambda *a, **k: (_ for _ in ()).throw(AssertionError('hub asked')))
    monkeypatch.delenv('HF_DATASETS_OFFLINE', raising=False); monkeypatch.delenv('TRANSFORMERS_OFFLINE', raising=False)
    for var in ('HF_HUB_OFFLINE', 'HF_DATASETS_OFFLINE'):
        monkeypatch.setenv(var, '1')
        with pytest.raises(FileNotFoundError) as e: load_hh('nobody-xyz/no-such-hh')
        assert one_line(e.value) == f"dataset nobody-xyz/no-such-hh: not a local path, and the hub is offline ({var}=1) with no cached copy"
        monkeypatch.delenv(var)
    monkeypatch.setenv('HF_HUB_OFFLINE', '1')
    with pytest.raises(FileNotFoundError, match=r"^model nobody-xyz/tiny: not a local path, and the hub is offline"):
        resolve_source('nobody-xyz/tiny', what='model')

def test_hub_failures_are_one_line(monkeypatch):
    for var in ('HF_HUB_OFFLINE', 'HF_DATASETS_OFFLINE', 'TRANSFORMERS_OFFLINE'): monkeypatch.delenv(var, raising=False)
    def down(path, split): raise ConnectionError(f"Couldn't reach '{path}' on the Hub (LocalEntryNotFoundError)\nmore detail")
    monkeypatch.setattr(data, 'load_dataset', down)
    with pytest.raises(ValueError) as e: load_hh('nobody-xyz/no-such-hh')
    assert one_line(e.value) == ("dataset nobody-xyz/no-such-hh: could not load split 'train' from the hub "
                                 "(ConnectionError: Couldn't reach 'nobody-xyz/no-such-hh' on the Hub (LocalEntryNotFoundError))")

def test_directories(tmp_path):
    empty = tmp_path / 'empty'; empty.mkdir(); (empty / 'README.md').write_text('no data')
    with pytest.raises(FileNotFoundError) as e: load_hh(empty)
    assert one_line(e.value) == f"{empty}: directory holds no .jsonl/.jsonl.gz files and no saved dataset"
    hh = tmp_path / 'hh-rlhf'                                        # HH's layout: subsets with train/test files
    for sub in ('harmless-base', 'helpful-base'):
        (hh / sub).mkdir(parents=True)
        write_gz(hh / sub / 'train.jsonl.gz', [json.dumps(r) for r in GOOD])
        write_gz(hh / sub / 'test.jsonl.gz', [json.dumps(GOOD[0])])
    (hh / '.cache').mkdir(); (hh / '.cache' / 'train.jsonl').write_text('junk\n')
    assert len(load_hh(hh)) == 6 and len(load_hh(hh / 'harmless-base', split='test')) == 1
    with pytest.raises(FileNotFoundError, match="no 'validation' files"): load_hh(hh, split='validation')

@pytest.mark.parametrize('kind', ['missing', 'truncated'])
def test_cli_bad_dataset_exits_2_with_one_line(tmp_path, tiny_config, kind):
    if kind == 'missing': name, msg = 'does_not_exist_dir', 'dataset path not found: does_not_exist_dir ('
    else:
        blob = gzip.compress(('\n'.join(json.dumps(r) for r in GOOD * 3000) + '\n').encode())
        name = tmp_path / 'cut.jsonl.gz'; name.write_bytes(blob[:len(blob) // 2]); msg = f'{name}: truncated or corrupt gzip file'
    r = subprocess.run(cli(tiny_config, '--out', tmp_path / 'run', '--dataset', name), capture_output=True, text=True,
                       timeout=300, cwd=tmp_path, env={**os.environ, 'HF_HUB_OFFLINE': '1'})
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    assert r.returncode == 2 and lines[-1].startswith(f'raft_align: error: {msg}'), r.stderr[-1500:]
    assert 'Traceback' not in r.stderr and not (tmp_path / 'run').exists()
