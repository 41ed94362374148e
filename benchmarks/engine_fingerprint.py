"""One hash of everything the engine computes, to show that a change to it changed no number.

    python benchmarks/engine_fingerprint.py [--root <checkout>] [--seeds 4]

Plays bot games through `resolve_round` over every shipped scenario, under models 1, 2 and
3, with several strategy pairings and seeds, two copies of the case; some games renegotiate
every 2 rounds (`renegotiation_every`), some play two treatments side by side (per copy of
the case), some leave firms without a decision (the default decision) and some submit
illegal decisions (the error's code and message). It hashes, in order, every event
(`to_dict`, JSON with exact floats), every state (`state_to_dict`), what each firm was
shown, and the scores. Run it on two checkouts (`--root`): equal hashes, equal numbers.
Prints one JSON line with the hash and the counts of what it hashed.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAIRINGS = (("tit_for_tat", "internalizer"), ("random", "random"), ("avoider", "balanced"),
            ("internalizer", "internalizer"), ("racing_internalizer", "watchful_avoider"))


def _dump(x) -> bytes:
    return json.dumps(x, sort_keys=True, default=repr).encode()


def fingerprint(seeds: int) -> dict:
    from game_rules.decisions import DecisionError, parse_decision
    from game_rules.engine import resolve_round
    from game_rules.rules import Rules, new_session, sign_default_alliances
    from game_rules.scenario import load_scenario, scenario_ids
    from game_rules.scoring import score_session
    from game_rules.simulate import play
    from game_rules.state import state_to_dict
    from game_rules.treatments import treated_rules

    h = hashlib.sha256()
    counts = {"games": 0, "events": 0, "errors": 0, "defaults": 0}

    def state_and_scores(rules, state):
        h.update(_dump(state_to_dict(state)))
        h.update(_dump({f: s.to_dict() for f, s in score_session(rules, state).items()}))

    for sid in scenario_ids():
        for model in ("1", "2", "3"):
            for i, pairing in enumerate(PAIRINGS):
                for seed in range(seeds):
                    over = {"model_version": model}
                    if (i + seed) % 3 == 0:
                        over["renegotiation_every"] = "2"
                    rules = Rules.from_scenario(load_scenario(sid, over))
                    if (i + seed) % 4 == 1:  # two treatments, one per copy of the case
                        other = Rules.from_scenario(load_scenario(sid, {**over, "outdating": "0.5", "eta": "0.3"}))
                        firms = new_session(rules, copies=2).firms
                        rules = treated_rules(rules, {"a": rules, "b": other},
                                              {f: "ab"[firm.copy - 1] for f, firm in firms.items()})
                    roles = [r.id for r in rules.scenario.roles]
                    strategies = {r: pairing[j % 2] for j, r in enumerate(roles)}
                    rec = play(rules, strategies, seed=seed, copies=2)
                    counts["games"] += 1
                    for evs in rec.events:
                        counts["events"] += len(evs)
                        h.update(_dump(evs))
                    h.update(_dump(rec.history))
                    h.update(_dump(rec.windows))
                    state_and_scores(rules, rec.state)
                    _replay_with_gaps(rules, rec, seed, h, counts, resolve_round, parse_decision,
                                      DecisionError, new_session, sign_default_alliances, state_and_scores)
    return {"sha256": h.hexdigest(), **counts}


def _replay_with_gaps(rules, rec, seed, h, counts, resolve_round, parse_decision, DecisionError,
                      new_session, sign_default_alliances, state_and_scores) -> None:
    """The recorded decisions again, with one firm missing in turn (the default decision)
    and one illegal decision tried per round (its error hashed; the state goes on)."""
    if rules.scenario.phases.renegotiation_every:
        return  # the windows changed terms between rounds: a plain replay is another game
    state = new_session(rules, copies=2, seed=seed)
    sign_default_alliances(rules, state)
    state.phase = "execution"
    firms = list(state.firms)
    bad = ({"contribute": {"nowhere": 1}}, {"absorb": {rules.domains[0]: -1}}, {"protect": 1e9},
           {"develop": {rules.domains[-1]: 1e9}}, {"exit": ["no_such"]}, {"reveal": {rules.domains[0]: 2}})
    for r, raw in enumerate(rec.decisions):
        decisions = {f: parse_decision(f, d) for f, d in raw.items() if f != firms[r % len(firms)]}
        counts["defaults"] += 1
        try:
            wrong = dict(decisions)
            f = firms[(r + 1) % len(firms)]
            wrong[f] = parse_decision(f, bad[r % len(bad)])
            resolve_round(rules, state, wrong)
            h.update(b"accepted")
        except DecisionError as e:
            counts["errors"] += 1
            h.update(_dump([e.code, e.message]))
        before = _dump([state.round, state.phase])
        state, events = resolve_round(rules, state, decisions)
        h.update(before + _dump([e.to_dict() for e in events]))
        counts["events"] += len(events)
        if state.phase != "execution":
            break
    state_and_scores(rules, state)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", help="import the game from this folder (a checkout)")
    ap.add_argument("--seeds", type=int, default=4)
    args = ap.parse_args()
    sys.path.insert(0, os.path.abspath(args.root or HERE))
    print(json.dumps(fingerprint(args.seeds)))
