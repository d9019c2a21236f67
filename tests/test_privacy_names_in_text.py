"""Names in free text: the context rules find names no list holds, and ordinary evidence
notes and action points (places, institutions, schools named after people) stay whole.

The demo world is only a measurement here: ``truth.json`` says which names it planted in
free text; the name finder never sees it (nor the demo generator's name lists).
"""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from evaluation.privacy import scan_for_values, scrub_text
from evaluation.privacy._names import FIRST_NAMES, SURNAMES
from evaluation.privacy.names_in_text import NameFinder
from evaluation.privacy.patterns import fold

# Surnames and first names made up for these tests: in no list, so only context finds them.
INVENTED = ["Zorbin", "Kallmeti", "Tefta", "Gjolleshi", "Aurelon", "Shqarri", "Pembleton"]


def redacted(text: str, **options) -> list[str]:
    return [text[a:b] for a, b in NameFinder(**options).spans(text)]


def test_invented_names_are_not_in_the_lists():
    listed = {fold(n) for n in FIRST_NAMES | SURNAMES}
    assert not {fold(n) for n in INVENTED} & listed


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Fëmija u takua me Zorbin Kallmeti te tregu.", ["Zorbin", "Kallmeti"]),
        ("Rasti u referua nga fqinja, Tefta Gjolleshi.", ["Tefta", "Gjolleshi"]),
        ("Sipas Aurelon Shqarri, mbledhja u shty.", ["Aurelon", "Shqarri"]),
        ("Në takim ishin Tefta Gjolleshi dhe Zorbin Kallmeti.", [*INVENTED[2:4], *INVENTED[:2]]),
        ("We spoke with Aurelon Pembleton at the school.", ["Aurelon", "Pembleton"]),
    ],
)
def test_two_capitalised_words_mid_sentence_are_a_name(text, names):
    assert redacted(text) == names


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Djali quhet Zorbin dhe nuk shkon në shkollë.", ["Zorbin"]),
        ("Emri i saj është Tefta.", ["Tefta"]),
        ("Më quajnë Aurelon, telefononi pas orës 5.", ["Aurelon"]),
        ("Foli z. Kallmeti nga komuniteti.", ["Kallmeti"]),
        ("Takimi me znj. Gjolleshi u shty.", ["Gjolleshi"]),
        ("Zonja Shqarri u ankua për zhurmën.", ["Shqarri"]),
        ("The report was written by Mr Pembleton.", ["Pembleton"]),
        ("A boy named Zorbin was begging.", ["Zorbin"]),
        ("Mësuesja Tefta e shoqëroi në NJMF.", ["Tefta"]),
        ("Kontakt: Aurelon Shqarri", ["Aurelon", "Shqarri"]),
    ],
)
def test_a_capitalised_word_after_a_cue_is_a_name(text, names):
    assert redacted(text) == names


def test_known_names_with_case_endings_and_their_neighbours():
    assert redacted("Takova Arbenin dhe Dritën me Hoxhën.") == ["Arbenin", "Dritën", "Hoxhën"]
    # a known first name takes the capitalised word after it (a surname, even a place)
    assert redacted("Erdhi Kristi Përmeti.") == ["Kristi", "Përmeti"]
    assert redacted("Arben Kallmeti erdhi sot.") == ["Arben", "Kallmeti"]
    # a sentence's first word is a first name only before a surname
    assert redacted("Zorbin Hoxha erdhi.") == ["Zorbin", "Hoxha"]
    assert redacted("Thirr Arbenin nesër.") == ["Arbenin"]


def test_given_names_in_any_case_even_without_the_lists():
    text = "ZORBIN tha se kallmetit i ka borxh."
    assert redacted(text, names=["Zorbin Kallmeti"], builtin=False) == ["ZORBIN", "kallmetit"]
    assert redacted("Arben erdhi.", builtin=False) == []


