"""Fixed report text: one file per language, the same keys in both, correct Albanian."""

import pytest

from evaluation.errors import ParamsError, ReportError
from evaluation.report import labels
from evaluation.report.labels import catalogue, placeholders, t

# Texts that are the same word in both languages.
SAME_IN_BOTH = {"table.n"}


def test_both_languages_have_the_same_keys():
    assert set(catalogue("en")) == set(catalogue("sq"))


@pytest.mark.parametrize("key", sorted(catalogue("en")))
def test_both_languages_have_the_same_placeholders(key):
    assert placeholders(catalogue("en")[key]) == placeholders(catalogue("sq")[key]), key


@pytest.mark.parametrize("key", sorted(set(catalogue("en")) - SAME_IN_BOTH))
def test_albanian_text_is_translated(key):
    assert catalogue("sq")[key] != catalogue("en")[key], f"{key} is not translated in sq.yaml"


@pytest.mark.parametrize(
    ("key", "albanian"),
    [
        ("html.contents", "Përmbajtja"),
        ("html.data_sources", "Burimet e të dhënave"),
        ("html.method_notes", "Shënime metodologjike"),
        ("html.run_date", "Data e ekzekutimit"),
        ("report.capacity", "Raporti i ngritjes së kapaciteteve"),
        ("table.se", "Gabimi standard"),
    ],
)
def test_albanian_headings_keep_their_letters(key, albanian):
    assert t(key, "sq") == albanian


def test_no_mojibake_in_the_albanian_file():
    text = (labels.I18N_DIR / "sq.yaml").read_text(encoding="utf-8")
    assert "ë" in text
    assert "Ã" not in text and "\ufffd" not in text  # UTF-8 read as Latin-1, or lost bytes


def test_placeholders_are_filled():
    assert t("notes.suppression", "sq", min_cell_size=5).startswith(
        "Qelizat që bazohen në më pak se 5 të anketuar"
    )
    assert t("table.ci", "en", level=95) == "95% confidence interval"


def test_a_missing_placeholder_value_is_an_error():
    with pytest.raises(ReportError, match="needs a value for min_cell_size"):
        t("notes.suppression", "en")


def test_an_unknown_key_suggests_the_closest():
    with pytest.raises(
        ReportError, match=r"no fixed text 'html.contens'.*did you mean 'html.contents'"
    ):
        t("html.contens", "en")


def test_an_unknown_language_is_a_params_error():
    with pytest.raises(
        ParamsError, match="no report text for language 'fr'; choose one of: en, sq"
    ):
        t("html.contents", "fr")
