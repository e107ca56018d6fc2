"""The demo charging network: a generated, deterministic set of Voltway locations and their OCPI tariffs.

Nothing here is copied from a data set. City centres, time zones, districts, streets and motorways are real so the
map looks plausible; everything placed on them (sites, chargers, statuses, prices) is drawn from a seeded random
generator, so the same seed and `now` always give the same network. No I/O: the seed command stores the result.
"""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Literal, NamedTuple

import msgspec
from babel.numbers import format_currency

from api.domain.stations.records import (
    ConnectorRecord,
    EvseRecord,
    EvseStatus,
    LocationRecord,
    OpeningHours,
    ParkingType,
    RegularHours,
)
from pricing.money import add_vat, round_half_up_to_minor_unit
from pricing.tariff import DisplayText, PriceComponent, Tariff, TariffDimensionType, TariffElement, TariffRestrictions

__all__ = ["DEMO_CITIES", "DemoCity", "DemoNetwork", "generate_demo_network", "tariff_id"]

OPERATOR_NAME = "Voltway"
SOURCE = "demo"
DEFAULT_COUNT = 300

TariffKind = Literal["AC-STANDARD", "AC-PEAK-OFFPEAK", "DC-50", "HPC"]
ChargerKind = Literal["AC11", "AC22", "DC50", "HPC"]
Site = Literal["street", "retail", "garage", "underground", "hub", "motorway"]


class DemoNetwork(msgspec.Struct, frozen=True):
    """Locations and the tariffs their connectors point at; every tariff is used by at least one connector."""

    locations: tuple[LocationRecord, ...]
    tariffs: tuple[Tariff, ...]


class _Country(NamedTuple):
    alpha3: str
    currency: str
    vat: Decimal  # standard VAT rate in percent, which applies to public charging
    languages: tuple[str, ...]  # languages of the tariff texts besides English
    address: str  # how a street address is written
    postal: str  # postal code style, see `_postal_code`


class DemoCity(NamedTuple):
    """A real city centre with the names and formats used to place locations around it."""

    name: str
    country: str  # ISO 3166-1 alpha-2
    latitude: float
    longitude: float
    time_zone: str
    weight: int  # share of the network's locations
    postal_range: tuple[int, int]
    districts: tuple[tuple[str, float, float, str], ...]  # name, km north and km east of the centre, a street
    motorways: tuple[tuple[str, float, float], ...]  # road, bearing from the centre in degrees, max km out


_COUNTRIES: dict[str, _Country] = {
    "NL": _Country("NLD", "EUR", Decimal(21), ("nl",), "{street} {number}", "nl"),
    "DE": _Country("DEU", "EUR", Decimal(19), ("de",), "{street} {number}", "d5"),
    "FR": _Country("FRA", "EUR", Decimal(20), ("fr",), "{number} {street}", "d5"),
    "BE": _Country("BEL", "EUR", Decimal(21), ("nl", "fr"), "{street} {number}", "d4"),
    "DK": _Country("DNK", "DKK", Decimal(25), ("da",), "{street} {number}", "d4"),
    "AT": _Country("AUT", "EUR", Decimal(20), ("de",), "{street} {number}", "at"),
    "CH": _Country("CHE", "CHF", Decimal("8.1"), ("de",), "{street} {number}", "d4"),
    "IT": _Country("ITA", "EUR", Decimal(22), ("it",), "{street}, {number}", "d5"),
    "ES": _Country("ESP", "EUR", Decimal(21), ("es",), "{street}, {number}", "d5"),
    "NO": _Country("NOR", "NOK", Decimal(25), ("nb",), "{street} {number}", "d4"),
    "SE": _Country("SWE", "SEK", Decimal(25), ("sv",), "{street} {number}", "se"),
}

