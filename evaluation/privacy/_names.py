"""Common Albanian first names and surnames, for spotting personal names in data.

The lists are deliberately broad rather than complete: they help to recognise a column of
names (with the capitalised "Firstname Lastname" pattern) and to redact names inside free
text. Spelling is with diacritics; matching folds them (``Arbër`` matches ``Arber``).
Words that are also everyday Albanian words (Drita "light", Lule "flower", Besa "pledge")
are kept: in free text they are only redacted when capitalised.
"""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


FIRST_NAMES: frozenset[str] = _words(
    """
    Adem Adrian Agim Agron Ahmet Albert Alban Albion Aldo Aleksandër Alfred Altin Amarildo
    Andi Andrea Anri Aqif Arben Arbër Ardi Ardian Ardit Arianit Arjan Armand Arsen Artan Arton
    Astrit Bajram Bardh Bardhyl Bashkim Bekim Beqir Besart Besnik Blendi Bujar Dashnor Denis
    Dorian Dritan Edmond Edi Elton Eltion Elvis Emin Endri Enea Enis Erald Ergys Erion Erjon
    Ermal Ervin Ervis Eugen Fadil Fatos Fation Ferdinand Flamur Florian Gazmend Genci Gentian
    Gëzim Gjergj Gjon Hasan Hysen Ibrahim Ilir Indrit Islam Ismail Jetmir Jonid Klajdi Kleidi
    Klodian Kristi Kujtim Leonard Lorenc Luan Luigj Lulzim Marjan Mario Mehmet Mentor Mirel
    Muhamet Naim Ndue Nikolin Olsi Orges Ornel Petrit Pjetër Qemal Ramadan Redon Renato Rexhep
    Sabri Sami Shaban Shkëlqim Shpëtim Skënder Sokol Taulant Valon Visar Xhemal Xhevdet
    Xhuljan Ylli Yllka Adelina Aida Ajla Albana Alketa Amarda Ambra Ana Anila Anisa Anxhela
    Arbana Ardita Arjola Aurora Besa Blerina Bora Brunilda Dafina Dea Denisa Diana Donika
    Drita Elda Elira Elona Elsa Emanuela Enkeleda Entela Era Erisa Eriselda Erjona Esmeralda
    Eva Fatbardha Fiona Fjona Flutura Gentiana Gerta Greta Hana Ilda Ilirjana Irena Jola
    Jonida Kaltrina Kejsi Klara Klaudia Klea Lea Lejla Lindita Liridona Livia Lule Luljeta
    Majlinda Manjola Marjana Marsela Megi Migena Mimoza Mira Miranda Mirela Nertila Noela Olta
    Orjeta Rajmonda Rea Reina Roza Rudina Sabina Sara Shpresa Sidorela Silvana Sindi Stela
    Teuta Valbona Vjollca Xhensila Xhoana Zamira
    """
)

SURNAMES: frozenset[str] = _words(
    """
    Ahmeti Allushi Bajrami Balla Bardhi Basha Beqiri Berisha Bici Brahimi Bregu Bushati Bushi
    Bytyqi Cani Cenolli Çela Çuka Daci Dalipi Dardha Dema Demiri Dervishi Dibra Doda Duka
    Dushku Dyrmishi Elezi Frashëri Gashi Gega Gjeta Gjika Gjini Gjoka Gurakuqi Hajdari Halili
    Hasani Haxhiu Hida Hoti Hoxha Hyka Hysa Hyseni Hysi Ibrahimi Jaupi Kaçi Kadiu Kapllani
    Kastrati Kelmendi Keta Kita Koçi Kola Krasniqi Kuka Kurti Laçi Lala Leka Lika Lleshi Luli
    Malaj Marku Matraxhiu Mehmeti Mema Memaj Meta Mici Muca Mullaj Mustafa Myrta Ndreu Nela
    Nikolla Osmani Pepa Prifti Qerimi Qosja Rama Rexhepi Rrapi Ruci Rushiti Sefa Selimi Shehu
    Shima Shkurti Sinani Spahiu Stafa Sula Tafa Tahiri Tola Topalli Toska Ulqini Veliu Vrioni
    Xhafa Xhani Xhuvani Ymeri Zela Zeneli Zeqiri Zhupa
    """
)
