"""Regression test for the silent failure seen in a RAFT prototype: fine-tuning on left-padded batches
without position ids, with loss on prompt tokens, took a policy from 79% to 36% correct in a few stages.

A policy that answers the world's questions well must not get worse when RAFT fine-tunes it on its own
best answers (which are right): stage after stage, its accuracy stays up."""
import random
import torch
from accelerate.utils import set_seed
from raft_nb.config import RAFTConfig
from raft_nb.models import train_tokenizer, tiny_gpt2
from raft_nb.training import sft
from raft_nb.raft import raft_stage, generate
from raft_nb.world import TASKS, make_prompt, gold_reward, assistant_response

def _accuracy(policy, tok, prompts):
    ys = generate(policy, tok, prompts, K=1, temperature=1.0, max_new_tokens=24, seed=123)
    return sum(gold_reward([p], [y[0]])[0] >= 2 for p, y in zip(prompts, ys)) / len(prompts)

def test_raft_stages_keep_a_good_policy_good():
    torch.set_num_threads(1)
    rng = random.Random(0)
    tasks = [t for t in TASKS if t.name in ('capital', 'max')]
    prompts = [make_prompt(rng.choice(tasks), rng) for _ in range(5000)]
    test = list(dict.fromkeys(prompts[-300:]))[:100]
    train = [p for p in prompts[:-300] if p not in set(test)]
    # a mostly helpful assistant: 85% right answers in full sentences, the rest curt or wrong
    data = [(p, assistant_response(p, rng.choices(['helpful', 'curt', 'wrong'], [0.85, 0.05, 0.1])[0], rng)) for p in train]
    tok = train_tokenizer([p + r for p, r in data], vocab_size=400)
    set_seed(0)
    policy, _ = sft(tiny_gpt2(tok, n_embd=64, n_layer=2, n_head=2), tok, [p for p, _ in data], [r for _, r in data],
                    epochs=10, lr=2e-3, batch_size=32)
    acc0 = _accuracy(policy, tok, test)
    assert acc0 >= 0.5, f'the starting policy should be good ({acc0:.2f})'
    cfg = RAFTConfig(K=4, lr=5e-4, epochs=2, max_new_tokens=24, batch_size=16)
    accs = [acc0]
    for t in range(3):
        policy, samples, _ = raft_stage(policy, tok, gold_reward, rng.sample(train, 64), cfg, seed=t)
        accs.append(_accuracy(policy, tok, test))
    print('accuracy by stage:', accs)
    assert min(accs[1:]) >= acc0 - 0.05, accs