DEMO_CITIES: tuple[DemoCity, ...] = (
    DemoCity(
        "Amsterdam", "NL", 52.3728, 4.8936, "Europe/Amsterdam", 22, (1011, 1109),
        (("Centrum", 0, 0, "Damrak"), ("Zuidas", -4.5, -0.5, "Gustav Mahlerlaan"), ("Oost", -1, 3, "Wibautstraat"),
         ("Noord", 2.5, 0.5, "Buiksloterweg"), ("West", 0.5, -3, "Admiraal de Ruijterweg"),
         ("Nieuw-West", -1.5, -6, "Osdorpplein"), ("De Pijp", -2, 0.5, "Van Woustraat")),
        (("A1", 110, 25), ("A2", 170, 30), ("A4", 220, 30), ("A7", 20, 25)),
    ),
    DemoCity(
        "Rotterdam", "NL", 51.9225, 4.4792, "Europe/Amsterdam", 14, (3011, 3089),
        (("Centrum", 0, 0, "Coolsingel"), ("Kralingen", 0.5, 3, "Oudedijk"),
         ("Kop van Zuid", -1.2, 0.5, "Wilhelminakade"), ("Delfshaven", -0.5, -2.5, "Schiedamseweg"),
         ("Alexander", 2.5, 4, "Prins Alexanderlaan"), ("Noord", 1.5, -0.5, "Bergweg")),
        (("A13", 320, 20), ("A15", 100, 30), ("A16", 110, 25), ("A20", 270, 20)),
    ),
    DemoCity(
        "Utrecht", "NL", 52.0907, 5.1214, "Europe/Amsterdam", 12, (3511, 3585),
        (("Binnenstad", 0, 0, "Vredenburg"), ("Leidsche Rijn", -1, -5, "Grauwaartsingel"),
         ("Overvecht", 3, 1, "Einsteindreef"), ("Lunetten", -3, 1.5, "Hondsrug"),
         ("Science Park", -1, 4, "Heidelberglaan"), ("Kanaleneiland", -2.5, -2, "Kanaalweg")),
        (("A2", 340, 25), ("A2", 185, 25), ("A12", 90, 30), ("A12", 265, 30), ("A27", 20, 25)),
    ),
    DemoCity(
        "Berlin", "DE", 52.5200, 13.4050, "Europe/Berlin", 28, (10115, 14199),
        (("Mitte", 0, 0, "Friedrichstraße"), ("Prenzlauer Berg", 2, 1.5, "Schönhauser Allee"),
         ("Kreuzberg", -2.5, 1, "Oranienstraße"), ("Charlottenburg", -1.5, -7, "Kurfürstendamm"),
         ("Friedrichshain", -1, 3.5, "Karl-Marx-Allee"), ("Neukölln", -4.5, 2, "Karl-Marx-Straße"),
         ("Schöneberg", -3.5, -3, "Hauptstraße")),
        (("A9", 210, 35), ("A11", 40, 35), ("A24", 320, 35), ("A13", 170, 35)),
    ),
    DemoCity(
        "Munich", "DE", 48.1374, 11.5755, "Europe/Berlin", 20, (80331, 81929),
        (("Altstadt", 0, 0, "Sendlinger Straße"), ("Schwabing", 3, 0.5, "Leopoldstraße"),
         ("Maxvorstadt", 1.5, -0.5, "Theresienstraße"), ("Sendling", -2.5, -1.5, "Lindwurmstraße"),
         ("Bogenhausen", 1, 3, "Prinzregentenstraße"), ("Haidhausen", -0.5, 1.5, "Rosenheimer Straße"),
         ("Neuhausen", 1, -3, "Nymphenburger Straße")),
        (("A8", 300, 35), ("A8", 130, 35), ("A9", 10, 35), ("A95", 200, 30), ("A94", 90, 30)),
    ),
    DemoCity(
        "Hamburg", "DE", 53.5511, 9.9937, "Europe/Berlin", 18, (20095, 22769),
        (("Altstadt", 0, 0, "Mönckebergstraße"), ("St. Pauli", -0.3, -2.5, "Reeperbahn"),
         ("Eimsbüttel", 2.5, -2.5, "Osterstraße"), ("Altona", -0.5, -5, "Große Elbstraße"),
         ("Winterhude", 3.5, 1, "Mühlenkamp"), ("HafenCity", -1, 0.5, "Am Sandtorkai"),
         ("Barmbek", 3, 3.5, "Fuhlsbüttler Straße")),
        (("A1", 150, 35), ("A1", 60, 35), ("A7", 180, 35), ("A7", 350, 30), ("A24", 100, 35)),
    ),
    DemoCity(
        "Paris", "FR", 48.8566, 2.3522, "Europe/Paris", 30, (75001, 75020),
        (("Châtelet", 0, 0, "Rue de Rivoli"), ("Opéra", 1.5, -0.7, "Boulevard Haussmann"),
         ("Bastille", -0.5, 2, "Rue de la Roquette"), ("Montparnasse", -2.5, -1.8, "Boulevard du Montparnasse"),
         ("Porte Maillot", 2.4, -5, "Avenue de la Grande Armée"), ("Bercy", -2, 3, "Rue de Bercy"),
         ("Batignolles", 3, -2, "Avenue de Clichy"), ("Montmartre", 3.5, 0, "Rue Lepic")),
        (("A1", 10, 35), ("A6", 180, 35), ("A4", 100, 35), ("A13", 280, 35)),
    ),
    DemoCity(
        "Lyon", "FR", 45.7640, 4.8357, "Europe/Paris", 13, (69001, 69009),
        (("Presqu'île", 0, 0, "Rue de la République"), ("Part-Dieu", 0.3, 2, "Cours Lafayette"),
         ("Confluence", -2.5, -0.8, "Quai Perrache"), ("Croix-Rousse", 1.5, 0, "Boulevard de la Croix-Rousse"),
         ("Gerland", -3, 0.8, "Avenue Jean Jaurès"), ("Vaise", 2, -2.5, "Rue Marietton")),
        (("A6", 350, 30), ("A7", 180, 30), ("A43", 110, 30), ("A42", 60, 30)),
    ),
    DemoCity(
        "Brussels", "BE", 50.8467, 4.3525, "Europe/Brussels", 15, (1000, 1210),
        (("Centre", 0, 0, "Boulevard Anspach"), ("Ixelles", -2.5, 1.3, "Avenue Louise"),
         ("Schaerbeek", 2, 1.5, "Chaussée de Haecht"), ("Etterbeek", -1.5, 2.5, "Avenue d'Auderghem"),
         ("Uccle", -5.5, -0.5, "Chaussée d'Alsemberg"), ("Anderlecht", -1.5, -3.5, "Chaussée de Mons")),
        (("E40", 270, 30), ("E40", 80, 30), ("E19", 10, 30), ("E411", 130, 30)),
    ),
    DemoCity(
        "Antwerp", "BE", 51.2194, 4.4025, "Europe/Brussels", 11, (2000, 2060),
        (("Centrum", 0, 0, "Meir"), ("Eilandje", 1.2, 0.3, "Londenstraat"), ("Zuid", -1.8, -0.5, "Vlaamse Kaai"),
         ("Berchem", -2.5, 2, "Statiestraat"), ("Borgerhout", -0.5, 2, "Turnhoutsebaan"),
         ("Linkeroever", 0.3, -2, "Blancefloerlaan")),
        (("E19", 190, 30), ("E313", 90, 30), ("E34", 70, 25)),
    ),
    DemoCity(
        "Copenhagen", "DK", 55.6761, 12.5683, "Europe/Copenhagen", 15, (1050, 2450),
        (("Indre By", 0, 0, "Vester Voldgade"), ("Østerbro", 2.5, 0.8, "Østerbrogade"),
         ("Nørrebro", 1.7, -1, "Nørrebrogade"), ("Vesterbro", -0.5, -1.5, "Vesterbrogade"),
         ("Amager", -2.5, 1.5, "Amagerbrogade"), ("Valby", -2.5, -4, "Valby Langgade"),
         ("Ørestad", -4.5, 1.5, "Ørestads Boulevard")),
        (("E20", 250, 30), ("E47", 200, 30), ("E47", 0, 30)),
    ),
    DemoCity(
        "Vienna", "AT", 48.2082, 16.3738, "Europe/Vienna", 18, (1, 23),
        (("Innere Stadt", 0, 0, "Kärntner Straße"), ("Leopoldstadt", 1, 1.8, "Praterstraße"),
         ("Landstraße", -1.2, 1.2, "Landstraßer Hauptstraße"), ("Favoriten", -3.5, 0.5, "Favoritenstraße"),
         ("Ottakring", 0.5, -4.5, "Ottakringer Straße"), ("Donaustadt", 3, 5.5, "Wagramer Straße"),
         ("Meidling", -3, -3, "Meidlinger Hauptstraße")),
        (("A1", 260, 35), ("A2", 180, 35), ("A4", 110, 30), ("A22", 10, 30)),
    ),
    DemoCity(
        "Zurich", "CH", 47.3769, 8.5417, "Europe/Zurich", 12, (8001, 8057),
        (("Altstadt", 0.3, 0.2, "Bahnhofstrasse"), ("Oerlikon", 4.5, 0.5, "Schaffhauserstrasse"),
         ("Enge", -1.5, -0.3, "Seestrasse"), ("Wiedikon", -1, -1.7, "Badenerstrasse"),
         ("Zürich West", 1, -2.5, "Hardstrasse"), ("Seefeld", -1.3, 1.2, "Seefeldstrasse")),
        (("A1", 250, 30), ("A1", 70, 30), ("A3", 170, 25), ("A4", 0, 15)),
    ),
    DemoCity(
        "Milan", "IT", 45.4642, 9.1900, "Europe/Rome", 20, (20121, 20162),
        (("Duomo", 0, 0, "Via Torino"), ("Porta Nuova", 1.8, 0.2, "Via Melchiorre Gioia"),
         ("Navigli", -1.8, -1, "Ripa di Porta Ticinese"), ("Porta Venezia", 0.9, 1.3, "Corso Buenos Aires"),
         ("Sempione", 1.8, -1.8, "Corso Sempione"), ("Bicocca", 5.5, 1.5, "Viale Sarca"),
         ("Lambrate", 1.5, 4.5, "Via Conte Rosso")),
        (("A1", 150, 35), ("A4", 80, 35), ("A4", 270, 30), ("A7", 200, 35), ("A8", 300, 25)),
    ),
    DemoCity(
        "Madrid", "ES", 40.4168, -3.7038, "Europe/Madrid", 24, (28001, 28055),
        (("Centro", 0, 0, "Gran Vía"), ("Salamanca", 1.2, 2, "Calle de Serrano"),
         ("Chamberí", 2, 0.3, "Calle de Santa Engracia"), ("Retiro", -0.5, 2, "Calle de Alcalá"),
         ("Chamartín", 5, 1.5, "Paseo de la Castellana"), ("Arganzuela", -2, 0, "Paseo de las Delicias"),
         ("Tetuán", 4.5, -0.2, "Calle de Bravo Murillo")),
        (("A-1", 10, 35), ("A-2", 60, 35), ("A-3", 110, 35), ("A-4", 180, 35), ("A-6", 310, 35)),
    ),
    DemoCity(
        "Barcelona", "ES", 41.3874, 2.1686, "Europe/Madrid", 20, (8001, 8042),
        (("Eixample", 0, 0, "Passeig de Gràcia"), ("Gràcia", 1.5, -0.3, "Carrer Gran de Gràcia"),
         ("Poblenou", -0.5, 3, "Rambla del Poblenou"), ("Sants", -1.3, -2.5, "Carrer de Sants"),
         ("Les Corts", 0.2, -3.5, "Avinguda Diagonal"), ("Sant Martí", 0.8, 2.5, "Gran Via de les Corts Catalanes"),
         ("Ciutat Vella", -1, 0.5, "Via Laietana")),
        (("AP-7", 40, 35), ("AP-7", 250, 30), ("A-2", 285, 30)),
    ),
    DemoCity(
        "Oslo", "NO", 59.9139, 10.7522, "Europe/Oslo", 15, (150, 1295),
        (("Sentrum", 0, 0, "Karl Johans gate"), ("Grünerløkka", 1.3, 0.7, "Thorvald Meyers gate"),
         ("Majorstuen", 1.2, -2.2, "Bogstadveien"), ("Frogner", 0.3, -2, "Frognerveien"),
         ("Bjørvika", -0.4, 0.6, "Dronning Eufemias gate"), ("Nydalen", 3.5, 0.5, "Nydalsveien"),
         ("Helsfyr", 0.3, 3.5, "Strømsveien")),
        (("E6", 20, 35), ("E6", 160, 30), ("E18", 240, 30), ("E16", 290, 30)),
    ),
    DemoCity(
        "Stockholm", "SE", 59.3293, 18.0686, "Europe/Stockholm", 16, (11120, 11899),
        (("Norrmalm", 0.3, -0.2, "Drottninggatan"), ("Södermalm", -1.5, 0, "Götgatan"),
         ("Östermalm", 0.8, 1.5, "Strandvägen"), ("Kungsholmen", 0.3, -2.2, "Fleminggatan"),
         ("Vasastan", 1.5, -1, "Sveavägen"), ("Hammarby Sjöstad", -2.2, 2, "Hammarby allé"),
         ("Gärdet", 1.5, 2.5, "Lidingövägen")),
        (("E4", 350, 35), ("E4", 210, 35), ("E18", 310, 30), ("E20", 240, 30)),
    ),
)  # fmt: skip


