"""The demo world: realistic raw exports of all six questionnaires, written deterministically.

``write_demo_world(out, scale, seed)`` (the ``workbench demo-data`` command) writes what the
field would send to the evaluation team. Each file is in the format its source really uses:

========================================  =====  ==========================================
file                                       form   format
========================================  =====  ==========================================
``sampling_frame.csv``                     A      frame of schools, probabilities, weights
``youth_survey_baseline.csv``              A      KoboToolbox CSV (``;``, all quoted, ``/``)
``youth_survey_endline.sav``               A      SPSS file from the survey firm
``training_attendance.xlsx``               C      KoboToolbox XLSX
``training_knowledge_test.xlsx``           B      KoboToolbox XLSX
``kvsp_capacity_scorecard.xlsx``           D      KoboToolbox XLSX
``dv_referral_case.csv``                   E      ODK Central CSV (``,``, ``-``, trailer)
``street_situation_contact.csv``           F      KoboToolbox CSV re-saved in Windows-1250
``truth.json``                             —      effects, design, faults, personal values
========================================  =====  ==========================================

The modules, one idea each:

- ``streams``: random streams per part of the world, sizes, identifiers;
- ``clock``: timestamps as devices and servers write them, weekdays, local clock times;
- ``draws``: weighted choices and ``select_multiple`` answers;
- ``forms``: the fields and choices of the XLSForms the exports are laid out from;
- ``exports``: the four file formats and the record of each file written;
- ``submissions`` and ``faults``: rows being assembled (and put in KoboToolbox's export
  order), planted faults and their log;
- ``output``: what every file writer shares (folder, seed, fault log, personal values);
- ``places`` and ``people``: units, schools, hotspots, institutions, names and free text;
- ``frame``: the school frame and the two-stage sample with its weights;
- ``students``, ``youth`` and ``youth_waves``: the cohort, the item model with the
  programme's true effects, and both waves; ``youth_files`` writes them;
- ``training``, ``capacity``, ``cases`` and ``street``: the other four instruments;
- ``world``: ``write_demo_world`` and ``truth.json``.
"""

from evaluation.synth.world import DEFAULT_SEED, DemoWorld, write_demo_world

__all__ = ["DEFAULT_SEED", "DemoWorld", "write_demo_world"]
