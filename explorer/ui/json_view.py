"""Read-only JSON text with syntax highlighting (QSyntaxHighlighter): keys, strings, numbers, literals."""
from __future__ import annotations

import json
import re

from PySide6 import QtGui, QtWidgets

_RULES = [
    (re.compile(r'"(?:[^"\\]|\\.)*"(?=\s*:)'), "key"),
    (re.compile(r'(?<=:\s)"(?:[^"\\]|\\.)*"|(?<=\[)"(?:[^"\\]|\\.)*"|(?<=,\s)"(?:[^"\\]|\\.)*"|^\s*"(?:[^"\\]|\\.)*"(?=,?$)'),
     "string"),
    (re.compile(r"\b-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?\b"), "number"),
    (re.compile(r"\b(?:true|false|null)\b"), "literal"),
    (re.compile(r'"(?:Allow|Deny)"'), "effect"),
]
COLORS = {
    "light": {"key": "#1d4ed8", "string": "#047857", "number": "#b45309", "literal": "#7c3aed", "effect": "#be123c"},
    "dark": {"key": "#7cb7ff", "string": "#7ee0a6", "number": "#f5b971", "literal": "#c4a7ff", "effect": "#ff8fa3"},
}


class JsonHighlighter(QtGui.QSyntaxHighlighter):
    def __init__(self, document, theme: str = "light"):
        super().__init__(document)
        self.set_theme(theme)

    def set_theme(self, theme: str) -> None:
        self.formats = {}
        for name, color in COLORS.get(theme, COLORS["light"]).items():
            f = QtGui.QTextCharFormat()
            f.setForeground(QtGui.QColor(color))
            if name in ("key", "effect"):
                f.setFontWeight(QtGui.QFont.Weight.Bold)
            self.formats[name] = f
        self.rehighlight()

    def highlightBlock(self, text: str) -> None:
        for rx, name in _RULES:
            for m in rx.finditer(text):
                self.setFormat(m.start(), m.end() - m.start(), self.formats[name])


class JsonView(QtWidgets.QPlainTextEdit):
    def __init__(self, parent=None, theme: str = "light"):
        super().__init__(parent)
        self.setReadOnly(True)
        font = QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.FixedFont)
        self.setFont(font)
        self.setLineWrapMode(QtWidgets.QPlainTextEdit.LineWrapMode.NoWrap)
        self.highlighter = JsonHighlighter(self.document(), theme)

    def set_json(self, obj) -> None:
        if obj is None:
            self.setPlainText("(none)")
        else:
            self.setPlainText(json.dumps(obj, indent=2, sort_keys=False, default=str))
