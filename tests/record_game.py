"""Write tests/data/classic_recorded.json: a bot game's decisions and every event it made.

Run `python tests/record_game.py` ONLY when an engine change is meant to change results;
tests/test_determinism.py replays the recording and demands identical events."""
import json
import pathlib

from game_rules.rules import Rules
from game_rules.scenario import load_scenario
from game_rules.simulate import play

OUT = pathlib.Path(__file__).parent / "data" / "classic_recorded.json"


def record() -> dict:
    rules = Rules.from_scenario(load_scenario("classic"))
    rec = play(rules, {"west": "tit_for_tat", "east": "random"}, seed=7, copies=2)
    return {"scenario": "classic", "seed": 7, "copies": 2,
            "decisions": rec.decisions, "events": rec.events}


if __name__ == "__main__":
    OUT.write_text(json.dumps(record(), indent=1, sort_keys=True) + "\n")
    print(f"wrote {OUT}")
