"""Places and institutions of the demo world: Bashkia Elbasan's units, schools and hotspots.

The 13 administrative units and the city's six neighbourhood units are real
(``shared/domain/domain_brief.md`` §5). School counts and sizes are set to match the
brief's figures: about 100 schools teach grades 8-12 in the municipality, the
city has about 60-65% of the students, and the mountain units are the smallest. Which areas
are *project* and which are *comparison* is invented for the demo.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Area:
    """A sampling area: a city neighbourhood unit, or a rural administrative unit."""

    unit: str  # choice name in the forms' admin_unit list
    unit_label: str
    neighbourhood: str  # "NBHD 1".."NBHD 6" in the city, "" elsewhere
    urban: bool
    arm: str  # "project" or "comparison"
    nine_year: int  # schools with grades 8-9, at scale 1
    upper: int  # upper-secondary schools (grades 10-12)
    combined: int  # combined schools (grades 8-12, rural)


AREAS: tuple[Area, ...] = (
    Area("elbasan", "Elbasan", "NBHD 1", True, "project", 5, 2, 0),
    Area("elbasan", "Elbasan", "NBHD 2", True, "project", 5, 2, 0),
    Area("elbasan", "Elbasan", "NBHD 3", True, "project", 5, 2, 0),
    Area("elbasan", "Elbasan", "NBHD 4", True, "comparison", 5, 2, 0),
    Area("elbasan", "Elbasan", "NBHD 5", True, "comparison", 5, 1, 0),
    Area("elbasan", "Elbasan", "NBHD 6", True, "comparison", 5, 2, 0),
    Area("bradashesh", "Bradashesh", "", False, "project", 9, 0, 1),
    Area("shushice", "Shushicë", "", False, "project", 7, 0, 1),
    Area("labinot_fushe", "Labinot-Fushë", "", False, "project", 6, 0, 1),
    Area("gracen", "Gracen", "", False, "project", 4, 0, 0),
    Area("funar", "Funar", "", False, "project", 3, 0, 0),
    Area("labinot_mal", "Labinot-Mal", "", False, "project", 3, 0, 0),
    Area("shirgjan", "Shirgjan", "", False, "comparison", 6, 0, 1),
    Area("paper", "Papër", "", False, "comparison", 5, 0, 1),
    Area("gjergjan", "Gjergjan", "", False, "comparison", 5, 0, 1),
    Area("tregan", "Tregan", "", False, "comparison", 3, 0, 0),
    Area("gjinar", "Gjinar", "", False, "comparison", 2, 0, 0),
    Area("zavaline", "Zavalinë", "", False, "comparison", 2, 0, 0),
)

UNITS: tuple[str, ...] = (
    "elbasan",
    "bradashesh",
    "funar",
    "gjergjan",
    "gjinar",
    "gracen",
    "labinot_fushe",
    "labinot_mal",
    "paper",
    "shirgjan",
    "shushice",
    "tregan",
    "zavaline",
)
# Share of the municipality's population (2011 census order of magnitude; the city ~60%).
UNIT_SHARE: dict[str, float] = {
    "elbasan": 0.60,
    "bradashesh": 0.08,
    "shushice": 0.06,
    "labinot_fushe": 0.045,
    "shirgjan": 0.045,
    "paper": 0.04,
    "gjergjan": 0.035,
    "gracen": 0.025,
    "tregan": 0.02,
    "funar": 0.015,
    "labinot_mal": 0.015,
    "gjinar": 0.01,
    "zavaline": 0.01,
}

EPONYMS: tuple[str, ...] = (
    "Naim Frashëri",
    "Sami Frashëri",
    "Jani Kukuzeli",
    "Ismail Qemali",
    "Aleksandër Xhuvani",
    "Qamil Guranjaku",
    "Ali Agjahu",
    "Luigj Gurakuqi",
    "Shefqet Musaraj",
    "Dhaskal Todri",
    "Kostandin Kristoforidhi",
    "Onufri",
    "Abdyl Paralloi",
    "Thoma Papapano",
    "Lef Sallata",
    "Bajram Curri",
    "Nënë Tereza",
    "Hamit Gjylbegu",
    "Mihal Grameno",
    "Fan Noli",
    "Migjeni",
    "Andon Zako Çajupi",
    "Ndre Mjeda",
    "Gjergj Fishta",
    "Petro Nini Luarasi",
    "Faik Konica",
    "Skënderbeu",
    "Pjetër Budi",
    "Frang Bardhi",
    "Çerçiz Topulli",
    "Hasan Prishtina",
    "Isa Boletini",
    "Mustafa Matohiti",
    "Vaso Pasha",
    "Ismet Dardha",
    "Ptoleme Xhuvani",
    "Dervish Hima",
    "Eqrem Çabej",
    "Kristo Frashëri",
    "Marie Kraja",
)

# Hotspot code -> (latitude, longitude): approximate places in and around Elbasan.
HOTSPOT_COORDS: dict[str, tuple[float, float]] = {
    "H01": (41.11235, 20.08224),
    "H02": (41.11011, 20.08399),
    "H03": (41.11650, 20.07720),
    "H04": (41.10870, 20.08800),
    "H05": (41.11920, 20.08570),
    "H06": (41.11300, 20.08620),
    "H07": (41.11980, 20.09200),
    "H08": (41.11570, 20.09040),
    "H09": (41.10640, 20.07950),
    "H10": (41.09650, 20.05600),
    "H11": (41.10300, 20.02100),
    "H12": (41.13200, 20.13400),
    "H13": (41.16200, 20.14600),
    "H14": (41.04300, 20.05400),
    "H15": (41.05600, 20.02900),
    "H16": (41.06100, 20.15900),
}
CITY_HOTSPOTS: tuple[str, ...] = tuple(f"H{i:02d}" for i in range(1, 11))
RURAL_HOTSPOTS: dict[str, str] = {
    "H11": "bradashesh",
    "H12": "shushice",
    "H13": "labinot_fushe",
    "H14": "paper",
    "H15": "gjergjan",
    "H16": "shirgjan",
}

# KVSP member institutions (name, institution_type choice). Fictional CSO names.
INSTITUTIONS: tuple[tuple[str, str], ...] = (
    ("Bashkia Elbasan – Drejtoria e Shërbimeve Sociale", "social_services"),
    ("Bashkia Elbasan – Njësia për Mbrojtjen e Fëmijëve", "njmf"),
    ("Bashkia Elbasan – Koordinatori Vendor kundër Dhunës në Familje", "municipality"),
    ("Drejtoria Vendore e Policisë Elbasan", "police"),
    ("Komisariati i Policisë nr. 1 Elbasan", "police"),
    ("Prokuroria pranë Gjykatës së Shkallës së Parë Elbasan", "prosecution"),
    ("Gjykata e Shkallës së Parë Elbasan", "court"),
    ("Zyra Vendore Arsimore Elbasan", "education_office"),
    ("Njësia Vendore e Kujdesit Shëndetësor Elbasan", "health"),
    ("Spitali Rajonal Elbasan", "health"),
    ("Shërbimi Social Shtetëror – Drejtoria Rajonale Elbasan", "social_services"),
    ("Këshilli Bashkiak Elbasan", "municipality"),
    ("Zyra e Punësimit Elbasan", "other"),
    ('Gjimnazi "Kostandin Kristoforidhi"', "school"),
    ('Shkolla 9-vjeçare "Jani Kukuzeli"', "school"),
    ("Komuniteti Mysliman Elbasan", "religious"),
    ("Kisha Ortodokse – Famullia e Elbasanit", "religious"),
    ('Qendra Rinore "Hapa të Sigurt"', "cso"),
    ('Shoqata "Të Rinjtë për Elbasanin"', "cso"),
    ("Shoqata e Prindërve të Elbasanit", "cso"),
    ("Njësia Administrative Bradashesh", "municipality"),
    ("Njësia Administrative Shushicë", "municipality"),
    ("Njësia Administrative Labinot-Fushë", "municipality"),
    ("Njësia Administrative Shirgjan", "municipality"),
    ("Dhoma e Tregtisë dhe Industrisë Elbasan", "other"),
)
