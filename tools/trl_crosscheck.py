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

GRPO (`python tools/trl_crosscheck.py grpo [--steps 40 --seeds 0 1 2]`): our GRPO (`raft_nb.methods`) against TRL's
`GRPOTrainer` on the same tiny SFT model, in two parts.
1. Exact: on fixed inputs (8 prompts × K=4 samples drawn by a sampling policy π_old, their gold rewards, a policy π_θ
   and a reference π₀ that all differ, so ratios are clipped and the KL term has a gradient), TRL's advantages, loss
   and gradients against ours, for each loss normalisation (TRL `grpo` / `bnpo` / `dr_grpo` = our
   `seq_mean_token_mean` / `token_mean` / `constant`), with β = 0.04 and `use_bias_correction_kl=False` (TRL's default
   multiplies the k3 KL by the ratio; ours, as the GRPO paper, does not). Tolerance: |Δ loss| ≤ 1e-5 and
   max |Δ grad| ≤ 1e-4 × max |grad|. TRL gets the fixed samples through its `rollout_func`.
2. Training: both from the same SFT model, on the same prompts and gold reward, for the same number of steps
   (one on-policy step per rollout of b prompts × K), evaluated by the same `Evaluator` (gold reward on 64 held-out
   prompts); sampling noise differs, so over several seeds.
TRL details handled: GPT-2 needs position ids from the attention mask under TRL's left padding (patched on
`GPT2Model`, as `generate` does), dropout off (`disable_dropout=True`), fp32 and no gradient checkpointing on CPU.

    python -m venv .venv-trl && .venv-trl/bin/pip install -e ".[trl]"    # trl==1.12.0 beside the project's pins (pip only)
    .venv-trl/bin/python tools/trl_crosscheck.py grpo --out runs/trl_grpo
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
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["grpo"]: return grpo_main(argv[1:])
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


# ---------------------------------------------------------------------------------------------------- GRPO
def patch_gpt2_positions():
    """TRL's GRPO forward passes no position_ids with left-padded prompts; GPT-2's absolute positions then shift on padded
    rows. Derive them from the attention mask on the backbone (which TRL's reference copy uses too), as `generate` does."""
    from transformers.models.gpt2.modeling_gpt2 import GPT2Model
    orig = GPT2Model.forward
    if getattr(orig, "_pos_from_mask", False): return
    def forward(self, input_ids=None, attention_mask=None, position_ids=None, **kw):
        if position_ids is None and attention_mask is not None and attention_mask.dim() == 2 and kw.get("cache") is None \
                and kw.get("past_key_values") is None:
            position_ids = (attention_mask.long().cumsum(-1) - 1).clamp(min=0)
        return orig(self, input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids, **kw)
    forward._pos_from_mask = True
    GPT2Model.forward = forward


def tiny_sft(out: pathlib.Path, seed=0):
    "The tiny SFT GPT-2 of 10_methods' examples (world of 1500, 64 wide, 2 layers, 3 epochs), saved to `out`; returns (model, tok, prompts)."
    from raft_nb.world import make_world
    from raft_nb.data import parse_records
    from raft_nb.models import train_tokenizer, tiny_gpt2, load_policy, load_tokenizer
    from raft_nb.training import sft, disable_dropout
    rows, _ = parse_records(make_world(1500, seed=0))
    P, C = [r["prompt"] for r in rows], [r["chosen"] for r in rows]
    if not (out / "config.json").exists():
        tok = train_tokenizer([r["prompt"] + r["chosen"] for r in rows] + [r["prompt"] + r["rejected"] for r in rows], vocab_size=400)
        set_seed(seed)
        model, _ = sft(tiny_gpt2(tok, n_embd=64, n_layer=2, n_head=2), tok, P, C, epochs=3, lr=2e-3, batch_size=32)
        model.save_pretrained(out); tok.save_pretrained(out)
    tok = load_tokenizer(out)
    return disable_dropout(load_policy(out, tok)).eval(), tok, P


def _perturbed(model, scale, seed):
    m = copy.deepcopy(model); g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in m.parameters(): p.add_(torch.randn(p.shape, generator=g) * scale * p.std().clamp(min=1e-3))
    return m


