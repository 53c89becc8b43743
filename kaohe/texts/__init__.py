"""The Chinese replies (HTML for Telegram's parse mode): pure formatting functions of the use
cases' results. ``base``: shared helpers (times, points, message splitting, the command
list); ``status``: receipts, /status, /overview; ``score``: /score and the office's review;
``notice``: deadline notices and reminders; ``office``: the office's cycle commands; ``qa``:
answers from the regulations."""
