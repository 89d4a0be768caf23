"""An alert's message in the UI's language.

The rules below the UI write their messages in English, and that text is what is stored, exported
and pushed. The views show it through ``localized_message``: each rule's template is recognised by
a regex and re-rendered from its translated pattern; a text no template matches is shown as stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, QT_TRANSLATE_NOOP

_NUM = r"[-+]?[\d,]+(?:\.\d+)?"
_WINDOW = rf"in the (?P<span>{_NUM}) (?P<unit>min|s) to (?P<time>\d\d:\d\d:\d\d)"
_BASIS_PAIR = rf"\(futures (?P<futures>{_NUM}) vs VN30 (?P<spot>{_NUM})\)"

# the words a template captures that need translating too
_WORDS = (
    QT_TRANSLATE_NOOP("AlertText", "ceiling"),
    QT_TRANSLATE_NOOP("AlertText", "floor"),
    QT_TRANSLATE_NOOP("AlertText", "active buy"),
    QT_TRANSLATE_NOOP("AlertText", "active sell"),
    QT_TRANSLATE_NOOP("AlertText", "unclassified"),
    QT_TRANSLATE_NOOP("AlertText", "put-through"),
    QT_TRANSLATE_NOOP("AlertText", "net bought"),
    QT_TRANSLATE_NOOP("AlertText", "net sold"),
    QT_TRANSLATE_NOOP("AlertText", "min"),
    QT_TRANSLATE_NOOP("AlertText", "s"),
    QT_TRANSLATE_NOOP("AlertText", "premium"),
    QT_TRANSLATE_NOOP("AlertText", "discount"),
    QT_TRANSLATE_NOOP("AlertText", "active buying"),
    QT_TRANSLATE_NOOP("AlertText", "active selling"),
)
_TRANSLATED_GROUPS = frozenset({"limit", "kind", "verb", "unit", "side"})


@dataclass(frozen=True)
class _Template:
    """One rule's English message (a regex) and its pattern for the translation."""

    english: re.Pattern[str]
    pattern: str  # the English pattern with {placeholders}: the catalogue's source text


_TEMPLATES: tuple[_Template, ...] = (
    _Template(re.compile(rf"hit (?P<limit>ceiling|floor) (?P<price>{_NUM})(?P<change> \({_NUM}%\))?"),
              QT_TRANSLATE_NOOP("AlertText", "hit {limit} {price}{change}")),
    _Template(re.compile(rf"block trade (?P<volume>{_NUM}) shares at (?P<price>{_NUM}) = (?P<value>{_NUM}) bn VND"
                         r" \((?P<kind>active buy|active sell|unclassified|put-through)\)"),
              QT_TRANSLATE_NOOP("AlertText", "block trade {volume} shares at {price} = {value} bn VND ({kind})")),
    _Template(re.compile(rf"foreign (?P<verb>net bought|net sold) (?P<volume>{_NUM}) shares {_WINDOW}"),
              QT_TRANSLATE_NOOP("AlertText", "foreign {verb} {volume} shares in the {span} {unit} to {time}")),
    _Template(re.compile(rf"basis flipped to (?P<side>premium|discount) (?P<basis>{_NUM}) points {_BASIS_PAIR}"),
              QT_TRANSLATE_NOOP("AlertText",
                                "basis flipped to {side} {basis} points (futures {futures} vs VN30 {spot})")),
    _Template(re.compile(rf"basis (?P<basis>{_NUM}) points \((?P<side>premium|discount)\) {_BASIS_PAIR}"),
              QT_TRANSLATE_NOOP("AlertText", "basis {basis} points ({side}) (futures {futures} vs VN30 {spot})")),
    _Template(re.compile(rf"(?P<side>active buying|active selling) (?P<share>\d+)% of (?P<volume>{_NUM})"
                         rf" classified shares {_WINDOW}"),
              QT_TRANSLATE_NOOP("AlertText",
                                "{side} {share}% of {volume} classified shares in the {span} {unit} to {time}")),
    _Template(re.compile(rf"(?P<symbol>\S+) at (?P<price>{_NUM}) ≥ (?P<level>{_NUM}) \(your alert\)"),
              QT_TRANSLATE_NOOP("AlertText", "{symbol} at {price} ≥ {level} (your alert)")),
    _Template(re.compile(rf"(?P<symbol>\S+) at (?P<price>{_NUM}) ≤ (?P<level>{_NUM}) \(your alert\)"),
              QT_TRANSLATE_NOOP("AlertText", "{symbol} at {price} ≤ {level} (your alert)")),
    _Template(re.compile(rf"(?P<symbol>\S+) at (?P<price>{_NUM}): (?P<change>{_NUM}) % from the reference"
                         rf" (?P<ref>{_NUM}) \(your alert: (?P<level>{_NUM}) %\)"),
              QT_TRANSLATE_NOOP("AlertText",
                                "{symbol} at {price}: {change} % from the reference {ref} (your alert: {level} %)")),
    _Template(re.compile(rf"(?P<symbol>\S+) print of (?P<volume>{_NUM}) @ (?P<price>{_NUM}) = (?P<value>{_NUM})"
                         rf" VND ≥ (?P<level>{_NUM}) \(your alert\)"),
              QT_TRANSLATE_NOOP("AlertText",
                                "{symbol} print of {volume} @ {price} = {value} VND ≥ {level} (your alert)")),
    _Template(re.compile(rf"(?P<symbol>\S+) volume spike: (?P<volume>{_NUM}) shares in the (?P<clock>[\d:]*) minute,"
                         rf" (?P<ratio>{_NUM})x the day's average minute \(your alert: (?P<level>{_NUM})x\)"),
              QT_TRANSLATE_NOOP("AlertText", "{symbol} volume spike: {volume} shares in the {clock} minute, "
                                             "{ratio}x the day's average minute (your alert: {level}x)")),
)


def localized_message(alert_type: str, message: str) -> str:
    """``message`` in the installed language; the stored English when no template matches it.

    ``alert_type`` is part of the call so a view passes what it has; the templates are told apart
    by their text alone, which is what the rules guarantee.
    """
    for template in _TEMPLATES:
        match = template.english.fullmatch(message)
        if match is None:
            continue
        fields = {name: (value or "") for name, value in match.groupdict().items()}
        for name in _TRANSLATED_GROUPS & fields.keys():
            if fields[name]:
                fields[name] = QCoreApplication.translate("AlertText", fields[name])
        return QCoreApplication.translate("AlertText", template.pattern).format(**fields)
    return message
