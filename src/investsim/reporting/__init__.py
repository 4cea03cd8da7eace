"""Reports of results folders: charts, the HTML report and the Excel workbook. Reads
folders only.

:mod:`.report` is the entry point (:func:`~.report.write_report`, :func:`~.report.detect_kind`);
it hands each kind of folder to its builder (:mod:`.run_report`, :mod:`.compare_report`,
:mod:`.sweep_report`, :mod:`.sensitivity_report`, :mod:`.calibrate_report`), which read the folder and build the page
(:mod:`.html`, :mod:`.assumptions`), the charts (:mod:`.charts`) and, for a forecast, the
workbook (:mod:`.workbook`, :mod:`.columns`). The wording in English and Chinese is data
(``wording.toml``, read by :mod:`.wording`) used through :class:`.labels.Labels`, which
falls back to English without a CJK font (:mod:`.fonts`).
"""
