"The real-data path: HH files and models loaded from local directories (as `from_pretrained` loads hub ones)."
import json, gzip
import pytest
from raft_nb.config import make_config
from raft_nb.pipeline import align
from raft_nb.world import make_world
from raft_nb.models import train_tokenizer, tiny_gpt2
from conftest import TINY

@pytest.fixture
def hh_dir(tmp_path):
    "An HH-format dataset with multi-turn, non-ASCII dialogues, and a pretrained-style model directory."
    recs = list(make_world(1200, seed=5))
    data = tmp_path / 'hh'; data.mkdir()
    for i, r in enumerate(recs):       # turn every third record into a multi-turn dialogue with non-ASCII text
        if i % 3 == 0:
            pre = "\n\nHuman: Grüß dich! ¿Qué tal? 😊\n\nAssistant: Hallo! How can I help?"
            recs[i] = dict(chosen=pre + r['chosen'], rejected=pre + r['rejected'])
        else: recs[i] = dict(chosen=r['chosen'], rejected=r['rejected'])
    with open(data / 'train.jsonl', 'w', encoding='utf-8') as f:
        for r in recs[:800]: f.write(json.dumps(r, ensure_ascii=False) + '\n')
    with gzip.open(data / 'more.jsonl.gz', 'wt', encoding='utf-8') as f:
        for r in recs[800:]: f.write(json.dumps(r) + '\n')
    tok = train_tokenizer([r['chosen'] for r in recs] + [r['rejected'] for r in recs])
    model = tiny_gpt2(tok, n_embd=48, n_layer=2, n_positions=256)
    mdir = tmp_path / 'pretrained'
    model.save_pretrained(mdir); tok.save_pretrained(mdir)
    return data, mdir

def test_align_on_local_hh_files_and_model_dir(tmp_path, hh_dir):
    data, mdir = hh_dir
    cfg = make_config(**{**TINY, 'stages': 1}, dataset=str(data), policy=str(mdir), max_prompt_tokens=64)
    s = align(cfg, tmp_path / 'run', log=lambda *a: None)
    assert s['gold'] is None                                 # real data has no gold reward
    assert 0.0 <= s['reward_model_accuracy'] <= 1.0 and s['reward_model']['held_out_pairs'] > 0
    assert s['stages'] == 1 and s['final']['ppl'] > 1
    # the learned reward model, given by path, serves as the reward of another run
    cfg2 = make_config(**{**TINY, 'stages': 1}, dataset=str(data), policy=str(mdir), reward=str(tmp_path / 'run' / 'reward_model'))
    s2 = align(cfg2, tmp_path / 'run2', log=lambda *a: None)
    assert abs(s2['reward_model']['accuracy'] - s['reward_model_accuracy']) < 1e-9

def test_long_prompts_are_filtered(tmp_path, hh_dir):
    data, mdir = hh_dir
    cfg = make_config(**{**TINY, 'stages': 1}, dataset=str(data), policy=str(mdir), max_prompt_tokens=24)
    s = align(cfg, tmp_path / 'run', log=lambda *a: None)
    assert sum(s['dropped_long_prompts'].values()) > 0        # the multi-turn prompts are longer than 24 tokens