class _Prices(NamedTuple):
    """Prices excluding VAT in one currency, set at round local amounts rather than converted from euros."""

    ac: Decimal
    peak: Decimal
    offpeak: Decimal
    dc: Decimal
    dc_flat: Decimal
    hpc: Decimal
    parking_per_hour: Decimal


_PRICES: dict[str, _Prices] = {
    "EUR": _Prices(*(Decimal(v) for v in ("0.39", "0.45", "0.29", "0.49", "0.50", "0.59", "6.00"))),
    "CHF": _Prices(*(Decimal(v) for v in ("0.45", "0.52", "0.34", "0.58", "0.50", "0.69", "6.00"))),
    "DKK": _Prices(*(Decimal(v) for v in ("2.95", "3.35", "2.15", "3.65", "3.75", "4.40", "45.00"))),
    "NOK": _Prices(*(Decimal(v) for v in ("4.50", "5.20", "3.40", "5.70", "5.80", "6.90", "70.00"))),
    "SEK": _Prices(*(Decimal(v) for v in ("4.40", "5.10", "3.30", "5.50", "5.60", "6.70", "68.00"))),
}

OFFPEAK_START = "22:00"
OFFPEAK_END = "07:00"
PARKING_AFTER_SECONDS = 3600  # HPC bays are for charging: parking is billed once a session passes an hour

