"""The training set: hand-written seed messages (TSV files shipped in this package) and variants made from them.

Each seed gives itself and a fixed number of variants in the styles drivers type in: typos (swapped, dropped,
doubled and neighbouring keys), dropped accents, casing, emoji, voice-to-text slips, a sentence of unrelated
context before the problem, fillers, and the two halves of a message swapped around a comma. Everything is
seeded from the seed text, so the set is the same on every machine and run.
"""

from __future__ import annotations

import functools
import random
import unicodedata
import zlib
from dataclasses import dataclass
from importlib import resources

from chatbot.intents import OUT_OF_SCOPE, SMALL_TALK
from chatbot.text import fold

TRAINING_FILES = ("seeds.tsv", "seeds_stories.tsv", "out_of_scope.tsv", "rounds.tsv")
VARIANTS_IN_SCOPE = 6
VARIANTS_OUT_OF_SCOPE = 5
SMALL_TALK_VARIANTS = 3
# Messages of past evaluation rounds are many and already in drivers' own styles: fewer variants each.
ROUND_VARIANTS = 2


@dataclass(frozen=True, slots=True)
class Example:
    intent: str
    language: str
    text: str
    group: int  # the seed it came from (CRC-32 of its text): a seed's variants stay on one side of a split
    near_miss: bool = False
    # The file it was written in: "seeds", "stories", "out_of_scope", "context" or "round NN" (rounds.tsv).
    origin: str = "seeds"

    @property
    def from_round(self) -> bool:
        """Copied from a past evaluation round (rounds.tsv) rather than written for training."""
        return self.origin.startswith("round")


# A sentence of context that says nothing about the problem: the problem comes after it.
CONTEXT: dict[str, tuple[str, ...]] = {
    "en": (
        "I'm on a road trip with the kids.",
        "First time using your network.",
        "Hi, quick one.",
        "ok so long story,",
        "Been driving since 6 this morning and I'm tired.",
        "I'm at the supermarket car park.",
        "Not in a great mood today.",
        "Sorry for the message.",
        "I use this station every week and never had trouble before.",
    ),
    "de": (
        "Bin mit den Kindern auf der Urlaubsfahrt.",
        "Zum ersten Mal bei euch.",
        "Hallo, kurze Frage.",
        "also lange Geschichte,",
        "Bin seit 6 Uhr unterwegs und müde.",
        "Stehe am Supermarkt Parkplatz.",
        "Sorry für die Nachricht.",
        "Ich lade hier jede Woche und hatte nie Probleme.",
    ),
    "fr": (
        "Je suis en vacances avec les enfants.",
        "Première fois sur votre réseau.",
        "Bonjour, petite question.",
        "bon c'est long à expliquer,",
        "Je roule depuis 6h du matin, je suis crevé.",
        "Je suis sur le parking du supermarché.",
        "Désolé de vous déranger.",
        "Je viens ici chaque semaine sans souci d'habitude.",
    ),
    "es": (
        "Voy de viaje con los niños.",
        "Primera vez que uso vuestra red.",
        "Hola, una pregunta rápida.",
        "bueno es largo de contar,",
        "Llevo conduciendo desde las 6 y estoy cansado.",
        "Estoy en el parking del súper.",
        "Perdón por la molestia.",
        "Cargo aquí cada semana y nunca tuve problemas.",
    ),
    "nl": (
        "Ik ben op vakantie met de kinderen.",
        "Eerste keer bij jullie.",
        "Hoi, snelle vraag.",
        "ok lang verhaal,",
        "Ik rij al sinds 6 uur en ben moe.",
        "Ik sta op de parkeerplaats van de supermarkt.",
        "Sorry voor het bericht.",
        "Ik laad hier elke week en had nooit problemen.",
    ),
}

FILLERS: dict[str, tuple[str, ...]] = {
    "en": ("pls help", "help!", "urgent", "any idea?", "what now", "??", "asap"),
    "de": ("bitte helfen", "Hilfe!", "dringend", "was jetzt?", "??", "schnell bitte"),
    "fr": ("aidez-moi svp", "au secours", "urgent", "je fais quoi ?", "??", "vite svp"),
    "es": ("ayuda porfa", "urgente", "qué hago?", "??", "rápido por favor"),
    "nl": ("help aub", "dringend", "wat nu?", "??", "snel graag"),
}

# Words a phone's dictation or autocorrect turns into others.
VOICE_SLIPS: dict[str, tuple[tuple[str, str], ...]] = {
    "en": (
        ("charger", "charge her"),
        ("charging", "charting"),
        ("app", "up"),
        ("kwh", "kilowatt hours"),
        ("won't", "want"),
        ("cable", "cabal"),
        ("plug", "plog"),
        ("station", "stationed"),
        ("card", "cart"),
    ),
    "de": (("Säule", "Seule"), ("Ladesäule", "Lade Säule"), ("Stecker", "Stecka"), ("App", "ab"), ("lädt", "lät")),
    "fr": (("borne", "bore"), ("charge", "charges"), ("câble", "cabe"), ("appli", "a pli"), ("prise", "pris")),
    "es": (("cargador", "cargado"), ("carga", "carta"), ("enchufe", "en chufe"), ("app", "ap"), ("cable", "cabe")),
    "nl": (("laadpaal", "laat paal"), ("laden", "laten"), ("stekker", "steker"), ("app", "ap"), ("kabel", "kabbel")),
}

