"""Cross-check our PPO (`raft_nb.ppo`) against TRL's last PPO (`trl==1.12.0`, `trl.experimental.ppo`) on the same task.

Both start from the same SFT model and optimise the same learned reward model (from a `base/` directory of
`raft_compare` or `raft_align --base`), with the same budget (episodes, rollout size, minibatch size, PPO epochs,
β, learning rate, response length, temperature) read from our PPO run's config, and are evaluated by the same
`raft_nb.raft.Evaluator` on the same test prompts with the same sampling seed.

    pip install -e ".[trl]"          # trl==1.12.0, an optional extra
    python tools/trl_crosscheck.py --ours runs/compare/seed0/ppo_beta0.05 --base runs/compare/seed0/base --out runs/trl_check

TRL details that matter (checked against trl 1.12.0's source):
- TRL reads the reward model's score at the EOS token; our reward model was trained on and scores `prompt + response`
  without EOS, so `ScoreBeforeEOS` makes TRL read the hidden state of the token before EOS (it then equals our
  `RewardModel` score to float precision on sampled responses).
- Queries must be left-padded (TRL takes everything after the query block as the response), and the pad token must
  differ from EOS. One rollout of `rollout_batch` prompts = `per_device_train_batch_size`, split into
  `rollout_batch // mini_batch` minibatches, one optimizer step each; constant learning rate (as ours).
- The value model starts from the reward model, as ours does. PPOConfig's bf16 / gradient checkpointing defaults are
  turned off for CPU.
"""
from __future__ import annotations
import argparse, copy, json, os, pathlib, sys, time
os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1"); os.environ.setdefault("HF_HUB_OFFLINE", "1")
import torch, torch.nn as nn
from datasets import Dataset
from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification, AutoTokenizer, set_seed
from transformers.modeling_outputs import BaseModelOutputWithPast


class _ShiftEOSBackbone(nn.Module):
    "Backbone whose last hidden state at an EOS position is that of the token before it."
    def __init__(self, backbone, eos_id): super().__init__(); self.inner, self.eos_id = backbone, eos_id
    def forward(self, input_ids=None, **kw):
        out = self.inner(input_ids=input_ids, **kw)
        h = out.hidden_states[-1]
        h = torch.where((input_ids == self.eos_id).unsqueeze(-1), torch.cat([h[:, :1], h[:, :-1]], 1), h)
        return BaseModelOutputWithPast(last_hidden_state=h, hidden_states=(*out.hidden_states[:-1], h))


class ScoreBeforeEOS(nn.Module):
    "Makes TRL's `get_reward` (backbone + `score` read at EOS) return r(prompt + response), as our RewardModel does."
    base_model_prefix = "backbone"
    def __init__(self, rm, eos_id):
        super().__init__(); self.rm = rm
        self.backbone = _ShiftEOSBackbone(getattr(rm, rm.base_model_prefix), eos_id)
        self.score, self.config = rm.score, rm.config