def _grpo_trainer(model, tok, prompts, out, rollout_func=None, **kw):
    from datasets import Dataset
    from trl import GRPOConfig as TRLGRPOConfig, GRPOTrainer
    from raft_nb.world import gold_reward
    def gold(prompts, completions, **_): return gold_reward(list(prompts), list(completions))
    args = TRLGRPOConfig(output_dir=str(out), report_to="none", save_strategy="no", logging_steps=1, disable_tqdm=True,
                         use_cpu=True, bf16=False, fp16=False, gradient_checkpointing=False, use_vllm=False, disable_dropout=True,
                         dataloader_num_workers=0, temperature=1.0, top_k=0, top_p=1.0, epsilon=0.2, scale_rewards="group",
                         use_bias_correction_kl=False, mask_truncated_completions=False, lr_scheduler_type="constant",
                         gradient_accumulation_steps=1, num_iterations=1, **kw)
    from transformers.trainer_callback import PrinterCallback
    tr = GRPOTrainer(model=model, reward_funcs=gold, args=args, train_dataset=Dataset.from_dict({"prompt": list(prompts)}),
                     processing_class=tok, rollout_func=rollout_func)
    tr.remove_callback(PrinterCallback)                      # the per-step log dicts; the results are printed at the end
    return tr


def grpo_exact(sft_dir, model, tok, P, out, K=4, n_prompts=8, max_new=24, beta=0.04, log=print) -> list[dict]:
    "Part 1: TRL's advantages, loss and gradients against ours on the same fixed samples, for each loss normalisation."
    from raft_nb.world import gold_reward
    from raft_nb.raft import generate_ids
    from raft_nb.ppo import pack_rollout
    from raft_nb.methods import grpo_advantages, pg_loss, token_logps_entropy
    from raft_nb.training import disable_dropout
    from transformers import GPT2LMHeadModel
    prompts = P[:n_prompts]
    old = _perturbed(model, 0.05, 1)                         # π_old: the policy that sampled
    ids = generate_ids(old, tok, prompts, K, 1.0, max_new, seed=0)
    resp = [r for row in ids for r in row]
    xs = [p for p in prompts for _ in range(K)]
    rewards = torch.tensor(gold_reward(xs, tok.batch_decode(resp, skip_special_tokens=True)))
    pids = tok(list(prompts), add_special_tokens=False)["input_ids"]
    batch = pack_rollout([p for p in pids for _ in range(K)], resp, tok.pad_token_id)
    rows = []
    for ours_norm, trl_loss in (("seq_mean_token_mean", "grpo"), ("token_mean", "bnpo"), ("constant", "dr_grpo")):
        theta = GPT2LMHeadModel.from_pretrained(str(sft_dir)); theta.load_state_dict(_perturbed(old, 0.05, 2).state_dict())
        theta.config.pad_token_id = tok.pad_token_id; disable_dropout(theta)     # TRL's disable_dropout=True does the same
        # ours
        mine = copy.deepcopy(theta).train()
        with torch.no_grad(): old_lp = token_logps_entropy(old, batch)[0]; ref_lp = token_logps_entropy(model, batch)[0]
        adv = grpo_advantages(rewards.view(n_prompts, K), "group", 1e-4)[0].flatten()
        lp = token_logps_entropy(mine, batch)[0]
        loss, st = pg_loss(lp, old_lp, adv, batch["mask"], 0.2, ours_norm, ref_lp, beta, max_len=max_new)
        loss.backward()
        g_ours = {n: p.grad.clone() for n, p in mine.named_parameters()}
        # TRL, on the same samples
        def rollout(ps, trainer):
            assert list(ps) == xs, "TRL asked for other prompts than the fixed ones"
            return dict(prompt_ids=[p for p in pids for _ in range(K)], completion_ids=resp, logprobs=None)
        tr = _grpo_trainer(theta, tok, xs, out / f"trl_{trl_loss}", rollout, per_device_train_batch_size=len(xs),
                           num_generations=K, max_completion_length=max_new, beta=beta, loss_type=trl_loss, learning_rate=1e-4, max_steps=1)
        if not hasattr(tr, "current_gradient_accumulation_steps"): tr.current_gradient_accumulation_steps = 1
        tr.model.train()
        inputs = tr._generate_and_score_completions([{"prompt": x} for x in xs])
        ids_all = torch.cat([inputs["prompt_ids"], inputs["completion_ids"]], 1)
        att_all = torch.cat([inputs["prompt_mask"], inputs["completion_mask"]], 1)
        with torch.no_grad():
            inputs["old_per_token_logps"] = tr._get_per_token_logps_and_entropies(old, ids_all, att_all, inputs["completion_ids"].size(1))[0]
        trl_loss_v = tr.compute_loss(tr.model, inputs)
        tr.model.zero_grad(); trl_loss_v.backward()
        g_trl = dict(tr.model.named_parameters())
        # the same per-token log-probabilities? (ours right-padded with explicit positions, TRL's left-padded, patched)
        cm = inputs["completion_mask"].bool()
        trl_lp = tr._get_per_token_logps_and_entropies(tr.model, ids_all, att_all, inputs["completion_ids"].size(1))[0].detach()[cm]
        our_lp = token_logps_entropy(theta.eval(), batch)[0].detach()[batch["mask"].bool()]
        gmax = max(g.abs().max().item() for g in g_ours.values())
        gd = max((g_ours[n] - p.grad).abs().max().item() for n, p in g_trl.items())
        r = dict(loss_norm=f"{ours_norm} = TRL {trl_loss}", loss_ours=loss.item(), loss_trl=trl_loss_v.item(),
                 loss_abs_diff=abs(loss.item() - trl_loss_v.item()), grad_max=gmax, grad_max_abs_diff=gd, grad_rel_diff=gd / gmax,
                 adv_max_abs_diff=(inputs["advantages"] - adv).abs().max().item(), logp_max_abs_diff=(trl_lp - our_lp).abs().max().item(),
                 clipfrac=st["clipfrac"], tokens=int(batch["mask"].sum()))
        r["ok"] = r["loss_abs_diff"] <= 1e-5 and r["grad_rel_diff"] <= 1e-4
        rows.append(r)
        log(f"{r['loss_norm']:34s} loss ours {r['loss_ours']:+.7f} TRL {r['loss_trl']:+.7f} |Δ| {r['loss_abs_diff']:.1e}; "
            f"grad max |Δ| {gd:.1e} of max |g| {gmax:.2e} ({r['grad_rel_diff']:.1e}); adv |Δ| {r['adv_max_abs_diff']:.1e}; "
            f"logp |Δ| {r['logp_max_abs_diff']:.1e}; clipped {st['clipfrac']:.1%} of {r['tokens']} tokens → {'OK' if r['ok'] else 'FAIL'}")
    return rows


