"""Fixed text of the report e-mails in English and Albanian.

Report titles come from the reports' own texts (``evaluation/report/i18n``); these are the
few words the e-mail adds around them. Failure reports to the administrator are in English.
"""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "summary": "Summary",
        "attention": "Needs attention",
        "attached": "Attached",
        "too_large": (
            "The files are larger than {limit}, the most this e-mail may carry; open them here:"
        ),
        "where": "Where to find the files",
        "no_summary": "The report wrote no summary; the findings are in the attached report.",
        "period": "Period: {period}",
        "all_data": "all data collected so far",
        "finished": "Report produced on {when}",
        "sources": "Data files read: {count}",
        "footer": (
            "Sent automatically by the evaluation workbench (job {job}, run {run_id}). "
            "Questions: {contact}."
        ),
        "footer_no_contact": (
            "Sent automatically by the evaluation workbench (job {job}, run {run_id})."
        ),
    },
    "sq": {
        "summary": "Përmbledhje",
        "attention": "Kërkon vëmendje",
        "attached": "Bashkëngjitur",
        "too_large": (
            "Skedarët janë më të mëdhenj se {limit}, sa mund të mbajë ky email; hapini këtu:"
        ),
        "where": "Ku gjenden skedarët",
        "no_summary": ("Raporti nuk shkroi përmbledhje; gjetjet janë te raporti i bashkëngjitur."),
        "period": "Periudha: {period}",
        "all_data": "të gjitha të dhënat e mbledhura deri tani",
        "finished": "Raporti u përgatit më {when}",
        "sources": "Skedarë të dhënash të lexuar: {count}",
        "footer": (
            "Dërguar automatikisht nga platforma e vlerësimit (detyra {job}, "
            "ekzekutimi {run_id}). Pyetje: {contact}."
        ),
        "footer_no_contact": (
            "Dërguar automatikisht nga platforma e vlerësimit (detyra {job}, ekzekutimi {run_id})."
        ),
    },
}


def text(key: str, language: str, **fields: object) -> str:
    """The e-mail text ``key`` in ``language`` with ``{fields}`` filled.

    Raises
    ------
    KeyError
        If the key or language does not exist (a bug: the tests check both languages).
    """
    template = TEXTS[language][key]
    return template.format(**fields) if fields else template