def trl_ppo(sft_dir, rm_dir, prompts, out_dir, *, total_episodes, batch_size, mini_batch_size, num_ppo_epochs, kl_coef, lr,
            response_length, temperature, seed, log=print):
    "Train a policy from `sft_dir` with TRL 1.12's PPOTrainer against the reward model in `rm_dir`; returns (policy, wall time)."
    from trl.experimental.ppo import PPOConfig, PPOTrainer
    out_dir = pathlib.Path(out_dir); out_dir.mkdir(parents=True, exist_ok=True)
    set_seed(seed)
    tok = AutoTokenizer.from_pretrained(str(sft_dir))
    if tok.pad_token_id is None or tok.pad_token_id == tok.eos_token_id:
        raise ValueError("TRL's PPO needs a pad token distinct from EOS (it treats every pad id in a response as padding)")
    tok.padding_side = "left"
    policy = AutoModelForCausalLM.from_pretrained(str(sft_dir)); ref = copy.deepcopy(policy).eval()
    value = AutoModelForSequenceClassification.from_pretrained(str(rm_dir), num_labels=1)
    rm = AutoModelForSequenceClassification.from_pretrained(str(rm_dir), num_labels=1)
    for m in (policy, value, rm): m.config.pad_token_id = tok.pad_token_id
    policy.generation_config.pad_token_id = tok.pad_token_id
    enc = lambda ps: Dataset.from_dict({"input_ids": tok(list(ps), add_special_tokens=False)["input_ids"]})
    args = PPOConfig(output_dir=str(out_dir / "trl_run"), seed=seed, data_seed=seed, total_episodes=total_episodes,
                     per_device_train_batch_size=batch_size, gradient_accumulation_steps=1,
                     num_mini_batches=batch_size // mini_batch_size, per_device_eval_batch_size=batch_size,
                     local_rollout_forward_batch_size=batch_size, num_ppo_epochs=num_ppo_epochs, kl_coef=kl_coef,
                     learning_rate=lr, lr_scheduler_type="constant", response_length=response_length, temperature=temperature,
                     stop_token="eos", use_cpu=True, bf16=False, fp16=False, activation_checkpointing=False, report_to="none",
                     save_strategy="no", logging_steps=1, num_sample_generations=0, disable_tqdm=True, dataloader_num_workers=0)
    trainer = PPOTrainer(args=args, processing_class=tok, model=policy, ref_model=ref, reward_model=ScoreBeforeEOS(rm, tok.eos_token_id),
                         train_dataset=enc(prompts), value_model=value, eval_dataset=enc(list(prompts)[:batch_size]))
    t0 = time.time(); trainer.train(); wall = time.time() - t0
    policy = trainer.accelerator.unwrap_model(trainer.model).policy.eval()
    tok.padding_side = "right"; policy.save_pretrained(out_dir / "model"); tok.save_pretrained(out_dir / "model")
    hist = trainer.state.log_history
    (out_dir / "trl_log_history.json").write_text(json.dumps(dict(wall_time=wall, log_history=hist), indent=1))
    for h in hist[:: max(1, len(hist) // 8)]:
        log(" | ".join(f"{k} {h[k]:.4g}" for k in ("episode", "objective/scores", "objective/kl", "policy/clipfrac_avg", "loss/value_avg") if k in h))
    return policy, wall


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ours", required=True, help="a finished run of raft_nb's PPO (raft_ppo / raft_compare), for its config and results")
    ap.add_argument("--base", required=True, help="the base directory (tokenizer, sft, reward_model) that run used")
    ap.add_argument("--out", required=True)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    from raft_nb.config import load_config
    from raft_nb.ppo import PPOConfig
    from raft_nb.pipeline import prepare_run
    from raft_nb.loop import stage_seed
    ours, base = pathlib.Path(a.ours), pathlib.Path(a.base)
    run_cfg = load_config(ours / "config.yaml", algo_cls=PPOConfig); cfg = run_cfg.algo
    if run_cfg.rm.reward != "learned" or cfg.target_kl is not None or cfg.whiten_rewards:
        raise SystemExit("trl_crosscheck: needs a PPO run with a learned reward model, fixed β and no reward whitening")
    run = prepare_run(run_cfg, a.out, resume=(pathlib.Path(a.out) / "config.yaml").exists(), base=base, log=lambda s: None)
    episodes = cfg.samples_per_stage * cfg.stages
    print(f"TRL PPO: {episodes} episodes, rollouts of {cfg.rollout_batch}, minibatches of {cfg.mini_batch}, {cfg.ppo_epochs} epochs, "
          f"β {cfg.beta}, lr {cfg.lr}, temperature {cfg.lam}, seed {cfg.seed}", flush=True)
    policy, wall = trl_ppo(base / "sft", base / "reward_model", run.train_prompts, a.out, total_episodes=episodes,
                           batch_size=cfg.rollout_batch, mini_batch_size=cfg.mini_batch, num_ppo_epochs=cfg.ppo_epochs,
                           kl_coef=cfg.beta, lr=cfg.lr, response_length=cfg.max_new_tokens, temperature=cfg.lam, seed=cfg.seed)
    ref = run.policy.eval()
    m = run.evaluator(ref=ref)(policy, seed=stage_seed(cfg.seed, cfg.stages) + 1)
    ours_rows = [json.loads(l) for l in (ours / "metrics.jsonl").read_text().splitlines()]
    o, s0 = ours_rows[-1], ours_rows[0]
    ours_time = sum(r["wall_time"] for r in ours_rows[1:])
    res = dict(episodes=episodes, sft=dict(reward=s0["reward"], gold=s0.get("gold")),
               ours=dict(reward=o["reward"], gold=o.get("gold"), kl=o["kl"], ppl=o["ppl"], wall_time_incl_eval=ours_time),
               trl=dict(reward=m["reward"], gold=m.get("gold"), kl=m["kl"], ppl=m["ppl"], wall_time_train=wall))
    (pathlib.Path(a.out) / "crosscheck.json").write_text(json.dumps(res, indent=1))
    print(f"\n| PPO ({episodes} episodes, β {cfg.beta}, seed {cfg.seed}) | test reward (RM) | test gold | KL to SFT | perplexity |")
    print("|---|---|---|---|---|")
    print(f"| SFT (start) | {s0['reward']:.3f} | {s0.get('gold', float('nan')):.3f} | 0 | {s0['ppl']:.3f} |")
    for k in ("ours", "trl"):
        r = res[k]; print(f"| {k} | {r['reward']:.3f} | {r['gold']:.3f} | {r['kl']:.3f} | {r['ppl']:.3f} |")
    print(f"\nwall time: ours {ours_time:.0f}s for {cfg.stages} stages incl. evaluation; TRL {wall:.0f}s training only")
    sys.stdout.flush(); os._exit(0)


if __name__ == "__main__": main()