# Tariff texts a driver reads, per language; amounts are filled in including VAT.
_ALT_TEXTS: dict[str, dict[TariffKind, str]] = {
    "en": {
        "AC-STANDARD": "{energy} per kWh, VAT included.",
        "AC-PEAK-OFFPEAK": "{offpeak} per kWh from 22:00 to 07:00, {peak} per kWh during the day, VAT included.",
        "DC-50": "{energy} per kWh plus {flat} per session, VAT included.",
        "HPC": "{energy} per kWh; after 60 minutes, parking costs {parking} per hour. VAT included.",
    },
    "nl": {
        "AC-STANDARD": "{energy} per kWh, inclusief btw.",
        "AC-PEAK-OFFPEAK": "{offpeak} per kWh van 22:00 tot 07:00, overdag {peak} per kWh, inclusief btw.",
        "DC-50": "{energy} per kWh plus {flat} per sessie, inclusief btw.",
        "HPC": "{energy} per kWh; na 60 minuten kost parkeren {parking} per uur. Inclusief btw.",
    },
    "de": {
        "AC-STANDARD": "{energy} pro kWh, inkl. MwSt.",
        "AC-PEAK-OFFPEAK": "{offpeak} pro kWh von 22:00 bis 07:00 Uhr, tagsüber {peak} pro kWh, inkl. MwSt.",
        "DC-50": "{energy} pro kWh plus {flat} pro Ladevorgang, inkl. MwSt.",
        "HPC": "{energy} pro kWh; nach 60 Minuten kostet das Parken {parking} pro Stunde. Inkl. MwSt.",
    },
    "fr": {
        "AC-STANDARD": "{energy} par kWh, TVA comprise.",
        "AC-PEAK-OFFPEAK": "{offpeak} par kWh de 22h00 à 07h00, {peak} par kWh en journée, TVA comprise.",
        "DC-50": "{energy} par kWh plus {flat} par session, TVA comprise.",
        "HPC": "{energy} par kWh ; après 60 minutes, le stationnement coûte {parking} par heure. TVA comprise.",
    },
    "it": {
        "AC-STANDARD": "{energy} al kWh, IVA inclusa.",
        "AC-PEAK-OFFPEAK": "{offpeak} al kWh dalle 22:00 alle 07:00, {peak} al kWh di giorno, IVA inclusa.",
        "DC-50": "{energy} al kWh più {flat} per sessione, IVA inclusa.",
        "HPC": "{energy} al kWh; dopo 60 minuti la sosta costa {parking} all'ora. IVA inclusa.",
    },
    "es": {
        "AC-STANDARD": "{energy} por kWh, IVA incluido.",
        "AC-PEAK-OFFPEAK": "{offpeak} por kWh de 22:00 a 07:00, {peak} por kWh durante el día, IVA incluido.",
        "DC-50": "{energy} por kWh más {flat} por sesión, IVA incluido.",
        "HPC": "{energy} por kWh; después de 60 minutos, el estacionamiento cuesta {parking} por hora. IVA incluido.",
    },
    "da": {
        "AC-STANDARD": "{energy} pr. kWh inkl. moms.",
        "AC-PEAK-OFFPEAK": "{offpeak} pr. kWh fra 22:00 til 07:00, {peak} pr. kWh om dagen, inkl. moms.",
        "DC-50": "{energy} pr. kWh plus {flat} pr. opladning, inkl. moms.",
        "HPC": "{energy} pr. kWh; efter 60 minutter koster parkering {parking} pr. time. Inkl. moms.",
    },
    "nb": {
        "AC-STANDARD": "{energy} per kWh inkl. mva.",
        "AC-PEAK-OFFPEAK": "{offpeak} per kWh fra 22:00 til 07:00, {peak} per kWh på dagtid, inkl. mva.",
        "DC-50": "{energy} per kWh pluss {flat} per lading, inkl. mva.",
        "HPC": "{energy} per kWh; etter 60 minutter koster parkering {parking} per time. Inkl. mva.",
    },
    "sv": {
        "AC-STANDARD": "{energy} per kWh inkl. moms.",
        "AC-PEAK-OFFPEAK": "{offpeak} per kWh mellan 22:00 och 07:00, {peak} per kWh dagtid, inkl. moms.",
        "DC-50": "{energy} per kWh plus {flat} per laddning, inkl. moms.",
        "HPC": "{energy} per kWh; efter 60 minuter kostar parkering {parking} per timme. Inkl. moms.",
    },
}


