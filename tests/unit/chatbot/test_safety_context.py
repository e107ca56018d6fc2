"""Danger words that mean something else where they stand stay quiet: a black screen (a dead display), "contact
the operator" with rain in the story, a qualified sparky or one who says or comes round (an electrician), freezing
rain (ice), a fondue (the dish, also beside a raclette), chipa (Paraguayan cheese bread, no "chispa"). Danger
told beside them still counts: a plug that is black, a cable in a puddle, a charger that went sparky, a plug that
melted. Danger told without a danger word, in every language: a person or an animal that yelped,
jumped or was thrown back touching or stepping near the station, paint blistered and hot around the charge flap, a
cable cut or patched with tape, a handle split with metal showing, a smell of hot plastic, an animal that yelped
after sniffing the post, a hose swollen with bubbles and very hot, the station's own temperature alarm, a flash of
light at the plug (an arc), a black cloud out of the station (smoke), a danger called life-threatening. Rain is
weather (rain that got in, or rainwater, still counts), a click is a relay and "arrancando" is starting; clouds in
the sky are weather, a broken cable asked about an insurance policy is a claim, "overhead" is not "overheat",
"reicht" is not "riecht", and a card held against the post is no crash (a van driven into it is); live parts
within reach and a danger named as a risk of shock count."""

from __future__ import annotations

import pytest

from chatbot.recognizer import Recognizer
from chatbot.safety import SafetyNet

QUIET = [
    "Sparky reckons the farm supply needs its own earth rod before the wallbox goes in",
    "sparky came round and said the cable run to the garage is fine",
    "Raclette oder Fondue heute Abend in Klosters, was meint ihr?",
    "fondue ou raclette ce soir au chalet, et la borne du parking est libre ?",
    "receta de chipa para la merienda, cuánto almidón lleva?",
    "the display on the charger is black and nothing happens when I tap my card",
    "black screen on post 3 at the retail park, no lights at all",
    "pantalla negra en el cargador del centro comercial, no hace nada",
    "l'écran de la borne est tout noir depuis ce matin",
    "het scherm van de laadpaal is zwart, doet niks meer",
    "der Bildschirm der Säule bleibt schwarz, obwohl das Kabel steckt",
    "pouring with rain and the station says please contact the operator before charging",
    "raining hard at the services, the app says error 12 contact support",
    "het regent en de paal zegt neem contact op met de beheerder",
    "my brother is a qualified sparky, can he fit a charger at his house",
    "we're a registered sparky business, do you take on subcontractors for charger installs",
    "freezing rain all night and now the connector won't come out of the port",
    "pluie verglaçante cette nuit, le connecteur reste coincé dans la prise de la voiture",
    "on fait une fondue ce soir, la borne du parking est-elle libre ?",
    "standing in the rain for ten minutes and the connector still won't come out of the car",
    "es regnet in Strömen und der Stecker hängt im Auto fest",
    "die Säule hat mit einem Klack abgeschaltet, Ladung gestoppt bei 60 %",
    "el coche no pasa de 40 kW arrancando con 20 % en un cargador de 150",
    "black clouds overhead, is the fast charger at the services still open?",
    "se vienen nubes negras, ¿dónde hay un cargador libre cerca?",
    "does my home insurance pay for a frayed cable on the wallbox?",
    "zahlt die Hausratversicherung ein beschädigtes Ladekabel?",
    "welke laadpaal is vrij? ik werd net geflitst door de flitspaal",
    "ik hou mijn pas tegen de paal en hij piept, maar er gebeurt niks",
    "reicht eine Ladung von 20 auf 80 Prozent bis nach Salzburg?",
]

DANGER = [
    "la prise est toute fondue et je sais pas quoi faire",
    "the charger went sparky when I plugged in, proper flash",
    "the screen is fine but the plug is black at the pins",
    "black screen, and the connector is blackened where it goes in",
    "rain got in and the cable is sitting in a puddle with water in the socket",
    "the charger went all sparky when I plugged in",
    "it was wet round the post and my dog yelped and leapt back when she stepped near it",
    "mi hija pisó el charco junto al poste y dio un salto, dice que le dio algo",
    "der Boden an der Säule war nass, unser Hund ist reingetreten und hat aufgejault",
    "sol mouillé autour de la borne, mon chien a couiné en marchant dessus",
    "alles nat rond de laadpaal, onze hond stapte erin en jankte",
    "la prise est fondue d'un côté",
    "my neighbour was knocked back touching the charger post and is sitting on the kerb",
    "er wurde beim Anfassen der Säule zurückgeschleudert",
    "the paint round the charge flap has blistered and the metal is still very hot",
    "der Lack um die Ladeklappe hat Blasen geworfen und ist heiß",
    "the charger cable has a cut in it and someone wrapped electrical tape around it",
    "el cable tiene cinta aislante alrededor de un corte",
    "het laadkabel is afgeplakt met tape waar het kapot was",
    "the handle of the gun is split and there's bare metal where you hold it",
    "la poignée est fendue, on voit le métal à l'intérieur",
    "strong smell of hot plastic in the car since I started charging",
    "desde que cargo huele a plástico caliente dentro del coche",
    "sinds het laden ruikt het naar heet plastic in de auto",
    "our dog sniffed the bottom of the charger post, yelped and jumped back",
    "mon chien a reniflé le pied de la borne et a couiné",
    "the cable is swollen with bubbles in the rubber and super hot",
    "la manguera tiene burbujas y está calentísima",
    "the screen of the post says TEMP ALARM and it keeps charging",
    "Display zeigt Übertemperatur, lädt aber weiter",
    "rain got into the socket of the post overnight",
    "er staat regenwater in de aansluiting van de paal",
    "a bright blue flash at the socket as I pushed the plug in",
    "es gab einen blauen Blitz am Stecker beim Einstecken",
    "un destello azul salió del conector al enchufar",
    "een blauw flitsje bij de stekker toen ik hem erin deed",
    "thick black cloud pouring out from under the charger",
    "des nuages noirs sortent du bas de la borne",
    "this is life threatening, the cable is lying across the road in the water",
    "levensgevaarlijk: de laadkabel ligt in het water op de stoep",
    "water up to the laadaansluiting after the storm",
    "de bestelbus is tegen de laadpaal gereden, hij staat helemaal scheef",
    "the cabinet door is hanging open and you can touch live parts inside",
    "on peut toucher des parties sous tension dans la borne",
    "Achtung, Gefahr eines Stromschlags: die Abdeckung der Säule fehlt",
]


@pytest.mark.parametrize("text", QUIET)
def test_words_meaning_something_else_stay_quiet(net: SafetyNet, text: str) -> None:
    assert net.check(text) is None, text


@pytest.mark.parametrize("text", DANGER)
def test_danger_beside_them_still_raises_the_alarm(net: SafetyNet, recognizer: Recognizer, text: str) -> None:
    assert net.check(text) is not None, text
    assert recognizer.classify(text).intent == "safety_hazard", text
