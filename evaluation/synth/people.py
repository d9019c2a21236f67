"""People in the demo world: Albanian names, phone numbers, e-mails and free text.

Every name, phone number, e-mail and identifier written into a raw file is recorded in a
:class:`PersonalValues` registry, exactly as written. ``truth.json`` then lists all of
them, so later stages can check that none gets through.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

FEMALE_FIRST: tuple[str, ...] = (
    "Ana", "Anila", "Arta", "Besjana", "Blerina", "Brunilda", "Dorina", "Drita", "Elona",
    "Enkeleda", "Entela", "Ermira", "Fatjona", "Flutura", "Gentiana", "Gëzime", "Ilda", "Irena",
    "Jonida", "Kaltrina", "Klea", "Lindita", "Majlinda", "Manjola", "Marsela", "Merita",
    "Mimoza", "Nertila", "Ornela", "Rovena", "Shpresa", "Sidorela", "Sonila", "Valbona",
    "Vjollca", "Xhensila", "Çiljeta", "Dëshira", "Lumturi", "Mirela",
)  # fmt: skip
MALE_FIRST: tuple[str, ...] = (
    "Agim", "Altin", "Arben", "Ardit", "Arlind", "Besnik", "Bledar", "Blerim", "Dashamir",
    "Dritan", "Edmond", "Elton", "Engjëll", "Erion", "Ermal", "Ervis", "Fatos", "Florenc",
    "Gazmend", "Genci", "Gëzim", "Ilir", "Jetmir", "Klajdi", "Kristi", "Lulzim", "Mikel",
    "Olsi", "Përparim", "Redi", "Rezart", "Saimir", "Sokol", "Taulant", "Valmir", "Xhoni",
    "Ylli", "Çlirim", "Qëndrim", "Besmir",
)  # fmt: skip
SURNAMES: tuple[str, ...] = (
    "Hoxha", "Shehu", "Çela", "Dervishi", "Gjoka", "Kola", "Leka", "Muça", "Çaushi",
    "Bajraktari", "Berisha", "Çupi", "Dushku", "Gjeçi", "Hysa", "Kërçiku", "Lleshi", "Meçe",
    "Përmeti", "Qorri", "Rrëmbeci", "Sinani", "Tafaj", "Xhaferri", "Zeneli", "Bërdufi", "Koçi",
    "Kuçi", "Mërkuri", "Prençi", "Tërshana", "Vrioni", "Daçi", "Hoxhaj", "Lika", "Mema",
    "Bejko", "Cani", "Dibra", "Kasmi", "Mulla", "Pasha", "Bregu", "Hasani", "Kurti", "Osmani",
    "Rama", "Toska", "Xhelili", "Zela",
)  # fmt: skip
_ASCII = str.maketrans({"ë": "e", "ç": "c", "Ë": "E", "Ç": "C"})
_MAIL_DOMAINS = ("gmail.com", "yahoo.com", "hotmail.com", "outlook.com")

KINDS = (
    "person_name",
    "phone",
    "email",
    "participant_code",
    "panel_code",
    "dv_case_id",
    "njmf_case_id",
    "gps",
)


class PersonalValues:
    """Every personal value planted in the raw files, grouped by kind."""

    def __init__(self) -> None:
        self._by_kind: dict[str, set[str]] = {kind: set() for kind in KINDS}

    def add(self, kind: str, values: Iterable[str]) -> None:
        """Record values of one kind (``person_name``, ``phone``, …); skips empty strings."""
        self._by_kind[kind].update(v for v in values if v)

    def as_truth(self) -> dict[str, object]:
        """``{"all": [...], "by_kind": {kind: [...]}}``, each list sorted."""
        by_kind = {kind: sorted(values) for kind, values in self._by_kind.items()}
        everything = sorted(set().union(*self._by_kind.values()))
        return {"all": everything, "by_kind": by_kind}


def full_names(rng: np.random.Generator, female: np.ndarray) -> np.ndarray:
    """``"Ermira Kërçiku"``-style names, first names by sex (``female`` is a bool array)."""
    n = len(female)
    first = np.where(
        female,
        np.asarray(FEMALE_FIRST, dtype=object)[rng.integers(0, len(FEMALE_FIRST), n)],
        np.asarray(MALE_FIRST, dtype=object)[rng.integers(0, len(MALE_FIRST), n)],
    )
    last = np.asarray(SURNAMES, dtype=object)[rng.integers(0, len(SURNAMES), n)]
    return (first + " " + last).astype(object)


def mobile_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    """Albanian mobile numbers ``06[7-9]xxxxxxx``, as ten digits (object array)."""
    prefix = rng.choice(np.array(["067", "068", "069"], dtype=object), size=n, p=[0.3, 0.35, 0.35])
    body = rng.integers(2_000_000, 10_000_000, size=n).astype(str).astype(object)
    return (prefix + body).astype(object)


def international(numbers: np.ndarray) -> np.ndarray:
    """``0691234567`` → ``+355691234567``."""
    return np.array(["+355" + n[1:] for n in numbers], dtype=object)


def spoken(number: str) -> str:
    """``0691234567`` → ``069 123 4567``, as people write a number in a sentence."""
    return f"{number[:3]} {number[3:6]} {number[6:]}"


def naming_sentence(
    rng: np.random.Generator, female: bool, heads: str, tails: str, personal: PersonalValues
) -> str:
    """A sentence that names someone, as people write it into a free-text answer.

    A name is drawn, then a coin picks the template ``heads`` or ``tails``; a template with
    ``{phone}`` also gets a mobile number, drawn after the coin. The name and the number
    are recorded in ``personal``.
    """
    name = full_names(rng, np.array([female]))[0]
    template = heads if rng.random() < 0.5 else tails
    values = {"name": name}
    if "{phone}" in template:
        values["phone"] = spoken(mobile_numbers(rng, 1)[0])
        personal.add("phone", [values["phone"]])
    personal.add("person_name", [name])
    return template.format(**values)


def emails(rng: np.random.Generator, names: np.ndarray) -> np.ndarray:
    """Private e-mail addresses built from the names (diacritics dropped, lower case)."""
    domains = np.asarray(_MAIL_DOMAINS, dtype=object)[rng.integers(0, 4, len(names))]
    styles = rng.integers(0, 3, len(names))
    out = []
    for name, domain, style in zip(names, domains, styles, strict=True):
        first, last = name.translate(_ASCII).lower().split(" ", 1)
        local = (f"{first}.{last}", f"{first[0]}{last}", f"{first}{last}")[style]
        out.append(f"{local}@{domain}")
    return np.array(out, dtype=object)


# Free text. Sentences written by the people who fill in each form.
YOUTH_COMMENTS: tuple[str, ...] = (
    "Anketa ishte pak e gjatë.",
    "Faleminderit për këtë anketë.",
    "Do të doja më shumë aktivitete sportive në shkollë.",
    "Në lagjen time ka shumë qen të rrugës dhe nuk ka ndriçim natën.",
    "Mësuesit duhet të na dëgjojnë më shumë.",
    "Disa pyetje ishin të vështira për t'u kuptuar.",
    "Autobusi për në shkollë vonohet çdo ditë.",
    "Shkolla jonë ka nevojë për një psikolog të përhershëm.",
    'Mësuesja tha: "mos u shqetëso"; faleminderit.',
    "Jo.",
    "Asgjë.",
    "Pse pyetni për drogat?",
)
TRAINING_COMMENTS: tuple[str, ...] = (
    "Më shumë shembuj praktikë nga rastet në Elbasan.",
    "Salla ishte shumë e ftohtë.",
    "Trajnimi duhet të zgjasë më shumë.",
    "Materialet të shpërndahen edhe në format elektronik.",
    "Asgjë, ishte shumë mirë.",
    "Më shumë kohë për diskutim në grupe.",
    "Të ftohen edhe kolegët nga njësitë administrative.",
)
DV_NOTES: tuple[str, ...] = (
    "Viktima u strehua përkohësisht te të afërmit.",
    "Rasti u diskutua në grupin teknik; u caktua plan ndjekjeje.",
    "Dhunuesi u largua nga banesa me urdhër të gjykatës.",
    "Viktima refuzoi strehimin; u ofrua mbështetje psikosociale.",
    "Fëmijët u referuan në NJMF.",
    "Ndjekje telefonike çdo javë.",
    "Viktima u shoqërua në spital për ekspertizë mjeko-ligjore.",
)
STREET_NOTES: tuple[str, ...] = (
    "Fëmija ishte me nënën, shiste çamçakëz.",
    "U kontaktua familja; u ra dakord për regjistrimin në shkollë.",
    "Fëmija refuzoi të flasë.",
    "Shihet shpesh në këtë pikë pas orës 17.",
    "Ishte pa këpucë, iu dha ndihmë e menjëhershme.",
    "Vëllezër, lypin bashkë te semaforët.",
    "Në shoqërinë e një të rrituri që nuk është prind.",
)
EVIDENCE_NOTES: tuple[str, ...] = (
    "U shqyrtuan procesverbalet e mbledhjeve të vitit.",
    "Plani i veprimit ekziston, por pa tregues dhe pa buxhet.",
    "Nuk u paraqit asnjë dokument.",
    "Rregullorja u miratua nga Këshilli Bashkiak.",
    "Protokolli i shkëmbimit të të dhënave është në proces nënshkrimi.",
    "Raportet mujore ndajnë të dhënat sipas gjinisë dhe moshës.",
    "Ka zë buxhetor, por fondet nuk janë çelur ende.",
    "Përfaqësuesit e të rinjve marrin pjesë në mbledhje.",
)
ACTION_NOTES: tuple[str, ...] = (
    "Miratimi i planit shumëaktorësh me buxhet.",
    "Nënshkrimi i protokollit për shkëmbimin e të dhënave.",
    "Trajnim për stafin e ri të NJMF-së.",
    "Takime tremujore me përfaqësues të të rinjve.",
    "Publikimi i procesverbaleve në faqen e bashkisë.",
)


def pick(rng: np.random.Generator, options: tuple[str, ...], n: int) -> np.ndarray:
    """``n`` sentences drawn at random from ``options`` (object array)."""
    return np.asarray(options, dtype=object)[rng.integers(0, len(options), n)]