def grpo_train(sft_dir, model, tok, P, out, seeds=(0, 1, 2), steps=40, b=8, K=4, max_new=24, lr=3e-4, beta=0.04, log=print) -> list[dict]:
    "Part 2: ours and TRL's GRPO from the same SFT model, same prompts, reward and budget; gold reward on held-out prompts."
    from raft_nb.world import gold_reward
    from raft_nb.config import EvalConfig, GRPOConfig
    from raft_nb.raft import Evaluator
    from raft_nb.methods import pg_rollout, make_optimizer
    from transformers import GPT2LMHeadModel
    train_p, held = P[:b * steps], P[-64:]
    ev = Evaluator(tok, held, held, gold_reward, EvalConfig(eval_best_of=4), max_new_tokens=max_new, gold_fn=gold_reward)
    res = []
    for seed in seeds:
        set_seed(seed)
        ours = copy.deepcopy(model); ref = copy.deepcopy(model).eval()
        cfg = GRPOConfig(b=b, K=K, mini_batch=b, lr=lr, beta=beta, max_new_tokens=max_new, seed=seed)
        opt = make_optimizer(ours, lr); t0 = time.time()
        for j in range(steps): pg_rollout(ours, ref, opt, tok, gold_reward, train_p[j * b:(j + 1) * b], cfg, seed * 1000 + j)
        t_ours = time.time() - t0
        set_seed(seed)
        theta = GPT2LMHeadModel.from_pretrained(str(sft_dir)); theta.config.pad_token_id = theta.generation_config.pad_token_id = tok.pad_token_id
        tr = _grpo_trainer(theta, tok, [p for p in train_p], out / f"trl_train_seed{seed}", per_device_train_batch_size=b * K,
                           num_generations=K, max_completion_length=max_new, beta=beta, loss_type="grpo", learning_rate=lr,
                           max_steps=steps, seed=seed, data_seed=seed)
        t0 = time.time(); tr.train(); t_trl = time.time() - t0
        trl_pol = tr.accelerator.unwrap_model(tr.model).eval()
        e0 = ev(model, seed=77); eo = ev(ours.eval(), seed=77); et = ev(trl_pol, seed=77)
        r = dict(seed=seed, sft_gold=e0["gold"], ours_gold=eo["gold"], trl_gold=et["gold"], ours_wall=t_ours, trl_wall=t_trl)
        res.append(r)
        log(f"seed {seed}: held-out gold SFT {e0['gold']:.3f} → ours {eo['gold']:.3f} ({t_ours:.0f}s), TRL {et['gold']:.3f} ({t_trl:.0f}s)")
    return res


