"""The use cases of 考核助手, with no Telegram in them: what a liaison, an official and the
assessment office can do (upload and withdraw materials, review and lock results, appeals,
social evaluation, deadlines and reminders, questions on the regulations, exports), built on
``parsers`` (reading files), ``scoring`` (rules) and ``storage`` (data). ``bot`` turns chat
updates into calls of these and their results into replies.
"""
