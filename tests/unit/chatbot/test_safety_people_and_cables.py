"""A person hurt at the charger, and a cable or plug crushed or cut open so its inside shows, raise the alarm in
every language however they are told; ordinary messages that share their words ("the session cut out", "the
breaker tripped", "a human of flesh and blood") do not."""

from __future__ import annotations

import pytest

from chatbot.recognizer import Recognizer

PERSON_HURT = [
    # en
    "my husband tripped over your charging cable and cut his head open",
    "lady just stumbled over the lead in the dark, she's on the ground",
    "a kid fell over the cable at bay 3 and there's blood on his knee",
    "guy collapsed next to the charger, not breathing properly, what do i do",
    "burnt my fingers on the plug, got blisters now",
    "someone's bleeds from the hand after grabbing the handle",
    "my son is hurt, he caught his foot on the hose",
    "old man went flying over the cable, knocked out cold",
    # de
    "Meine Frau ist über das Ladekabel gestolpert und hat eine Platzwunde am Kopf",
    "Kind ist hingefallen wegen dem Kabel, blutet am Knie",
    "ein Mann liegt bewusstlos neben der Säule",
    "hab mir an dem Griff die finger verbrannt, brandblase",
    "bin über den schlauch gestolpert und hab mir weh getan",
    "jemand ist gestürzt, Rettungswagen ist unterwegs",
    # fr
    "ma fille a trébuché sur le câble et saigne du genou",
    "un monsieur s'est pris les pieds dans le câble, il a une plaie au front",
    "quelqu'un a fait un malaise à côté de la borne",
    "je me suis brulé les doigts sur la poignée",
    "un enfant s'est fait mal en tombant sur le câble",
    "il est tombé par terre à cause du câble, il a perdu connaissance",
    # es
    "mi hijo se ha tropezado con el cable y tiene una brecha en la frente",
    "una señora se cayó al suelo por la manguera y está sangrando",
    "hay un hombre sin conocimiento al lado del cargador",
    "me he hecho una quemadura en la mano con el conector",
    "el niño se ha hecho daño con el cable",
    "tropecé con la manguera y tengo herida en la rodilla",
    # nl
    "mijn vader is over de laadkabel gestruikeld en heeft een hoofdwond",
    "iemand is gevallen over de kabel, bloedt flink",
    "er ligt een man buiten westen naast de laadpaal",
    "mijn dochter heeft zich bezeerd aan de stekker",
    "brandwond aan mijn hand van de handgreep",
    "struikelde over die kabel en ben onwel",
]

CABLE_OPEN = [
    # en
    "a van ran over the charging cable and now it's crushed flat",
    "the lead has been run over, insides showing",
    "cable is split open near the handle, you can see the copper strands",
    "someone cut through the cable, wires hanging out",
    "plug got squashed under a tyre, it's mangled",
    # de
    "ein LKW ist über das Ladekabel gefahren, es ist plattgedrückt",
    "das Kabel ist zerquetscht und man sieht die Adern",
    "Kabel aufgeschlitzt, Innenleben schaut raus",
    "der Mantel ist aufgeplatzt und die Litzen sind sichtbar",
    "Stecker überfahren, total zerdrückt",
    # fr
    "un camion a roulé sur le câble, il est complètement écrasé",
    "le câble est entaillé, on voit l'intérieur",
    "la gaine est ouverte et les fils sortent",
    "câble sectionné à moitié, brins de cuivre partout",
    "la prise est écrasée, quelqu'un a roulé dessus",
    # es
    "un coche ha pasado por encima de la manguera y está aplastada",
    "el cable está reventado y se ve el cobre",
    "la funda del cable está desgarrada, se ven los hilos",
    "el conector está machacado, se ve lo de dentro",
    "han cortado el cable y se ve por dentro",
    # nl
    "een busje is over de kabel gereden, helemaal platgedrukt",
    "de laadkabel is opengescheurd, je ziet de draadjes",
    "kabel is geplet en de binnenkant zit eruit",
    "de stekker is overreden en gespleten",
    "iemand heeft de kabel doorgeknipt, koper steekt uit",
]

ORDINARY = [
    "the charging session cut out after ten minutes",
    "the breaker tripped at home, nothing to do with you",
    "my phone fell off the table",
    "la carga se cortó a los 5 minutos",
    "se ha cortado la sesión",
    "la recharge s'est coupée toute seule",
    "gibt es da einen Menschen aus Fleisch und Blut?",
    "the price is bloody steep",
    "Die Verbindung ist abgerissen, Laden gestoppt",
    "het laden viel stil na een kwartier",
    "the plug fell out of the car",
    "the cable is stuck inside the car",
]


@pytest.mark.parametrize("text", PERSON_HURT + CABLE_OPEN)
def test_a_person_hurt_or_a_cable_open_raises_the_alarm(recognizer: Recognizer, text: str) -> None:
    assert recognizer.safety.check(text) is not None
    assert recognizer.classify(text).intent == "safety_hazard"


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_messages_sharing_their_words_raise_no_alarm(recognizer: Recognizer, text: str) -> None:
    assert recognizer.safety.check(text) is None
