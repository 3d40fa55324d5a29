"RAFTTrainer on a tiny model saved to disk and datasets written by the test: by path, resumed, standard and conversational."
import json
import pytest, torch
from datasets import Dataset, load_dataset, load_from_disk
from raft_nb.models import train_tokenizer, tiny_gpt2
from raft_nb.loop import stage_dir, completed_stages
from raft_nb.trainer import RAFTTrainer, RAFTTrainerConfig

torch.set_num_threads(1)
TEMPLATE = ("{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}{% endfor %}"
            "{% if add_generation_prompt %}<|assistant|>{% endif %}")
WORDS = ['red', 'blue', 'green', 'gold', 'grey', 'pink']

@pytest.fixture(scope='module')
def model_dir(tmp_path_factory):
    "A tiny random GPT-2 and its tokenizer (with a chat template), saved as a hub model would be."
    d = tmp_path_factory.mktemp('tiny_model')
    texts = [f'<|user|>say {w}<|assistant|>{w} {w}. Q{i}: say {w}' for i, w in enumerate(WORDS * 5)]
    tok = train_tokenizer(texts, vocab_size=300); tok.chat_template = TEMPLATE
    torch.manual_seed(0)
    tiny_gpt2(tok, n_embd=32, n_layer=1, n_head=2, n_positions=64).save_pretrained(d); tok.save_pretrained(d)
    return d

def tiny_args(out, **kw):
    return RAFTTrainerConfig(**dict(b=6, K=3, stages=2, epochs=1, batch_size=6, lr=1e-3, max_new_tokens=8, gen_batch_size=4,
                                    output_dir=str(out)) | kw)

def test_standard_dataset_by_path_and_resume(model_dir, tmp_path):
    rows = [dict(prompt=f'Q{i}: say {w}', target=w, idx=i) for i, w in enumerate(WORDS * 2)]
    Dataset.from_list(rows).save_to_disk(str(tmp_path / 'data'))
    calls = []
    def hit(prompts, completions, target, idx, **kw):
        calls.append((prompts, completions, target, idx, kw))
        return [float(t in c) - 0.01 * len(c) for c, t in zip(completions, target)]

    out = tmp_path / 'run'
    trainer = RAFTTrainer(str(model_dir), hit, tiny_args(out), load_from_disk(str(tmp_path / 'data')))
    trainer.log = lambda s: None
    res = trainer.train()
    assert (res.global_step, res.metrics['stages_run']) == (2, 2)
    assert completed_stages(out) == [0, 1, 2]
    for t in (1, 2):
        d = stage_dir(out, t)
        assert (d / 'model' / 'config.json').exists() and (d / 'model' / 'tokenizer.json').exists()
        smp = load_from_disk(str(d / 'samples'))
        assert len(smp) == 6 * 3 and sum(smp['kept']) == 6
        # the kept completion of each prompt is its best by the reward function
        r = torch.tensor(smp['reward']).view(6, 3); kept = torch.tensor(smp['kept']).view(6, 3)
        assert torch.equal(r[kept], r.max(1).values)
    assert len((out / 'metrics.jsonl').read_text().splitlines()) == 3
    assert json.loads((out / 'trainer_config.json').read_text())['reward_funcs'] == ['hit']
    assert len(trainer.metrics) == 3 and trainer.metrics[-1]['stage'] == 2

    # the reward function got the other columns, as keyword lists aligned with the completions (and nothing else)
    assert len(calls) == 2
    for prompts, completions, target, idx, kw in calls:
        assert kw == {} and len(prompts) == len(completions) == len(target) == len(idx) == 18
        for p, t, i in zip(prompts, target, idx): assert (p, t) == (rows[i]['prompt'], rows[i]['target'])
        assert len(set(idx)) == 6                                    # b = 6 distinct rows, K = 3 completions each

    # a rerun (a new trainer, as after a restart) finds both stages and runs none
    calls.clear(); mtime = (stage_dir(out, 2) / 'metrics.json').stat().st_mtime_ns
    again = RAFTTrainer(str(model_dir), hit, tiny_args(out), load_from_disk(str(tmp_path / 'data')))
    again.log = lambda s: None
    res2 = again.train()
    assert res2.metrics['stages_run'] == 0 and res2.global_step == 2 and calls == []
    assert (stage_dir(out, 2) / 'metrics.json').stat().st_mtime_ns == mtime
    assert [r['reward_kept'] for r in again.metrics[1:]] == [r['reward_kept'] for r in trainer.metrics[1:]]
    with pytest.raises(ValueError, match=r'other settings \(K: 3 → 2'):
        RAFTTrainer(str(model_dir), hit, tiny_args(out, K=2), load_from_disk(str(tmp_path / 'data'))).train()

def test_conversational_jsonl(model_dir, tmp_path):
    rows = [dict(messages=[dict(role='user', content=f'say {w}'), dict(role='assistant', content=f'{w}.')], word=w) for w in WORDS]
    (tmp_path / 'chat.jsonl').write_text(''.join(json.dumps(r) + '\n' for r in rows))
    ds = load_dataset('json', data_files=str(tmp_path / 'chat.jsonl'), split='train')
    seen = []
    def said(prompts, completions, word, **kw):
        seen.append((prompts, completions, word))
        return [float(w in c[0]['content']) for c, w in zip(completions, word)]

    out = tmp_path / 'run'
    trainer = RAFTTrainer(str(model_dir), said, tiny_args(out, stages=1), train_dataset=ds, eval_dataset=ds.select(range(2)))
    trainer.log = lambda s: None
    res = trainer.train()
    assert res.global_step == 1 and 'reward' in res.metrics and 'kl' in res.metrics    # the eval set was scored
    by_word = {r['word']: r['messages'][:1] for r in rows}
    for prompts, completions, word in seen:      # prompts: the messages before the reference answer; completions: assistant turns
        assert all(p == by_word[w] for p, w in zip(prompts, word))
        assert all(isinstance(c, list) and len(c) == 1 and c[0]['role'] == 'assistant' for c in completions)
    smp = load_from_disk(str(stage_dir(out, 1) / 'samples'))
    assert set(smp['prompt']) == {f'<|user|>say {w}<|assistant|>' for w in WORDS}     # rendered with the chat template

def test_errors(model_dir, tmp_path):
    ok = lambda completions, **kw: [0.0] * len(completions)
    with pytest.raises(ValueError, match=r"train_dataset has no 'prompt' or 'messages' column \(its columns: text\)"):
        RAFTTrainer(str(model_dir), ok, tiny_args(tmp_path), Dataset.from_dict(dict(text=['a'])))
    with pytest.raises(TypeError, match=r'reward_funcs\[1\] must be a callable'):
        RAFTTrainer(str(model_dir), [ok, 7], tiny_args(tmp_path), Dataset.from_dict(dict(prompt=['a'])))
    with pytest.raises(ValueError, match='reward_weights has 3 weights for 2 reward functions'):
        RAFTTrainer(str(model_dir), [ok, ok], tiny_args(tmp_path, reward_weights=[1, 1, 1]), Dataset.from_dict(dict(prompt=['a'])))
