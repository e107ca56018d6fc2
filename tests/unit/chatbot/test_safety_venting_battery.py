"""A battery cell that vents is told by its signs, not named: an acrid or biting smell, a hiss or a whistle with a
smell, a sweet or solvent smell like nail polish at the car or station. Hockey's Flames, a car park that is "always
rammed", a Bavarian "dange schee", current that is billed or cut, the Central American "pué", an engine block
heater plugged in at home, damage one wants to avoid, the Blue Bombers and tulips in bloom are no danger."""

from __future__ import annotations

import pytest

from chatbot.recognizer import Recognizer
from chatbot.safety import SafetyNet

VENTING = [
    # en
    "acrid smell coming up through the floor of the car while it charges, should I unplug?",
    "there's a hissing under the car and it smells sweet, almost like nail polish remover",
    "weird sweet chemical smell round the car since I plugged in at the services",
    "faint whistle from under the Kona and a strange smell in the cabin, still charging",
    # de
    "beißender Geruch unterm Auto, seit es an der Säule hängt",
    "es zischt unter dem Wagen und riecht süßlich nach Nagellack",
    "an der Ladesäule pfeift es leise und es riecht komisch, soll ich abstecken?",
    # fr
    "une odeur âcre monte de sous la voiture depuis que je charge",
    "ça siffle sous le plancher et il y a une odeur chimique dans l'habitacle",
    "odeur sucrée genre dissolvant autour de la batterie de la voiture pendant la recharge",
    # es
    "sale un olor acre de debajo del coche mientras carga, lo desconecto?",
    "se oye un silbido bajo el auto y huelo algo dulce como quitaesmalte",
    "olor químico raro alrededor del coche desde que lo enchufé",
    # nl
    "scherpe geur onder de auto sinds hij aan de snellader hangt",
    "ik hoor gesis onder mijn auto en ruik iets zoets, net nagellak",
    "sinds het laden een chemische geur rond de auto en een zacht gefluit",
]

ORDINARY = [
    "Flames or Oilers this year?",
    "do the Flames have a game tonight in Calgary",
    "the one at the hospital car park is always rammed",
    "Tesco's car park is rammed with people today",
    "dange schee, passt scho",
    "a scheena Tag no",
    "my daughter spilt nail polish on the sofa, how do I get it out",
    "quitaesmalte para uñas de gel, cuál es mejor",
    "Mein Nachbar lädt sein Auto über ein Kabel aus meinem Keller, wie rechne ich den Strom mit ihm ab?",
    "el cargador de la gasolinera está todo apagado vos, ni pantalla tiene pué",
    "dog chewed my block heater cord, is it ok to plug the truck in overnight with tape on it?",
    "when do the Blue Bombers play next",
    "de tulpen bloeien al in Lisse, wanneer is het mooiste weekend",
    "comment débrancher sans tout arracher quand la borne a fini",
    "peut-on laisser la voiture au soleil sans abîmer la batterie",
    "le courant coupe tout le temps à la maison, quel onduleur acheter",
    "la session a coupé pendant que j'étais au dépanneur",
]


@pytest.mark.parametrize("text", VENTING)
def test_the_signs_of_a_venting_battery_raise_the_alarm(net: SafetyNet, recognizer: Recognizer, text: str) -> None:
    assert net.check(text) is not None, text
    assert recognizer.classify(text).intent == "safety_hazard", text


@pytest.mark.parametrize("text", ORDINARY)
def test_teams_crowds_thanks_and_nail_polish_stay_quiet(net: SafetyNet, text: str) -> None:
    assert net.check(text) is None, text


def test_a_crash_and_flames_at_the_station_still_raise_the_alarm(net: SafetyNet) -> None:
    assert net.check("a van rammed the charger and it's leaning") is not None
    assert net.check("flames coming out of the charger, game over for this one") is not None
    assert net.check("ich hab am Kabel der Säule Strom abbekommen") is not None
    assert net.check("la borne pue le plastique") is not None
    assert net.check("quelqu'un a coupé le câble de la borne") is not None
    assert net.check("ils ont arraché le câble de la borne") is not None
    assert net.check("la prise de la borne est abîmée") is not None
    assert net.check("j'ai pris du courant en touchant le câble de la borne") is not None