class _Plug(NamedTuple):
    standard: str
    power_type: Literal["AC_3_PHASE", "DC"]
    max_voltage: int  # OCPI: line to neutral for three-phase AC (230 V, i.e. 400 V between phases)
    max_amperage: int
    max_electric_power: int  # W, the rated output, at most voltage x amperage (x 3 phases for AC)


_AC11 = (_Plug("IEC_62196_T2", "AC_3_PHASE", 230, 16, 11_000),)
_AC22 = (_Plug("IEC_62196_T2", "AC_3_PHASE", 230, 32, 22_000),)
_DC50 = (_Plug("IEC_62196_T2_COMBO", "DC", 500, 125, 50_000), _Plug("CHADEMO", "DC", 500, 125, 50_000))
_HPC = {
    150: (_Plug("IEC_62196_T2_COMBO", "DC", 920, 200, 150_000),),
    300: (_Plug("IEC_62196_T2_COMBO", "DC", 920, 500, 300_000),),
    350: (_Plug("IEC_62196_T2_COMBO", "DC", 920, 500, 350_000),),
}

_AC_CAPABILITIES = ("CHARGING_PROFILE_CAPABLE", "REMOTE_START_STOP_CAPABLE", "RFID_READER", "UNLOCK_CAPABLE")
# AFIR asks for ad hoc card payment at fast chargers.
_DC_CAPABILITIES = (
    "CHARGING_PROFILE_CAPABLE",
    "CONTACTLESS_CARD_SUPPORT",
    "CREDIT_CARD_PAYABLE",
    "DEBIT_CARD_PAYABLE",
    "REMOTE_START_STOP_CAPABLE",
    "RFID_READER",
)

