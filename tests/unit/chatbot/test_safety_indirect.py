"""Danger told without a danger word still raises the alarm, in every language: a body that reacted after touching
the station (a "bite", a kick, tingling or numb fingers, trembling, dizziness, a yelp), heat nobody can touch that
warps the housing or whistles, water standing in the flap or filling the socket. Ordinary messages that share
those words (a numb bum after a long drive, a hot day, rain while the car charges, a flap that will not open) stay
quiet."""

from __future__ import annotations

import pytest

from chatbot.recognizer import Recognizer
from chatbot.safety import SafetyNet

BODY = [
    "grabbed the handle and got a funny buzz in my hand, is that normal?",
    "my partner says she felt a buzz through her fingers when she held the connector",
    # en
    "grabbed the handle and it bit me, my whole arm went numb for a second",
    "my daughter touched the post and jumped back, says her fingers are tingly now",
    "felt a kick up my arm when I took hold of the connector",
    "wife is shaking and a bit dizzy after holding the plug, is that normal??",
    "my mate yelped when he grabbed the cable, hand feels funny he says",
    "touched the metal box by the charger and got pins and needles right up to the elbow",
    # de
    "Der Stecker hat mich gebissen, die Hand ist noch ganz taub",
    "mein Sohn hat die Säule angefasst und zittert jetzt am ganzen Körper",
    "Beim Einstecken hat es mir einen gewischt, Finger kribbeln immer noch",
    "Nach dem Anfassen vom Kabel ist mir schwindelig und der Arm fühlt sich komisch an",
    "meine Frau hat am Griff aufgeschrien und hält sich die Hand",
    "hab den ladestecker angefasst und hab jetzt taube finger",
    # fr
    "la poignée m'a mordu, j'ai le bras engourdi",
    "mon fils a touché la borne et il tremble depuis, il a la tête qui tourne",
    "en prenant le câble j'ai senti une secousse dans les doigts",
    "ma copine a crié en touchant le connecteur, elle a des fourmis dans la main",
    "j'ai des picotements dans la main depuis que j'ai branché la prise",
    "mon père a touché le boîtier et il est tout étourdi maintenant",
    # es
    "la pistola me mordió al cogerla, tengo los dedos entumecidos",
    "mi hijo tocó el poste y dio un grito, dice que le hormiguea la mano",
    "al enchufar el conector noté una sacudida en el brazo",
    "mi mujer está mareada y temblando después de tocar el cargador",
    "toqué la manguera y se me quedó la mano dormida, entumecida del todo",
    "un chico tocó la carcasa del poste y pegó un grito",
    # nl
    "de stekker beet me toen ik hem vastpakte, mijn hand is nog verdoofd",
    "mijn dochter raakte de paal aan en trilt nu helemaal",
    "bij het vastpakken van de laadkabel voelde ik een tinteling tot in mijn elleboog",
    "mijn vrouw is duizelig nadat ze de handgreep had aangeraakt",
    "mijn zoon gilde toen hij de connector pakte, zijn vingers zijn gevoelloos",
    "aan de laadpaal gezeten met natte handen en nu trillende vingers",
    # wet hands
    "an old man touched the pillar with wet hands and now he's sitting on the ground",
    "jemand hat mit nassen Händen die Säule angefasst und fühlt sich nicht gut",
    "une dame a touché la borne avec les mains mouillées, elle est assise par terre",
    "un hombre tocó el poste con las manos mojadas y no se encuentra bien",
]
HEAT = [
    "the casing is so hot you can't even touch it and the front panel has gone warped",
    "post is too hot to hold, the screen cover is bulging and there's a whistling noise",
    "heatwave today, the housing is boiling and something inside sounds like a kettle",
    "Das Gehäuse ist so heiß, man kann es nicht anfassen, und die Blende hat sich verzogen",
    "die Säule ist kochend heiß und pfeift wie ein Wasserkessel",
    "Display hat sich in der Hitze gewölbt, die Verkleidung kann man nicht mal anfassen",
    "le boîtier est bouillant, impossible de toucher, et l'écran est tout gondolé",
    "la borne siffle comme une cocotte et on ne peut même pas toucher la façade",
    "avec la chaleur la carcasse de la borne a gonflé, elle est brûlante au toucher",
    "la carcasa quema la mano y la tapa frontal está abombada",
    "el cargador pita como una olla exprés y está hirviendo por fuera",
    "el poste está hirviendo, no puedo tocarlo y la pantalla se ha deformado",
    "de behuizing is niet aan te raken zo heet, en het scherm is kromgetrokken",
    "de paal fluit als een fluitketel en de kast is kokendheet",
    "het display staat bol van de hitte en je kan de paal niet aanraken",
]
WATER = [
    "after last night's storm the flap over the socket is full of water",
    "there's standing water in the charge port hatch, should I still plug in?",
    "the lid on the charger is filled with water, I can see it sloshing",
    "Nach dem Unwetter steht Wasser in der Klappe vor der Buchse",
    "die Abdeckung der Ladesäule ist voll Wasser, soll ich trotzdem einstecken?",
    "Wasser läuft hinter das Display ins Gehäuse",
    "depuis la pluie le clapet de la borne est plein d'eau",
    "la trappe devant la prise est remplie de flotte, je branche quand même ?",
    "de l'eau rentre dans le boîtier par l'écran fissuré",
    "después de la tormenta la tapa del enchufe está llena de agua",
    "hay agua estancada dentro de la toma del poste",
    "entra agua por la pantalla rota dentro de la carcasa",
    "na de onweersbui staat er water in het klepje van de aansluiting",
    "het luikje van de laadpaal is vol water gelopen",
    "er loopt water achter het scherm de kast in",
]
QUIET = [
    "my bum is numb from the drive, how long until 80 %?",
    "it's a hot day, is charging slower in the heat?",
    "raining cats and dogs here, the charger says it's unavailable",
    "the flap on my car won't open to plug in",
    "kids are dizzy from the long drive, where's the nearest fast charger?",
    "Es ist heiß heute, lädt die Säule langsamer?",
    "Die Ladeklappe vom Auto geht nicht auf",
    "il pleut, la borne est hors service",
    "la trappe de ma voiture ne s'ouvre plus",
    "hace calor, ¿por eso carga más lento el poste?",
    "la tapa de carga de mi coche no abre",
    "het regent en de laadpaal doet niks",
    "de laadklep van mijn auto gaat niet open",
    "een beetje traag vandaag die paal",
    "I was shaking my head at the price of that charge",
    "stuck in a meeting until six, will I pay for staying plugged in after it's full?",
    "two meetings back to back, can I leave the car connected longer?",
    "ik kreeg een melding dat het laden klaar is, hoe lang mag ik blijven staan?",
    "our network keeps growing, are there new chargers near Leeds?",
    "how do I grow courgettes in pots?",
    "in der App dreht sich nur das Rädchen, wenn ich bezahlen will",
]


@pytest.mark.parametrize("text", BODY + HEAT + WATER)
def test_indirect_danger_raises_the_alarm(net: SafetyNet, recognizer: Recognizer, text: str) -> None:
    assert net.check(text) is not None
    assert recognizer.classify(text).intent == "safety_hazard"


@pytest.mark.parametrize("text", QUIET)
def test_ordinary_messages_sharing_the_words_stay_quiet(net: SafetyNet, text: str) -> None:
    assert net.check(text) is None


def test_at_least_sixty_indirect_phrasings() -> None:
    assert len(BODY + HEAT + WATER) >= 60
