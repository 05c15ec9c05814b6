"""A checker of the cron expressions a CronWorkflow's ``schedules`` accepts (no dependency).

Argo parses schedules with robfig/cron's standard parser: five fields (minute hour day-of-month month
day-of-week) or a ``@daily``-style descriptor, ``@every <Go duration>`` included. Argo 4 rejects a
sixth (seconds) field, so athena does for every line: a schedule must mean the same on all of them.
Each field is a comma list of ``*``, ``?`` (day fields), ``N``, ``N-M``, each with an optional ``/step``;
months and weekdays also take names (``JAN``, ``mon``).
"""

from __future__ import annotations

__all__ = ["MACROS", "cron_problem"]

MACROS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")

_MONTHS = {m: i + 1 for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"))}
_DAYS = {d: i for i, d in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}

# (field name, low, high, names, `?` allowed)
_FIELDS: tuple[tuple[str, int, int, dict[str, int], bool], ...] = (
    ("minute", 0, 59, {}, False),
    ("hour", 0, 23, {}, False),
    ("day of month", 1, 31, {}, True),
    ("month", 1, 12, _MONTHS, False),
    ("day of week", 0, 6, _DAYS, True),
)


def cron_problem(text: str) -> str | None:
    """Why ``text`` is not a schedule Argo accepts on every supported line, or None when it is."""
    spec = text.strip()
    if not spec:
        return "a schedule is empty"
    if spec.upper().startswith(("TZ=", "CRON_TZ=")):
        return f"{text!r} sets its time zone inline; use the `timezone=` argument instead"
    if spec.startswith("@"):
        return _descriptor(spec)
    fields = spec.split()
    if len(fields) == 6:
        return (f"{text!r} has 6 fields; Argo 4 rejects a seconds field: write 5 fields "
                "(minute hour day-of-month month day-of-week)")
    if len(fields) != 5:
        return f"{text!r} has {len(fields)} field(s); a schedule has 5 (minute hour day-of-month month day-of-week)"
    for value, (what, low, high, names, question) in zip(fields, _FIELDS, strict=True):
        problem = _field(value, what, low, high, names, question)
        if problem:
            return f"{text!r}: {problem}"
    return None


def _descriptor(spec: str) -> str | None:
    if spec.lower() in MACROS:
        return None
    word, _, rest = spec.partition(" ")
    if word.lower() == "@every":
        from athena.durations import parse_go_duration

        try:
            seconds = parse_go_duration(rest.strip())
        except (ValueError, TypeError):
            seconds = None
        if seconds is None or seconds <= 0:
            return f"{spec!r}: `@every` needs a positive Go duration such as '1h30m'"
        return None
    return f"{spec!r} is not a known descriptor (known: {', '.join(MACROS)}, @every <duration>)"


def _number(word: str, what: str, low: int, high: int, names: dict[str, int]) -> int | str:
    """The number ``word`` stands for, or the problem with it (a str)."""
    value = names.get(word.lower())
    if value is None:
        if not word.isascii() or not word.isdigit():
            known = f" or a name ({', '.join(n.upper() for n in names)})" if names else ""
            return f"{what} {word!r} is not a number{known}"
        value = int(word)
    if not low <= value <= high:
        return f"{what} {value} is out of range {low}-{high}"
    return value


def _field(value: str, what: str, low: int, high: int, names: dict[str, int], question: bool) -> str | None:
    for item in value.split(","):
        base, slash, step = item.partition("/")
        if slash and (not step.isascii() or not step.isdigit() or int(step) < 1):
            return f"{what} step {step!r} must be a whole number ≥ 1"
        if base == "*" or (question and base == "?"):
            continue
        if not base:
            return f"{what} has an empty item in {value!r}"
        first, dash, last = base.partition("-")
        start = _number(first, what, low, high, names)
        if isinstance(start, str):
            return start
        if dash:
            end = _number(last, what, low, high, names)
            if isinstance(end, str):
                return end
            if end < start:
                return f"{what} range {base!r} runs backwards"
    return None
