"""Common Albanian first names and surnames, for spotting personal names in data.

The lists are deliberately broad rather than complete (names of Albania, Kosovo and North
Macedonia, old and new, including Greek- and Italian-influenced ones): they help to
recognise a column of names and to redact names inside free text, where a pattern (two
capitalised words mid-sentence, a capitalised word after "quhet" or "z.") finds the names
no list holds. Spelling is with diacritics; matching folds them (``Arbër`` matches
``Arber``) and takes off Albanian case endings (``Arbenit``, ``Dritës``, ``Hoxhës``).

Words that are also everyday Albanian words (Drita "light", Lule "flower", Besa "pledge")
are kept: in free text they are only redacted when capitalised. Left out on purpose: names
that are mostly ordinary words in reports and notes (Mentor, Shqipe "Albanian", Zyra
"office", Trim "brave", Kodra "hill") and surnames that are place names (Elbasani, Tirana,
Shkodra, Kavaja), which the place allow-list of :mod:`evaluation.privacy.names_in_text`
keeps; a surname right after a first name is redacted all the same.
"""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


FIRST_NAMES: frozenset[str] = _words(
    """
    Adem Adi Adil Adnan Adrian Afrim Agim Agron Ahmet Ajet Akil Alban Albert Albi Albion
    Aldo Aleks Aleksandër Alfred Ali Alket Altin Alush Amarildo Andi Andrea Andrit Anton
    Antonio Aqif Arben Arbër Ardi Ardian Ardit Arian Arianit Arif Arjan Arlind Armand
    Armando Arsen Artan Artur Arton Asllan Astrit Avdi Avni Azem Bajram Bardh Bardhok
    Bardhyl Bedri Behar Bekim Bektash Beqir Besart Besian Besim Besmir Besnik Bilal Bledar
    Bledi Blerant Blerim Bujar Dajan Daniel Dardan Dashamir Dashnor Dejvi Dejvid Denis
    Desart Dhimitër Dorian Drilon Dritan Dritëro Durim Edi Edison Edmond Edvin Egzon Eldi
    Eldion Elion Elis Elton Eltion Elvis Emanuel Emin Emiljano Endri Endrit Enea Enis Enkel
    Enri Erald Eraldo Ergi Ergys Erind Erion Erjon Erlis Ermal Ermir Ervin Ervis Esat Eugen
    Fadil Fatmir Fatos Fation Faton Fehmi Ferdinand Ferit Festim Fisnik Flamur Florenc
    Florian Fran Frederik Gani Gazmend Genc Genci Gent Gentian Gerald Gerti Gëzim Gjergj
    Gjon Gramoz Granit Hajdar Hamit Hasan Haxhi Hekuran Hysen Ibrahim Ilir Ilirjan Indrit
    Isa Ismail Ismet Jetmir Jeton Jonid Jurgen Kastriot Kevin Klajdi Klaudio Kleidi Klejdi
    Klevis Klodian Kreshnik Kristi Kristian Kujtim Lavdrim Leart Ledio Leonard Leotrim Lirim
    Lorenc Luan Luigj Lulzim Majlind Marjan Mark Marko Marsel Mehmet Merxhan Mikel Mirel
    Muhamet Muharrem Myftar Naim Nazmi Ndue Nehat Nexhat Nikolin Nuri Olsi Orest Orges Orjon
    Ornel Osman Pajtim Pëllumb Petrit Pjetër Qamil Qazim Qemal Qerim Ramadan Ramiz Rasim
    Redi Redon Refat Renato Reshat Rexhep Rezart Riza Romeo Ronaldo Rrahman Sabri Sadik
    Safet Saimir Salih Sali Sami Sander Sebastian Selim Semir Shaban Shefqet Shkëlqim
    Shpëtim Skënder Sokol Sotir Sulejman Taulant Tefik Toni Valdet Valentin Valmir Valon
    Vangjel Vasil Vehbi Veli Visar Xhafer Xhavit Xhelal Xhemal Xhevdet Xhuljan Xhuliano
    Ylber Ylli Ymer Zef Zenel Zija Zyhdi Adelina Afërdita Agnesa Aida Ajola Ajla Alba Albana
    Albina Alda Alesia Alketa Almira Amarda Ambra Ana Anila Anisa Anjeza Anxhela Arbana
    Arbnora Ardita Ariana Arjana Arjola Arlinda Arta Aurela Aurora Bardha Behije Besa
    Besiana Besjana Blerina Blerta Bora Brikena Brunilda Bukurie Dafina Dajana Dea Denada
    Denisa Dhurata Diana Donika Dorina Drita Edlira Egla Elda Eleonora Elira Elisa Elona
    Elsa Elvana Elvira Emanuela Emiljana Enkeleda Enkelejda Entela Era Erida Erisa Eriselda
    Erjona Ermira Esmeralda Etleva Eva Fatbardha Fatime Fatjona Fiona Fitore Fjona Fjoralba
    Flora Floriana Flutura Gentiana Gerta Gjylie Greta Gëzime Hana Hatixhe Ilda Ildi
    Ilirjana Irena Irma Iva Jehona Jola Jonida Jonila Juliana Kaltrina Keida Kejsi Klara
    Klaudia Klea Klejda Kristina Lediana Leonora Liljana Lindita Liridona Lorena Lule
    Luljeta Lumturi Majlinda Manjola Mariana Marinela Marjeta Marsela Megi Merita Migena
    Mimoza Mira Mirela Miranda Mirjeta Monika Nadire Natasha Nertila Nevila Nexhmije Noela
    Nora Olta Ornela Orjeta Pranvera Qëndresa Rajmonda Rea Reina Rezarta Rovena Roza Rozana
    Rudina Sabina Saimira Sara Sibora Sidorela Silva Silvana Sindi Sonila Stela Suela
    Shpresa Teuta Tringa Valbona Valentina Vjollca Vjosa Xhensila Xhesika Xhoana Yllka
    Zamira Zana Zenepe Zhaneta
    """
)