_PARKING: dict[Site, ParkingType] = {
    "street": "ON_STREET",
    "retail": "PARKING_LOT",
    "garage": "PARKING_GARAGE",
    "underground": "UNDERGROUND_GARAGE",
    "hub": "PARKING_LOT",
    "motorway": "ALONG_MOTORWAY",
}
_FACILITIES: dict[Site, tuple[tuple[str, ...], int, int]] = {  # pool, fewest, most
    "street": (("CAFE", "RESTAURANT", "SUPERMARKET", "BUS_STOP", "TRAM_STOP", "BIKE_SHARING"), 0, 2),
    "retail": (("SUPERMARKET", "MALL", "RESTAURANT", "CAFE", "WIFI"), 1, 3),
    "garage": (("MALL", "HOTEL", "RESTAURANT", "MUSEUM", "TRAIN_STATION", "WIFI"), 1, 2),
    "underground": (("MALL", "HOTEL", "RESTAURANT", "MUSEUM", "TRAIN_STATION", "WIFI"), 1, 2),
    "hub": (("SUPERMARKET", "RESTAURANT", "CAFE", "WIFI", "FUEL_STATION"), 1, 3),
    "motorway": (("RESTAURANT", "CAFE", "WIFI", "FUEL_STATION", "SUPERMARKET"), 2, 4),
}


def _hours(*spans: tuple[range, str, str]) -> OpeningHours:
    return OpeningHours(
        twentyfourseven=False,
        regular_hours=tuple(RegularHours(day, begin, end) for days, begin, end in spans for day in days),
    )


# Regular hours in local time; weekday 1 is Monday.
_SHOP_HOURS = _hours((range(1, 7), "07:00", "22:00"), (range(7, 8), "09:00", "18:00"))
_SUPERMARKET_HOURS = _hours((range(1, 7), "08:00", "21:00"))
_GARAGE_HOURS = _hours((range(1, 6), "06:00", "23:30"), (range(6, 8), "08:00", "23:30"))
_ALWAYS_OPEN = OpeningHours(twentyfourseven=True)

_STATUSES: tuple[EvseStatus, ...] = ("AVAILABLE", "CHARGING", "OUTOFORDER")
_STATUS_WEIGHTS = (76, 20, 4)

_KM_PER_DEGREE = 111.32
_NL_LETTERS = "ABCDEGHJKLMNPRSTVWXZ"


def generate_demo_network(
    *,
    seed: int = 7,
    now: datetime,
    country_code: str = "NL",
    party_id: str = "VWY",
    count: int = DEFAULT_COUNT,
) -> DemoNetwork:
    """A realistic network of about `count` locations around European cities, owned by the given OCPI party.

    The same arguments always give the same network; `now` only sets the timestamps.
    """
    if now.tzinfo is None:
        raise ValueError("now: must carry a time zone")
    if len(country_code) != 2 or not country_code.isalpha() or not country_code.isupper():
        raise ValueError(f"country_code: expected an ISO 3166-1 alpha-2 code, got {country_code!r}")
    if len(party_id) != 3 or not party_id.isalnum() or not party_id.isupper():
        raise ValueError(f"party_id: expected 3 upper-case letters or digits, got {party_id!r}")
    if count < 1:
        raise ValueError("count: must be at least 1")
    builder = _Builder(random.Random(seed), now.astimezone(UTC), country_code, party_id)
    for city, share in zip(DEMO_CITIES, _allocate(count), strict=True):
        for _ in range(share):
            builder.add_location(city)
    tariffs = tuple(
        _tariff(kind, alpha2, country_code=country_code, party_id=party_id, now=builder.now)
        for kind, alpha2 in sorted(builder.tariffs_used)
    )
    return DemoNetwork(locations=tuple(builder.locations), tariffs=tariffs)


def tariff_id(kind: TariffKind, alpha2: str) -> str:
    """One tariff per kind and country, since VAT, currency and the local language differ per country."""
    return f"{kind}-{alpha2}"


def _allocate(count: int) -> list[int]:
    """Locations per city in proportion to its weight (largest remainder), at least one each when there is room."""
    weights = [city.weight for city in DEMO_CITIES]
    floor = 1 if count >= len(weights) else 0
    spare = count - floor * len(weights)
    exact = [spare * w / sum(weights) for w in weights]
    shares = [floor + math.floor(x) for x in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(exact[i] - math.floor(exact[i])), i))
    for i in by_remainder[: count - sum(shares)]:
        shares[i] += 1
    return shares


