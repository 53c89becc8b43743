"""Files the office receives: the Word report (``report``), the workbook (``workbook``) and
the charts (``charts``). Writers only: reading uploaded files is ``parsers``' job."""


class MissingCJKFont(RuntimeError):
    """No font that can draw Chinese is installed (raised by ``charts``; defined here so
    that catching it does not import matplotlib)."""
