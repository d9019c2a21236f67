"""Words that tell a personal name in free text from everything else that is capitalised.

Albanian capitalises proper nouns only (not months, days or nationalities), so a capitalised
word inside a sentence is a person, a place or an institution. These lists let
:mod:`evaluation.privacy.names_in_text` keep places and institutions and redact persons:

``PLACES``             the 13 administrative units of Bashkia Elbasan and its quarters, the
                       towns of Albania, Kosovo and North Macedonia, countries, rivers
``INSTITUTION_WORDS``  what names of bodies, plans and documents are made of (Bashkia,
                       Drejtoria, Policia, Plani, Vendor, Sociale, Council, Police …)
``INSTITUTION_HEADS``  words whose following capitalised words are the body's own name
                       (Shkolla "Naim Frashëri", Rruga Qemal Stafa, Qendra Shpresa)
``PROTECTED_PHRASES``  people whom schools, streets and quarters are named after, and
                       multi-word places: kept even though their words are names
``STOPWORDS``          words that start sentences or stand before names and are never names
``NAME_CUES``          words after which a capitalised word is a name ("quhet", "z.", "Mr")
``TITLE_CUES``         roles and relations written before a name ("mësuesja", "motra")
``CUE_LINKS``          small words allowed between a name cue and the name ("emri i saj
                       është …", "my name is …")

All entries are written as in text; matching folds case and diacritics and takes off
Albanian case endings, so ``Elbasan`` also covers ``Elbasanit`` and ``ELBASANI``.
"""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


PLACES: frozenset[str] = _words(
    """
    Elbasan Bradashesh Funar Funarë Gjergjan Gjinar Gracen Labinot Labinot-Fushë Labinot-Mal
    Papër Shirgjan Shushicë Tregan Zavalinë Shënkoll Haxhias Kombinat Kombinati Partizani
    Vullnetari Skënderbej Nëntori Kala Kalaja Shkumbin Shkumbini Cërrik Belsh Peqin
    Gramsh Librazhd Prrenjas Përrenjas Tiranë Tirana Durrës Shkodër Shkodra Vlorë Korçë
    Fier Berat Lushnjë Kavajë Pogradec Kukës Lezhë Dibër Peshkopi Gjirokastër Sarandë Kurbin
    Laç Krujë Kuçovë Patos Ballsh Tepelenë Përmet Delvinë Himarë Burrel Bulqizë Pukë Tropojë
    Krumë Mirditë Rrëshen Koplik Vorë Kamëz Shijak Divjakë Rrogozhinë Maliq Bilisht Ersekë
    Kolonjë Libohovë Konispol Memaliaj Selenicë Poliçan Skrapar Çorovodë Roskovec Klos Mat
    Devoll Dropull Finiq Mallakastër Myzeqe Shqipëri Shqipëria Shqipërisë Kosovë Kosova
    Prishtinë Prizren Pejë Gjakovë Mitrovicë Ferizaj Gjilan Maqedoni Shkup Tetovë Ohër
    Strugë Mal Greqi Greqia Athinë Itali Italia Romë Gjermani Gjermania Angli Anglia
    Britani Britania Londër London Francë Franca Paris Zvicër Austri Belgjikë Holandë Spanjë
    Amerikë Amerika Shtetet Evropë Europë Evropa Europa Ballkan Ballkani Mesdhe Adriatik
    Albania Albanian Kosovo Macedonia Greece Italy Germany England Britain Kingdom Europe
    European Balkans Tirana Shkumbin Osum Drin Devoll Vjosë Mat Erzen Semani Dajt Dajti Tomorr
    Bajram-Curri
    """
)