class _Builder:
    """Draws locations one after another from a single random stream, which keeps the output reproducible."""

    def __init__(self, rng: random.Random, now: datetime, country_code: str, party_id: str) -> None:
        self.rng = rng
        self.now = now
        self.country_code = country_code
        self.party_id = party_id
        self.locations: list[LocationRecord] = []
        self.names: set[str] = set()
        self.tariffs_used: set[tuple[TariffKind, str]] = set()

    def add_location(self, city: DemoCity) -> None:
        rng = self.rng
        number = len(self.locations) + 1
        country = _COUNTRIES[city.country]
        motorway = rng.random() < 0.15
        charger, site = self._charger_and_site(motorway=motorway)
        if motorway:
            road, bearing, max_km = rng.choice(city.motorways)
            km = rng.uniform(10.0, max_km)
            latitude, longitude = _offset(city.latitude, city.longitude, km, bearing + rng.uniform(-6.0, 6.0))
            base_name = f"{OPERATOR_NAME} {city.name} {road} km {round(km)}"
            address = f"{road}, km {km:.1f}"
            postal_code = None
        else:
            district, north, east, street = rng.choice(city.districts)
            spread = min(abs(rng.gauss(0.0, 0.9)), 2.5)
            north += spread * math.cos(angle := rng.uniform(0.0, 2.0 * math.pi))
            east += spread * math.sin(angle)
            latitude, longitude = _offset(city.latitude, city.longitude, math.hypot(north, east), _bearing(north, east))
            base_name = f"{OPERATOR_NAME} {city.name} {district}"
            address = country.address.format(street=street, number=rng.randint(1, 180))
            postal_code = _postal_code(country.postal, city.postal_range, rng)
        name = self._unique_name(base_name)

        kind = self._tariff_kind(charger)
        self.tariffs_used.add((kind, city.country))
        evses = self._evses(number, charger, site, (tariff_id(kind, city.country),))
        facilities_pool, fewest, most = _FACILITIES[site]
        facilities = tuple(sorted(rng.sample(facilities_pool, rng.randint(fewest, most)), key=facilities_pool.index))
        self.locations.append(
            LocationRecord(
                country_code=self.country_code,
                party_id=self.party_id,
                id=f"LOC-{number:04d}",
                source=SOURCE,
                name=name,
                address=address,
                city=city.name,
                postal_code=postal_code,
                state=None,
                country=country.alpha3,
                latitude=round(latitude, 6),
                longitude=round(longitude, 6),
                time_zone=city.time_zone,
                operator_name=OPERATOR_NAME,
                parking_type=_PARKING[site],
                facilities=facilities,
                opening_times=self._opening_times(site),
                publish=True,
                evses=evses,
                last_updated=max(evse.last_updated for evse in evses),
            )
        )

    def _charger_and_site(self, *, motorway: bool) -> tuple[ChargerKind, Site]:
        rng = self.rng
        if motorway:
            return ("HPC" if rng.random() < 0.8 else "DC50"), "motorway"
        charger: ChargerKind = rng.choices(("AC11", "AC22", "DC50", "HPC"), weights=(40, 35, 13, 12))[0]
        sites: tuple[Site, ...]
        weights: tuple[int, ...]
        if charger == "AC11":
            sites, weights = ("street", "retail"), (80, 20)
        elif charger == "AC22":
            sites, weights = ("garage", "underground", "retail", "street"), (35, 25, 25, 15)
        elif charger == "DC50":
            sites, weights = ("retail", "street"), (70, 30)
        else:
            sites, weights = ("hub",), (1,)
        return charger, rng.choices(sites, weights=weights)[0]

    def _tariff_kind(self, charger: ChargerKind) -> TariffKind:
        if charger == "DC50":
            return "DC-50"
        if charger == "HPC":
            return "HPC"
        return "AC-PEAK-OFFPEAK" if self.rng.random() < 0.3 else "AC-STANDARD"

    def _unique_name(self, base: str) -> str:
        name, n = base, 1
        while name in self.names:
            n += 1
            name = f"{base} {n}"
        self.names.add(name)
        return name

    def _opening_times(self, site: Site) -> OpeningHours:
        roll = self.rng.random()
        if site == "retail":
            if roll < 0.35:
                return _SHOP_HOURS
            if roll < 0.5:
                return _SUPERMARKET_HOURS
        elif site in {"garage", "underground"} and roll < 0.4:
            return _GARAGE_HOURS
        return _ALWAYS_OPEN

    def _evses(
        self, number: int, charger: ChargerKind, site: Site, tariff_ids: tuple[str, ...]
    ) -> tuple[EvseRecord, ...]:
        rng = self.rng
        plugs: tuple[_Plug, ...]
        capabilities: tuple[str, ...]
        if charger == "AC11":
            plugs, size, capabilities = _AC11, rng.choice((1, 2, 2, 2, 3, 4)), _AC_CAPABILITIES
        elif charger == "AC22":
            plugs, size, capabilities = _AC22, rng.choice((1, 2, 2, 3, 4, 4)), _AC_CAPABILITIES
        elif charger == "DC50":
            plugs, size, capabilities = _DC50, rng.choice((1, 1, 2)), _DC_CAPABILITIES
        else:
            power = rng.choices((150, 300, 350), weights=(35, 40, 25))[0]
            plugs, capabilities = _HPC[power], _DC_CAPABILITIES
            size = rng.randint(6, 12) if site == "motorway" else rng.randint(4, 6)
        installed = self.now - timedelta(days=rng.randint(30, 900), seconds=rng.randint(0, 86_399))
        connectors = tuple(
            ConnectorRecord(
                id=str(index),
                standard=plug.standard,
                format="SOCKET" if plug.power_type != "DC" else "CABLE",
                power_type=plug.power_type,
                max_voltage=plug.max_voltage,
                max_amperage=plug.max_amperage,
                max_electric_power=plug.max_electric_power,
                tariff_ids=tariff_ids,
                last_updated=installed,
            )
            for index, plug in enumerate(plugs, start=1)
        )
        evses: list[EvseRecord] = []
        for n in range(1, size + 1):  # numbered 1..n, as the charger's OCPP EVSE ids
            status = rng.choices(_STATUSES, weights=_STATUS_WEIGHTS)[0]
            evses.append(
                EvseRecord(
                    uid=f"LOC-{number:04d}-{n}",
                    evse_id=f"{self.country_code}*{self.party_id}*E{number:04d}{n:02d}",
                    status=status,
                    capabilities=capabilities,
                    connectors=connectors,
                    last_updated=self.now - timedelta(seconds=rng.randint(0, 6 * 3600)),
                    physical_reference=str(n),
                    floor_level=self._floor_level(site),
                )
            )
        return tuple(evses)

    def _floor_level(self, site: Site) -> str | None:
        if site == "underground":
            return self.rng.choice(("-1", "-1", "-2"))
        if site == "garage":
            return self.rng.choice(("0", "1", "2", "3"))
        return None