SURNAMES: frozenset[str] = _words(
    """
    Abazi Ademi Agaj Agolli Ahmeti Alia Aliaj Alimani Allushi Alushi Avdiu Bajrami
    Bajraktari Bala Balla Bardhi Basha Bashi Begaj Begolli Bejko Beqiri Berberi Berisha Bici
    Bogdani Boçi Brahimi Bregu Buçi Bushati Bushi Bytyqi Cani Celaj Cenolli Çaushi Çela Çoku
    Çuka Dalipi Dani Dardha Dauti Deda Dedaj Dema Demiri Dervishi Dibra Doda Dokle Duka
    Dushku Dyrmishi Elezi Fejzo Frashëri Gashi Gega Gjata Gjika Gjini Gjoka Gjokaj Gjonaj
    Gjoni Gjura Gorica Gurakuqi Hajdari Hajdini Halili Hamzaj Hasani Haxhia Haxhiu Hida Hoti
    Hoxha Hoxhaj Hyka Hysa Hyseni Hysi Ibrahimi Ismaili Isufi Jaupi Kaçi Kadiu Kapllani
    Kastrati Kelmendi Kita Koçi Kola Kolgjini Kraja Krasniqi Kryeziu Kuka Kurti Lala Lami
    Leka Lika Lleshi Lloshi Luli Lushi Malaj Maliqi Mani Marku Mata Matraxhiu Mehmeti Mema
    Memaj Memishi Meta Metaj Mici Muça Mullaj Murati Mustafa Myrta Nallbani Ndoja Ndreu Nela
    Nika Nikolla Nuri Osmani Pasha Peci Pepa Plaku Prifti Qehaja Qerimi Qosja Rama Ramaj
    Rexha Rexhepi Rrapaj Rrapi Ruci Rushiti Sefa Selimi Shabani Shala Shehi Shehu Shima
    Shkurti Sinani Sokoli Spahiu Stafa Sula Sulaj Tafa Tafaj Tahiri Toçi Tola Topalli Toska
    Ulqini Vata Veliu Vrioni Xhafa Xhaferri Xhani Xhixho Xhuvani Ymeri Zaimi Zeka Zela
    Zeneli Zeqiri Zhupa Zogaj Allkja Aliu Arapi Asllani Avdia Bakiu Balliu Bardhoshi Baçi
    Beqaj Bilali Biba Bojaxhi Bruçi Bushi Canaj Cara Ceka Cikaj Çani Çeliku Çollaku Dedja
    Delia Dika Dibrani Dobi Dodaj Draçi Dulaj Dule Ferra Fishta Gaxha Gjeli Gjergji Gjini
    Gjokiçi Gjonbalaj Hakani Halilaj Haxhiaj Hoda Hodo Hysaj Hyskaj Iljazi Imeraj Isaku
    Jakupi Kadriu Kamberi Karaj Kaziu Kodheli Kokona Kolaj Konomi Kovaçi Kreka  Lamaj
    Lazaj Lekaj Lici Lilaj Lulaj Malko Mara Marashi Mehaj Memushi Mersini Metohu Mile
    Mirashi Mullai Myftiu Ndoci Ndou Neziri Noka Pali Palushi Pecaj Pllumbi Pojani Prendi
    Qama Qorraj Rakipi Rexhaj Roshi Rustemi Sadiku Saliu Sejdini Selmani Shyti Shullazi
    Sokolaj Suli Tabaku Tanku Tare Tepshi Tërpollari Tushi Uka Velaj Vlashi Vokshi Xhemali
    Xhepa Xhika Ylli Ypi Zajmi Zani Zeqo Zhidro
    """
)