INSTITUTION_WORDS: frozenset[str] = _words(
    """
    Bashkia Bashkiak Bashkiake Këshilli Këshillit Kryetari Kryetarja Prefektura Prefekti
    Qarku Qarkut Policia Komisariati Drejtoria Drejtorisë Drejtori Drejtoresha Zyra Agjencia
    Agjencisë Ministria Ministrisë Ministri Qeveria Kuvendi Parlamenti Prokuroria Gjykata
    Gjyqësor Gjyqësore Rrethi Rrethit Shkallës Parë Apelit Avokati Avokatit Popullit
    Inspektorati Institucioni Institucionet Instituti Autoriteti Autoriteti Komiteti Komisioni
    Grupi Sekretariati Sektori Sektorit Njësia Njësitë Njësisë Departamenti Shërbimi
    Shërbimet Shërbimeve Shërbimit Qendra Spitali Klinika Poliklinika Konsultorja Shëndetësore
    Shëndetit Shëndetësisë Arsimi Arsimit Arsimore Arsimor Rajonale Rajonal Vendor Vendore
    Vendit Kombëtar Kombëtare Shtetëror Shtetërore Shtetit Publik Publike Sigurisë Siguria
    Sigurinë Social Sociale Sociales Mirëqenies Mbrojtjen Mbrojtjes Mbrojtja Fëmijëve Fëmijët
    Rinisë Rinia Sportit Kulturës Punës Familjes Barazisë Gjinore Drejtësisë Brendshme
    Financave Ekonomisë Bujqësisë Administrative Administrativ Administrata Administratës
    Teknik Teknike Ndërsektorial Ndërsektoriale Multidisiplinar Koordinues Koordinimit
    Strategjia Strategjisë Plani Planit Programi Programit Projekti Projektit Fondi Buxheti
    Rregullorja Rregullores Ligji Ligjit Vendimi Vendimit Urdhri Protokolli Memorandumi
    Marrëveshja Raporti Raportit Udhëzimi Kodi Kushtetuta Regjistri Sistemi Platforma
    Shkolla Shkollës Gjimnazi Gjimnazit Kopshti Çerdhja Universiteti Fakulteti Kolegji
    Biblioteka Pallati Teatri Stadiumi Parku Sheshi Bulevardi Rruga Rrugës Lagjja Lagja Lagjes
    Fshati Fshatit Qyteti Qytetit Komuna Shoqata Shoqatës Fondacioni Organizata Organizatës
    Rrjeti Lëvizja Klubi Kisha Xhamia Teqeja Bektashi Katolike Ortodokse Myslimane Kryegjyshata
    Kryqi Kuq Kuqe Karitas Caritas Vision World Save Children Terre Hommes Unicef Fondi
    Bashkimi Evropian Evropiane Europian Europiane Kombet Bashkuara Ambasada Britanike
    Britanik Mbretërisë Mbretëria Bashkuar Misioni Prezenca Organizatës
    Municipality Municipal Council Councillor Mayor Police Prosecutor Court Ministry
    Department Directorate Office Agency Unit Units Service Services Centre Center Committee
    Group Technical Local Public Safety Security Social Protection Child Children Youth
    National Regional Plan Action Strategy Programme Program Project Fund Regulation Law
    Decision Protocol Memorandum Report School Schools University Hospital Foundation
    Association Network Embassy British United Nations European Union Government Prefecture
    Janar Shkurt Mars Prill Maj Qershor Korrik Gusht Shtator Tetor Nëntor Dhjetor
    January February March April June July August September October November December
    Monday Tuesday Wednesday Thursday Friday Saturday Sunday
    Rom Rome Romë Egjiptian Egjiptiane Ballkanik Shqip Shqiptar Shqiptare English Roma
    Egyptian Covid Covid-19 Facebook Instagram WhatsApp Viber TikTok Google Excel Word Zoom
    """
)

INSTITUTION_HEADS: frozenset[str] = _words(
    """
    Shkolla Gjimnazi Kopshti Çerdhja Universiteti Fakulteti Kolegji Biblioteka Pallati Teatri
    Stadiumi Parku Sheshi Bulevardi Rruga Lagjja Lagja Fshati Qendra Shoqata Fondacioni
    Organizata Klubi Spitali Klinika Kompania Firma Instituti Kisha Xhamia Projekti Programi
    School Street Square Centre Center Foundation Association University Hospital Club
    """
)

PROTECTED_PHRASES: tuple[str, ...] = (
    # quarters of Elbasan named after people (domain brief §5) and other local places
    "Luigj Gurakuqi",
    "Beqir Dardha",
    "Emin Matraxhiu",
    "Qemal Stafa",
    "Sul Papri",
    "Dyli Haxhire",
    "Syrja Dylgjeri",
    "Aqif Pasha",
    "Visarion Xhuvani",
    "Kongresi i Elbasanit",
    "Brigada 17 Sulmuese",
    "Bajram Curri",
    "Ura Vajgurore",
    "Fushë Krujë",
    "Malësi e Madhe",
    # people schools, streets and institutions are named after
    "Aleksandër Xhuvani",
    "Naim Frashëri",
    "Sami Frashëri",
    "Abdyl Frashëri",
    "Ismail Qemali",
    "Konstandin Kristoforidhi",
    "Gjergj Kastrioti",
    "Nënë Tereza",
    "Fan Noli",
    "Ndre Mjeda",
    "Gjergj Fishta",
    "Pjetër Bogdani",
    "Hasan Prishtina",
    "Isa Boletini",
    "Avni Rustemi",
    "Mic Sokoli",
    "Petro Nini Luarasi",
    "Faik Konica",
    "Jeronim De Rada",
    "Ali Demi",
    "Ismail Kadare",
    "Dhimitër Tutulani",
    "Migjeni",
    "Skënderbeu",
    "Kristoforidhi",
)

