"""The held-out measurement trains without the rounds it scores."""

from __future__ import annotations

from chatbot.training.corpus import Example
from tests.unit.chatbot.evaluation_metrics import Report
from tests.unit.chatbot.held_out import held_out_rounds, summary, trained_through


def test_training_leaves_out_the_rounds_after_the_cut_and_keeps_everything_else() -> None:
    examples = [
        Example("cable_stuck", "en", "plug glued in", 1, origin="seeds"),
        Example("out_of_scope", "en", "weather tomorrow", 2, origin="out_of_scope"),
        Example("charging_slow", "de", "kriecht", 3, origin="round 18"),
        Example("charging_slow", "de", "kriecht 2", 4, origin="round 19"),
        Example("receipt", "fr", "facture svp", 5, origin="round 26"),
    ]
    kept = trained_through(examples, 18)
    assert [e.text for e in kept] == ["plug glued in", "weather tomorrow", "kriecht"]


def test_the_rounds_scored_are_those_after_the_cut() -> None:
    later = held_out_rounds(20)
    assert later
    assert later[0] == "21"
    assert all(int(number) > 20 for number in later)
    assert held_out_rounds(int(later[-1])) == []


def test_the_summary_counts_out_of_scope_messages_taken_for_an_intent() -> None:
    report = Report("round 99")
    report.add("en", "out_of_scope", "pricing_info", 0.9)
    report.add("en", "out_of_scope", "out_of_scope", 0.8)
    report.add("en", "cable_stuck", "cable_stuck", 0.9)
    report.add("de", "safety_hazard", "safety_hazard", 0.97)
    line = summary(report)
    assert "round 99: 75.0%, false accepts 1/2, safety 100%" in line
    assert "en 66.7% 1/2" in line
    assert "de 100.0% 0/0" in line