def grpo_main(argv):
    ap = argparse.ArgumentParser(prog="trl_crosscheck.py grpo", description="our GRPO against TRL's GRPOTrainer")
    ap.add_argument("--out", default="runs/trl_grpo")
    ap.add_argument("--steps", type=int, default=40, help="training steps (rollouts) per seed in part 2 (0: part 1 only)")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    import trl
    out = pathlib.Path(a.out); out.mkdir(parents=True, exist_ok=True)
    patch_gpt2_positions()
    model, tok, P = tiny_sft(out / "sft")
    print(f"trl {trl.__version__}, torch {torch.__version__}: part 1, fixed samples (8 prompts × K=4, β 0.04, ε 0.2)", flush=True)
    exact = grpo_exact(out / "sft", model, tok, P, out)
    train = grpo_train(out / "sft", model, tok, P, out, a.seeds, a.steps) if a.steps > 0 else []
    res = dict(trl=trl.__version__, exact=exact, train=train)
    if train:
        mean = lambda k: sum(r[k] for r in train) / len(train)
        res["train_mean"] = {k: mean(k) for k in ("sft_gold", "ours_gold", "trl_gold", "ours_wall", "trl_wall")}
        print(f"mean over {len(train)} seeds: held-out gold SFT {mean('sft_gold'):.3f}, ours {mean('ours_gold'):.3f}, TRL {mean('trl_gold'):.3f}")
        from raft_nb.report import paired_diff, verdict, fmt_ci
        d = paired_diff({r['seed']: r['ours_gold'] for r in train}, {r['seed']: r['trl_gold'] for r in train})
        res["ours_minus_trl"] = dict(d._asdict(), at_least_trl=verdict(d, '>='))
        md = ["# Our GRPO against TRL's GRPOTrainer (tools/trl_crosscheck.py grpo)", "",
              f"trl {trl.__version__}, torch {torch.__version__}, one thread. Part 1, fixed samples: " +
              "; ".join(f"{r['loss_norm']}: |Δ loss| {r['loss_abs_diff']:.1e}, max |Δ grad| / max |grad| {r['grad_rel_diff']:.1e}" for r in exact), "",
              f"Part 2, training ({a.steps} rollouts of 8 prompts × K = 4 from the same tiny SFT model, gold reward, β 0.04, lr 3e-4), "
              "held-out gold reward on 64 prompts (4 samples each), per seed:", "",
              "| seed | SFT | ours | TRL | ours s | TRL s |", "|---|---|---|---|---|---|"]
        md += [f"| {r['seed']} | {r['sft_gold']:.3f} | {r['ours_gold']:.3f} | {r['trl_gold']:.3f} | {r['ours_wall']:.0f} | {r['trl_wall']:.0f} |" for r in train]
        md += ["", f"ours − TRL (paired by seed, 95% t-interval): {fmt_ci(d)}; \"ours ≥ TRL\": {verdict(d, '>=')}."]
        (out / "grpo_crosscheck.md").write_text('\n'.join(md) + '\n')
    (out / "grpo_crosscheck.json").write_text(json.dumps(res, indent=1))
    ok = all(r["ok"] for r in exact)
    print("exact check:", "PASS" if ok else "FAIL")
    sys.stdout.flush(); os._exit(0 if ok else 1)


if __name__ == "__main__": main()