@pytest.mark.parametrize(
    "text",
    [
        'Shkolla 9-vjeçare "Naim Frashëri" ka ngritur një klub.',
        'Nxënësit e Shkollës "Zorbin Kallmeti" morën pjesë.',  # whatever the school is named
        "Fushata u zhvillua në lagjen Qemal Stafa dhe në Rrugën Aqif Pasha.",
        'Universiteti "Aleksandër Xhuvani" ofroi vullnetarë.',
        "Drejtoria e Planifikimit Strategjik dhe Zyra e Gjendjes Civile nuk morën pjesë.",
        "Punonjësit e NJMF dhe KVSP u takuan me Policinë e Shtetit.",
        "Labinot-Fushë, Labinot-Mal, Gjinar dhe Zavalinë janë njësi malore.",
        "Qendra Komunitare Shpresa hapet çdo ditë.",
    ],
)
def test_places_institutions_and_their_namesakes_stay(text):
    assert redacted(text) == []


def test_the_thirteen_administrative_units_stay_in_every_case():
    units = ["Elbasan", "Bradashesh", "Funar", "Gjergjan", "Gjinar", "Gracen", "Labinot-Fushë",
             "Labinot-Mal", "Papër", "Shirgjan", "Shushicë", "Tregan", "Zavalinë"]  # fmt: skip
    text = " ".join(f"Në {u} dhe te banorët e {u}it" for u in units)
    assert redacted(text) == []


def test_scrub_text_puts_one_token_per_name_word():
    out = scrub_text(["Fëmija quhet Zorbin Kallmeti, tel 069 123 4567, jeton në Papër."])
    assert out[0] == "Fëmija quhet [name] [name], tel [phone], jeton në Papër."


def test_ordinary_notes_are_left_alone():
    """Evidence notes and action points written for these tests (see the lists below):
    the development set was used to build the allow-lists, held-out set 1 to fix the
    genitive rule (Drejtoria e Planifikimit Strategjik), held-out set 2 never."""
    sentences = [*DEVELOPMENT, *HELD_OUT_1, *HELD_OUT_2]
    changed = [s for s, out in zip(sentences, scrub_text(sentences), strict=True) if s != out]
    assert len(sentences) == 180
    assert len(changed) <= 1, changed  # measured: "the Red Cross" (held-out set 2)


@pytest.fixture(scope="module")
def demo_free_text(tmp_path_factory):
    """The free-text answers of a small demo world and the names its truth.json planted."""
    from evaluation.readers import read_export
    from evaluation.synth import write_demo_world

    raw = tmp_path_factory.mktemp("names") / "raw"
    write_demo_world(out=raw, scale=0.2, seed=20220203)
    texts = []
    for path in sorted(raw.glob("*")):
        if path.suffix not in (".csv", ".xlsx", ".sav") or path.name == "sampling_frame.csv":
            continue
        frame = read_export(path).frame
        for column in frame.columns:
            key = re.split(r"[/.\-]", column)[-1]
            if key in ("notes", "r_improve", "anything_else", "action_points") or key.endswith(
                "_evidence"
            ):
                texts += frame[column].dropna().tolist()
    truth = json.loads((raw / "truth.json").read_text(encoding="utf-8"))
    return pd.DataFrame({"text": texts}), truth["planted_personal_values"]["by_kind"]


def test_every_planted_name_in_the_demo_free_text_is_redacted(demo_free_text):
    frame, planted = demo_free_text
    names = planted["person_name"]
    before = scan_for_values({"raw": frame}, names)
    assert len(before) >= 10, "the demo world plants names in free text"
    rows = sorted({int(where.split()[-1]) for where in before["location"]})
    scrubbed = frame.assign(text=scrub_text(frame["text"]))
    words = sorted({w for n in names for w in n.split()})
    assert scan_for_values({"scrubbed": scrubbed.loc[rows]}, words).empty
    assert scan_for_values({"scrubbed": scrubbed}, planted["phone"]).empty
    untouched = scrubbed.drop(index=rows)
    assert (untouched["text"] == frame.drop(index=rows)["text"]).all(), "no false alarm"