STOPWORDS: frozenset[str] = _words(
    """
    Në Nga Për Me Pa Te Tek Mbi Nën Para Pas Gjatë Sipas Rreth Prej Deri Drejt Pranë Afër
    Larg Kundër Përveç Brenda Jashtë Midis Ndërmjet Dhe Edhe Por Ose Apo As Kur Nëse Sepse
    Pasi Megjithëse Ndonëse Që Se Si Ku Kush Cili Cila Cilët Çfarë Sa Pse Ky Kjo Këto Këta
    Ai Ajo Ata Ato Unë Ti Ne Ju Im Ime Yt Jote Ynë Juaj Tij Saj Tyre I E Të U Do Nuk Mos Jo
    Po Ka Kishte Kanë Kemi Keni Kam Është Ishte Janë Ishin Jam Jemi Jeni Asgjë Askush Gjithë
    Shumë Pak Disa Çdo Tani Sot Dje Nesër Pastaj Ende Akoma Gjithashtu Megjithatë Prandaj
    Kështu Atje Këtu Faleminderit Falemnderit Flm Përshëndetje Tungjatjeta Mirëdita Lutem
    Mirë Ok Okay Asnjë Secili Vetëm Madje Sidomos Veçanërisht Kryesisht Zakonisht Shpesh
    Ndonjëherë Rrallë Gjithmonë Kurrë Tashmë Menjëherë Sapo Ndërsa Ndryshe Përndryshe Nëpërmjet
    Takova Takoi Takuam Fola Foli Folëm Thirra Thirri Pyeta Pyeti Ndihmova Ndihmoi Erdhi
    Shkoi Tha Thotë Thanë Dërgova Dërgoi Kontaktova Kontaktoi Kontakto Kontaktoni Telefononi
    Telefono Thirrni Pyesni Falënderoj Falenderoj Falënderojmë Përshëndes Urime Bravo Kontakt
    Tel Telefon Cel Celular Adresa Email E-mail Shënim Shënime Koment Komente Vërejtje Arsyeja
    Rasti Rastin Viktima Fëmija Fëmijët Nxënësi Nxënësja Nxënësit Prindi Prindërit Familja
    Nëna Babai Motra Vëllai Gjyshja Gjyshi Mësuesja Mësuesi Mësuesit Trajneri Trajnerja
    Drejtori Drejtoresha Psikologu Psikologia Punonjësi Punonjësja Punonjësja Specialisti
    Specialistja Koordinatori Koordinatorja Inspektori Oficeri Polici Doktori Mjeku Infermierja
    Dhunuesi Djali Vajza Shoku Shoqja Fqinji Fqinja Zoti Zonja Zonjusha Takimi Mbledhja
    Trajnimi Seanca Aktiviteti Vizita Ndjekja Referimi Vlerësimi Monitorimi Dokumenti Dokumentet
    The A An This That These Those He She They We I You It His Her Their Our My Your In On At
    By For From With Without To Of And Or But If When After Before During Because According
    Thanks Thank Dear Hello Hi Please Yes No Not Also However Contact Call Ask Meeting Note
    Notes Mr Mrs Ms Miss Dr Sir Madam Name Named Called Teacher Trainer Director Mother Father
    Sister Brother Victim Child Student Social Worker Officer
    """
)

NAME_CUES: frozenset[str] = _words(
    """
    emri emrin emrit emër emrat quhet quhej quhen quhesh quhem quajnë quajne quajtur quajti
    quanin thërrasin z znj zj zoti zotit zotin zotërisë zonja zonjës zonjën zonjusha
    zonjushës mr mrs ms miss dr sir named called name kontakt contact
    """
)

TITLE_CUES: frozenset[str] = _words(
    """
    mësuesi mësuesja mësuesit mësuesen mësueses mësuese mësues drejtori drejtoresha drejtorit
    drejtoreshës trajneri trajnerja trajnerit trajneres trajneren trajner/ja trajneri/ja
    psikologu psikologia psikologut psikologes punonjësi punonjësja punonjësit punonjëses
    specialisti specialistja specialistit inspektori inspektorja koordinatori koordinatorja
    kryetari kryetarja doktori doktoresha mjeku mjekja infermierja infermieri polici
    policia oficeri agjenti avokati avokatja prokurori gjyqtari gjyqtarja
    nëna nënës nënën babai babait babain motra motrës motrën vëllai vëllait vëllanë gjyshja
    gjyshes gjyshi gjyshit xhaxhai xhaxhait tezja tezes halla hallës daja dajës kushëriri
    kushërira kushëririt fqinji fqinja fqinjit fqinjës shoku shoqja shokut shoqes shokun
    shoqen djali djalit vajza vajzës bashkëshorti bashkëshortja bashkëshortit
    bashkëshortes partneri partnerja ish-bashkëshorti viktima viktimës viktimën dhunuesi
    dhunuesit dhunuesin fëmija fëmijës fëmijën nxënësi nxënësja nxënësit nxënëses
    teacher trainer director officer mother father sister brother uncle aunt neighbour
    neighbor friend son daughter victim child student worker doctor nurse
    """
)

CUE_LINKS: frozenset[str] = _words(
    """
    i e im ime tij saj tyre yt jot është ishte quhet më is was my his her their
    """
)
