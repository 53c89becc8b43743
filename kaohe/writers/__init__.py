"""Files the office receives: the Word report (``report``), the workbook (``workbook``) and
the charts (``charts``). Writers only: reading uploaded files is ``parsers``' job."""