# ----------------------------------------------------------------- ordinary sentences
# Written for these tests in the style of the capacity scorecard's evidence notes and
# action points, with no personal name in them.
DEVELOPMENT = (
    "Këshilli Vendor i Sigurisë Publike u mblodh tri herë gjatë vitit, sipas procesverbaleve.",
    "Plani Vendor i Sigurisë Publike është miratuar nga Këshilli Bashkiak në mars 2023.",
    "Nuk ka buxhet të dedikuar për aktivitetet e KVSP-së në buxhetin e Bashkisë Elbasan.",
    "Drejtoria Vendore e Policisë Elbasan merr pjesë rregullisht në mbledhjet e këshillit.",
    "Protokolli i bashkëpunimit me Drejtorinë Rajonale të Arsimit Parauniversitar është nënshkruar.",
    "U paraqitën procesverbalet e mbledhjeve dhe lista e pjesëmarrësve.",
    "Sekretariati teknik i KVSP-së nuk ka staf të përhershëm.",
    "Njësia për Mbrojtjen e Fëmijëve (NJMF) ka dy punonjës për gjithë bashkinë.",
    "Grupi Teknik Ndërsektorial mblidhet vetëm kur ka raste urgjente.",
    "Të dhënat për rastet e dhunës në familje nuk ndahen sipas njësive administrative.",
    "Regjistri elektronik i rasteve nuk përdoret ende në Njësinë Administrative Shirgjan.",
    'Shkolla 9-vjeçare "Naim Frashëri" ka ngritur një klub për parandalimin e bullizmit.',
    'Gjimnazi "Aleksandër Xhuvani" organizoi dy seanca informuese për prindërit.',
    "Qendra Komunitare në lagjen Luigj Gurakuqi ofron aktivitete pasdite për të rinjtë.",
    "Mungon bashkëpunimi me Prokurorinë e Rrethit Gjyqësor Elbasan.",
    "Raporti vjetor i Bashkisë përmend vetëm shkurt sigurinë publike.",
    "Përfaqësuesit e komunitetit rom dhe egjiptian nuk janë anëtarë të këshillit.",
    "Në Njësinë Administrative Shushicë nuk ka punonjës të mbrojtjes së fëmijëve.",
    "Takimet me banorët u zhvilluan në Gracen, Papër dhe Tregan.",
    "Plani i veprimit nuk ka tregues të matshëm dhe afate kohore.",
    "Policia e Shtetit ka caktuar një oficer kontakti për çdo shkollë në qytet.",
    "Ministria e Brendshme nuk ka dhënë udhëzime të reja për këshillat vendorë.",
    "U raportua se Zyra Vendore Arsimore Elbasan nuk ka psikolog në shkollat rurale.",
    "Strategjia Kombëtare për Rininë nuk përmendet në dokumentet e bashkisë.",
    "Vullnetarët e Kryqit të Kuq Shqiptar ndihmuan në shpërndarjen e fletëpalosjeve.",
    "Anëtarët e KVSP-së nuk kanë marrë trajnim për menaxhimin e të dhënave.",
    "Faqja zyrtare e bashkisë nuk publikon vendimet e këshillit.",
    "Spitali Rajonal Elbasan raporton rastet e dhunës te policia vetëm me shkresë.",
    "Përfaqësuesi i UNICEF-it prezantoi modelin e referimit të rasteve.",
    "Bashkëpunimi me Save the Children ka sjellë dy trajnime për mësuesit.",
    "Nuk u paraqit asnjë dokument që vërteton konsultimin me të rinjtë.",
    "Rregullorja e brendshme e këshillit është hartuar, por nuk është miratuar.",
    "Drejtoria e Shërbimeve Sociale ka vetëm tre punonjës socialë për 13 njësi administrative.",
    "Një bazë të dhënash për fëmijët në situatë rruge është ngritur në Excel.",
    "Gjatë pandemisë Covid-19 mbledhjet u zhvilluan në Zoom.",
    "Prefektura e Qarkut Elbasan merr pjesë si vëzhguese.",
    "Kryetari i Bashkisë e kryeson mbledhjen, por shpesh delegon zëvendësin.",
    "Mbledhja e fundit u mbajt më 15 nëntor në sallën e Këshillit Bashkiak.",
    'Projekti "Rinia Aktive" financohet nga Ambasada Britanike në Tiranë.',
    "Vlerësimi i nevojave u krye në fshatrat e Labinot-Malit dhe Labinot-Fushës.",
    "Rastet referohen te Qendra e Shëndetit Mendor vetëm në qytet.",
    "Sistemi i menaxhimit të rasteve nuk lidhet me Agjencinë Shtetërore për të Drejtat e Fëmijës.",
    "Plani Individual i Mbrojtjes (PIM) hartohet brenda 30 ditëve në shumicën e rasteve.",
    'Organizata "Terre des hommes" mbështet punonjësit e NJMF me supervizim.',
    "Nuk ka protokoll të përbashkët me Gjykatën e Shkallës së Parë për urdhrat e mbrojtjes.",
    "Kopshti në Zavalinë është mbyllur dhe fëmijët udhëtojnë deri në Funar.",
    "Anëtarët e grupit teknik u trajnuan nga OSBE në vitin 2022.",
    "Raportet mujore dërgohen në Ministrinë e Shëndetësisë dhe Mbrojtjes Sociale.",
    "Bashkia Elbasan ka hapur një linjë telefonike për sinjalizimin e rasteve.",
    "Të rinjtë nga Bradashesh dhe Gjergjan marrin pjesë në aktivitetet sportive.",
    "Action points: approve the Local Safety Plan and publish the minutes online.",
    "The Municipality of Elbasan has no dedicated budget line for the council.",
    "Child Protection Units exist in the city but not in the rural administrative units.",
    "The Regional Education Directorate shared school attendance data for the first time.",
    "Minutes were kept for every meeting since January 2023.",
    "Meetings are chaired by the Mayor or his deputy.",
    "Police participation improved after the new regulation was adopted.",
    "The council should invite representatives of Roma and Egyptian communities.",
    "Training on data protection was delivered by the British Embassy project team.",
    "A referral protocol with the District Court is still missing.",
    "Ngritja e një grupi pune për rininë në çdo njësi administrative.",
    "Publikimi i procesverbaleve në faqen zyrtare të Bashkisë brenda një jave.",
    "Caktimi i një buxheti të veçantë për KVSP-në në buxhetin vjetor.",
    "Trajnimi i punonjësve të NJMF për regjistrimin elektronik të rasteve.",
    "Nënshkrimi i marrëveshjes me Drejtorinë Vendore të Policisë për shkëmbimin e të dhënave.",
    "Rishikimi i Rregullores së KVSP-së deri në fund të vitit.",
    "Përfshirja e Këshillit Rinor Vendor në hartimin e planit.",
    "Ngritja e një sportelli informues në Qendrën Komunitare të Shirgjanit.",
    "Organizimi i takimeve me prindërit në shkollat e Papërit dhe Gracenit.",
    "Hartimi i një plani komunikimi me mediat vendore.",
)
HELD_OUT_1 = (
    "Këshilli u mblodh dy herë në vit, por procesverbalet nuk janë nënshkruar.",
    "Në mbledhjen e qershorit mungonin përfaqësuesit e Prokurorisë dhe Gjykatës.",
    "Drejtoria e Planifikimit Strategjik nuk e ka përfshirë sigurinë në planin buxhetor afatmesëm.",
    "Për vitin 2024 janë parashikuar 500 mijë lekë për aktivitete parandaluese.",
    "Plani i ri i veprimit është në konsultim publik deri në fund të muajit.",
    'Shkolla e Mesme Profesionale "Ali Myftiu" ka një program për praktikat e të rinjve.',
    'Nxënësit e Shkollës "Jani Kukuzeli" morën pjesë në fushatën kundër drogës.',
    "Punonjësit socialë të Njësisë Administrative Gjinar mbulojnë edhe Zavalinën.",
    "Qendra Rinore Elbasan hapet vetëm tri ditë në javë për shkak të mungesës së stafit.",
    "Inspektorati Shtetëror i Punës nuk merr pjesë në këshill.",
    "Komisariati i Policisë Elbasan raporton çdo tremujor për krimet e të miturve.",
    "Të dhënat e Drejtorisë Rajonale të Shëndetit Publik nuk përfshijnë përdorimin e substancave.",
    "Lista e pjesëmarrësve tregon se gratë janë më pak se një e treta e anëtarëve.",
    'Fushata "Elbasani i Sigurt" u zhvillua në të gjitha shkollat e qytetit.',
    "Grupi Teknik u mblodh për 14 raste gjatë tremujorit të dytë.",
    "Referimet nga Spitali Rajonal arrijnë me vonesë te NJMF.",
    "Nuk ka një procedurë të shkruar për ndjekjen e rasteve pas mbylljes.",
    "Organizatat e shoqërisë civile ftohen vetëm në mbledhjet e hapura.",
    "Zyra e Gjendjes Civile ndihmoi në regjistrimin e fëmijëve pa dokumente.",
    "Këshilli i Qarkut Elbasan ka ofruar sallën për takimet e përbashkëta.",
    'Programi "Shkolla Qendër Komunitare" zbatohet në katër shkolla të qytetit.',
    "Mungon një analizë e të dhënave sipas gjinisë dhe moshës.",
    "Raporti i monitorimit u prezantua në mbledhjen e Këshillit Bashkiak të dhjetorit.",
    "Vizita në terren u krye në Shënkoll, Haxhias dhe Kombinat.",
    "Përfaqësuesit e komuniteteve fetare marrin pjesë rregullisht.",
    "Sektori i Rinisë dhe Sportit ka organizuar turne futbolli në Cërrik dhe Belsh.",
    "Drejtoria Arsimore Rajonale Elbasan ka miratuar një udhëzues për këshillimin e nxënësve.",
    "Mekanizmi i referimit për dhunën në familje funksionon sipas VKM nr. 327.",
    "Në lagjen Partizani u hap një qendër ditore për fëmijët.",
    "Ambasada e Mbretërisë së Bashkuar financon trajnimin e anëtarëve të këshillit.",
    "Nuk ka të dhëna për fëmijët që kthehen në rrugë pas ndërhyrjes.",
    "Policia Bashkiake ndihmon në identifikimin e fëmijëve në situatë rruge.",
    "Agjencia Kombëtare e Punësimit nuk ka paraqitur të dhëna për të rinjtë e papunë.",
    'Universiteti "Aleksandër Xhuvani" ofroi studentë vullnetarë për fushatën.',
    "Organizata World Vision ka mbështetur dy qendra komunitare rurale.",
    "The council met twice but did not publish its decisions.",
    "Data from the State Police are shared only on request.",
    "The Child Protection Unit in Shirgjan has no vehicle for home visits.",
    "UNICEF and OSCE provided technical assistance for the referral mechanism.",
    "The Youth Council was consulted on the draft Local Action Plan.",
    "There is no written agreement with the Regional Health Directorate.",
    "Caktimi i një koordinatori me kohë të plotë për KVSP-në.",
    "Hartimi i treguesve të matshëm për çdo objektiv të planit.",
    "Publikimi i raportit vjetor në faqen e Bashkisë Elbasan.",
    'Trajnimi i mësuesve të Shkollës "Kristoforidhi" për identifikimin e rasteve.',
    "Zgjerimi i shërbimit të NJMF në njësitë administrative Funar dhe Tregan.",
    "Ngritja e një baze të dhënash të përbashkët me Policinë e Shtetit.",
    "Ftesa e përfaqësuesve të Këshillit Rinor në çdo mbledhje.",
    "Organizimi i një fushate ndërgjegjësimi në lagjen Qemal Stafa.",
    "Rishikimi i marrëveshjes me Drejtorinë Rajonale të Shëndetit Publik.",
    "Caktimi i një buxheti për transportin e punonjësve socialë në zonat malore.",
    "Develop a shared database with the Police and the Education Office.",
    "Publish the minutes of every council meeting within two weeks.",
    "Train the Child Protection Unit staff on case management software.",
    "Invite civil society organisations to the quarterly meetings.",
)
HELD_OUT_2 = (
    "Sipas procesverbalit, mbledhja e prillit u anulua për mungesë kuorumi.",
    "Këshilli ka një faqe në Facebook, por ajo nuk përditësohet që nga viti 2022.",
    "Drejtoria e Ndihmës Ekonomike nuk ndan të dhëna me NJMF për familjet në nevojë.",
    "Zyra e Koordinimit të Projekteve ka përgatitur një propozim për fondet e BE-së.",
    "Sektori i Emergjencave Civile merr pjesë vetëm në mbledhjet për përmbytjet.",
    "Në Njësinë Administrative Bradashesh u hap një pikë informacioni për të rinjtë.",
    "Fëmijët e fshatit Valas udhëtojnë çdo ditë drejt shkollës në Shirgjan.",
    "Drejtori i shkollës raportoi dy raste bullizmi gjatë semestrit të parë.",
    "Punonjësja sociale viziton familjet një herë në muaj.",
    "Mësuesit kërkuan trajnim për të dalluar shenjat e përdorimit të drogës.",
    "Policia e Komunitetit patrullon pranë shkollave në orët e daljes.",
    "Qendra Kulturore e Fëmijëve organizon shfaqje çdo të shtunë.",
    "Bashkia ka rikonstruktuar parkun e lojërave në lagjen 11 Nëntori.",
    "Mbledhja u drejtua nga zëvendëskryetari për shkak të mungesës së kryetarit.",
    "Procesverbali nuk përmend vendimet e marra për buxhetin.",
    "U diskutua mundësia e hapjes së një qendre rehabilitimi në Cërrik.",
    "Zyra e Avokatit të Popullit dërgoi një rekomandim për strehimin e viktimave.",
    'Komiteti i Prindërve në Gjimnazin "Dhaskal Todri" kërkoi më shumë kamera sigurie.',
    "Banorët e Kalasë ankohen për ndriçimin e rrugëve gjatë natës.",
    "Fondi i Zhvillimit Rajonal financoi ndriçimin e rrugëve në Gjinar.",
    "Të dhënat e Institutit të Statistikave (INSTAT) përdoren për të vlerësuar popullsinë.",
    "Gjatë takimit me Kuvendin e të Rinjve u ngritën shqetësime për drogën në shkolla.",
    'Shoqata "Gruaja dhe Fëmija" ofron këshillim ligjor falas.',
    "Ndjekja e rasteve bëhet me telefon kur nuk ka automjet në dispozicion.",
    "Rekomandohet që çdo njësi administrative të ketë një punonjës të mbrojtjes së fëmijëve.",
    "Raportimi te Agjencia Shtetërore për Mbrojtjen e të Drejtave të Fëmijëve bëhet çdo muaj.",
    "Nuk ka një hartë të pikave të nxehta për fëmijët në situatë rruge.",
    "Fëmija u gjet pranë stacionit të autobusëve dhe u shoqërua në shtëpi.",
    "Vajza kishte braktisur shkollën dhe punonte në treg.",
    "Viktima u strehua në Qendrën Kombëtare për Viktimat e Dhunës në Familje.",
    "Dhunuesi u largua nga banesa pas urdhrit të mbrojtjes.",
    "Rasti u mbyll pasi familja u transferua në Durrës.",
    "Fëmijët shiteshin lule pranë Pazarit të Vjetër.",
    "Dy vëllezër u panë duke lypur te semafori i Urës së Shkumbinit.",
    "Të rinjtë e Klubit të Debatit propozuan një fushatë kundër dhunës.",
    "The Social Services Directorate has three case workers for the whole municipality.",
    "Meeting minutes are stored on paper at the Mayor's office.",
    "Representatives of the Red Cross attended the last meeting.",
    "The council agreed to map hotspots with the Community Police.",
    "A new protocol with the Regional Health Directorate is under negotiation.",
    "Students from Elbasan University volunteered during the campaign.",
    "Përditësimi i listës së anëtarëve të KVSP-së çdo vit.",
    "Krijimi i një linje telefonike për të rinjtë me Qendrën Kombëtare të Këshillimit.",
    "Shpërndarja e materialeve informuese në gjuhën rome.",
    "Përfshirja e Policisë Bashkiake në takimet e grupit teknik.",
    "Hartimi i një procedure për ndjekjen e fëmijëve pas largimit nga rruga.",
    "Vendosja e kamerave në hyrjet e shkollave në Kombinat.",
    "Zhvillimi i një trajnimi për gazetarët e medias vendore.",
    "Caktimi i një pike kontakti në Drejtorinë e Arsimit për rastet e braktisjes.",
    "Bashkëpunimi me Universitetin për një studim mbi përdorimin e drogës.",
    "Raportimi i treguesve çdo tremujor te Këshilli Bashkiak.",
    "Krijimi i një fondi të vogël për projekte të të rinjve në zonat rurale.",
    "Organizimi i ditëve të hapura në Qendrën Rinore çdo muaj.",
    "Shqyrtimi i mundësisë për një autobus shkollor në Labinot-Mal.",
    "Hartimi i një marrëveshjeje me Kishën Katolike dhe Myftininë për aktivitete të përbashkëta.",
)