EMOJI = ("😡", "🙏", "😩", "⚡", "🔌", "😤", "!!", "🤔")
NEIGHBOURS = {
    "a": "sqz",
    "e": "wrd",
    "i": "uok",
    "o": "ipl",
    "u": "yij",
    "n": "bm",
    "t": "ryg",
    "s": "adw",
    "r": "etf",
    "l": "kop",
    "c": "xv",
    "g": "fh",
    "d": "sf",
}


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _typo(text: str, rng: random.Random) -> str:
    words = text.split()
    candidates = [i for i, word in enumerate(words) if len(word) >= 4 and word.isalpha()]
    if not candidates:
        return text
    index = rng.choice(candidates)
    word = words[index]
    position = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        word = word[:position] + word[position + 1] + word[position] + word[position + 2 :]
    elif kind == 1:
        word = word[:position] + word[position + 1 :]
    elif kind == 2:
        word = word[:position] + word[position] + word[position:]
    else:
        near = NEIGHBOURS.get(word[position].lower())
        if near:
            word = word[:position] + rng.choice(near) + word[position + 1 :]
    words[index] = word
    return " ".join(words)


def _voice_slip(text: str, language: str, rng: random.Random) -> str:
    slips = [(a, b) for a, b in VOICE_SLIPS.get(language, ()) if a.lower() in text.lower()]
    if not slips:
        return _typo(text, rng)
    original, heard = rng.choice(slips)
    at = text.lower().index(original.lower())
    return text[:at] + heard + text[at + len(original) :]


def _swap_halves(text: str, rng: random.Random) -> str:
    if "," not in text:
        return _typo(text, rng)
    first, _, rest = text.partition(",")
    return f"{rest.strip()}, {first.strip()}"


def _variant(text: str, language: str, rng: random.Random, small_talk: bool) -> str:
    styles = ["typo", "accents", "case", "emoji", "voice", "filler", "lower", "typo2"]
    if not small_talk:
        styles += ["context", "context", "swap"]
    style = rng.choice(styles)
    if style == "typo":
        out = _typo(text, rng)
    elif style == "typo2":
        out = _typo(_typo(text, rng), rng)
    elif style == "accents":
        out = _strip_accents(text).lower()
    elif style == "case":
        out = text.upper() if rng.random() < 0.5 else text.capitalize()
    elif style == "emoji":
        out = f"{text} {rng.choice(EMOJI)}"
    elif style == "voice":
        out = _voice_slip(text, language, rng)
    elif style == "filler":
        out = f"{text} {rng.choice(FILLERS[language])}"
    elif style == "lower":
        out = text.lower().rstrip("!?.")
    elif style == "context":
        out = f"{rng.choice(CONTEXT[language])} {text}"
    else:
        out = _swap_halves(text, rng)
    if rng.random() < 0.25:
        out = _typo(out, rng)
    return out


def _rows(name: str) -> list[list[str]]:
    raw = resources.files("chatbot.training").joinpath(name).read_text(encoding="utf-8")
    return [line.split("\t") for line in raw.splitlines()[1:] if line.strip()]


@functools.cache
def seeds() -> tuple[Example, ...]:
    """The hand-written messages, in-scope and out-of-scope, one group per message."""
    found: list[Example] = []
    for name, origin in (("seeds.tsv", "seeds"), ("seeds_stories.tsv", "stories")):
        for intent, language, text in _rows(name):
            found.append(Example(intent, language, text, zlib.crc32(text.encode()), origin=origin))
    for kind, language, text in _rows("out_of_scope.tsv"):
        found.append(
            Example(OUT_OF_SCOPE, language, text, zlib.crc32(text.encode()), kind == "near", origin="out_of_scope")
        )
    # Context sentences alone are not a request.
    found.extend(
        Example(OUT_OF_SCOPE, language, sentence, zlib.crc32(sentence.encode()), origin="context")
        for language, sentences in CONTEXT.items()
        for sentence in sentences
    )
    for number, intent, language, text in _rows("rounds.tsv"):
        found.append(Example(intent, language, text, zlib.crc32(text.encode()), origin=f"round {number}"))
    return tuple(found)


@functools.cache
def training_set() -> tuple[Example, ...]:
    """Every seed and its variants, in a fixed order."""
    examples: list[Example] = []
    for seed in seeds():
        examples.append(seed)
        made = variants(seed)
        examples.extend(Example(seed.intent, seed.language, t, seed.group, seed.near_miss, seed.origin) for t in made)
    return tuple(examples)


def variants(seed: Example) -> list[str]:
    """The generated variants of a seed, always the same ones (the random choices are seeded by its text)."""
    rng = random.Random(zlib.crc32(seed.text.encode()))
    small_talk = seed.intent in SMALL_TALK
    count = (
        ROUND_VARIANTS
        if seed.from_round
        else SMALL_TALK_VARIANTS
        if small_talk
        else VARIANTS_OUT_OF_SCOPE
        if seed.intent == OUT_OF_SCOPE
        else VARIANTS_IN_SCOPE
    )
    made = [seed.text]
    for _ in range(count * 3):
        if len(made) > count:
            break
        text = _variant(seed.text, seed.language, rng, small_talk)
        if text not in made:
            made.append(text)
    return made[1:]


@functools.cache
def training_fingerprint() -> str:
    """Changes whenever the training data, the way variants are made or the model's code changes."""
    crc = 0
    for package, name in (
        *(("chatbot.training", f) for f in (*TRAINING_FILES, "corpus.py")),
        ("chatbot", "intent_model.py"),
    ):
        crc = zlib.crc32(resources.files(package).joinpath(name).read_bytes(), crc)
    return f"{crc:08x}"


@functools.cache
def ordinary_words() -> frozenset[str]:
    """Folded words of the seeds that report no danger: real words, never typos of a danger word."""
    # Round messages are left out: they were not written to be checked word by word against the danger words.
    return frozenset(
        word
        for seed in seeds()
        if seed.intent != "safety_hazard" and not seed.from_round
        for word in fold(seed.text).split()
    )