def _offset(latitude: float, longitude: float, km: float, bearing_degrees: float) -> tuple[float, float]:
    """A point `km` away in direction `bearing_degrees`; a flat approximation, good to metres at city scale."""
    bearing = math.radians(bearing_degrees)
    dlat = km * math.cos(bearing) / _KM_PER_DEGREE
    dlon = km * math.sin(bearing) / (_KM_PER_DEGREE * math.cos(math.radians(latitude)))
    return latitude + dlat, longitude + dlon


def _bearing(north: float, east: float) -> float:
    return math.degrees(math.atan2(east, north))


def _postal_code(style: str, bounds: tuple[int, int], rng: random.Random) -> str:
    """A code in the country's format from the city's range (the code need not exist)."""
    n = rng.randint(*bounds)
    if style == "nl":
        letters = "SS"
        while letters in {"SA", "SD", "SS"}:  # never issued
            letters = rng.choice(_NL_LETTERS) + rng.choice(_NL_LETTERS)
        return f"{n:04d} {letters}"
    if style == "se":
        return f"{n // 100} {n % 100:02d}"
    if style == "at":
        return f"1{n:02d}0"
    if style == "d4":
        return f"{n:04d}"
    return f"{n:05d}"


def _tariff(kind: TariffKind, alpha2: str, *, country_code: str, party_id: str, now: datetime) -> Tariff:
    country = _COUNTRIES[alpha2]
    prices = _PRICES[country.currency]
    vat = country.vat

    def component(dimension: TariffDimensionType, price: Decimal, step_size: int = 1) -> PriceComponent:
        return PriceComponent(type=dimension, price=price, step_size=step_size, vat=vat)

    energy = TariffDimensionType.ENERGY
    amounts: dict[str, Decimal]
    elements: tuple[TariffElement, ...]
    if kind == "AC-STANDARD":
        elements = (TariffElement(price_components=(component(energy, prices.ac),)),)
        amounts = {"energy": prices.ac}
    elif kind == "AC-PEAK-OFFPEAK":
        night = TariffRestrictions(start_time=OFFPEAK_START, end_time=OFFPEAK_END)
        elements = (
            TariffElement(price_components=(component(energy, prices.offpeak),), restrictions=night),
            TariffElement(price_components=(component(energy, prices.peak),)),
        )
        amounts = {"offpeak": prices.offpeak, "peak": prices.peak}
    elif kind == "DC-50":
        elements = (
            TariffElement(
                price_components=(
                    component(energy, prices.dc),
                    component(TariffDimensionType.FLAT, prices.dc_flat),
                )
            ),
        )
        amounts = {"energy": prices.dc, "flat": prices.dc_flat}
    else:
        elements = (
            TariffElement(price_components=(component(energy, prices.hpc),)),
            TariffElement(
                # billed per started minute
                price_components=(component(TariffDimensionType.PARKING_TIME, prices.parking_per_hour, 60),),
                restrictions=TariffRestrictions(min_duration=PARKING_AFTER_SECONDS),
            ),
        )
        amounts = {"energy": prices.hpc, "parking": prices.parking_per_hour}
    texts = tuple(
        DisplayText(
            language=language,
            text=_ALT_TEXTS[language][kind].format(
                **{key: _shown(amount, vat, country.currency, language) for key, amount in amounts.items()}
            ),
        )
        for language in ("en", *country.languages)
    )
    return Tariff(
        country_code=country_code,
        party_id=party_id,
        id=tariff_id(kind, alpha2),
        currency=country.currency,
        tariff_alt_text=texts,
        elements=elements,
        last_updated=now,
    )


def _shown(amount: Decimal, vat: Decimal, currency: str, language: str) -> str:
    incl = round_half_up_to_minor_unit(add_vat(amount, vat), currency)
    return format_currency(incl, currency, locale=language)
