"""Adding a scored round to the training data never lets an evaluation message in."""

from __future__ import annotations

import pytest

from chatbot.training.corpus import Example, variants
from tests.unit.chatbot.evaluation_metrics import Example as Written
from tests.unit.chatbot.evaluation_metrics import newest_round
from tests.unit.chatbot.round_training import add_round, rows_to_add


def test_a_round_adds_its_new_messages_and_leaves_out_known_ones() -> None:
    written = [
        Written("cable_stuck", "en", "the plug is glued into my car at the Asda post"),
        Written("greeting", "de", "Moin"),
        Written("out_of_scope", "fr", "Quelle heure est-il à Montréal ?"),
        Written("cable_stuck", "en", "THE PLUG IS GLUED INTO MY CAR AT THE ASDA POST"),
    ]
    rows = rows_to_add("07", written, trained=["moin "], evaluation=["quelle heure est-il à montréal ?"])
    # The greeting is already a seed and the question an evaluation message (case and spaces ignored); the
    # shouted copy repeats a message of the same round.
    assert rows == [("07", "cable_stuck", "en", "the plug is glued into my car at the Asda post")]


def test_a_message_whose_variant_is_an_evaluation_message_is_left_out() -> None:
    text = "the charger at the Asda car park is stuck on authorising"
    variant = variants(Example("session_wont_start", "en", text, 0, origin="round 07"))[0]
    written = [Written("session_wont_start", "en", text)]
    assert rows_to_add("07", written, trained=[], evaluation=[variant.upper()]) == []
    assert rows_to_add("07", written, trained=[], evaluation=[]) == [("07", "session_wont_start", "en", text)]


def test_the_newest_round_and_a_round_already_added_are_refused() -> None:
    newest = newest_round()
    assert newest is not None
    with pytest.raises(SystemExit, match="is the newest"):
        add_round(newest.name)
    with pytest.raises(SystemExit, match="no evaluation round"):
        add_round(f"{int(newest.name) + 1:02d}")
    with pytest.raises(SystemExit, match="already in"):
        add_round("01")
