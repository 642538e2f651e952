"""The load report: every warning, error and skipped item met while loading, with the file and JSON path."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

ERROR = "error"      # something was skipped
WARNING = "warning"  # loaded, but the analyst should know (assumed defaults, missing referenced policy, ...)
INFO = "info"


@dataclass
class LoadIssue:
    severity: str
    file: str
    where: str  # JSON path such as "$.RoleDetailList[3].AssumeRolePolicyDocument", or "" for the whole file
    message: str
    skipped: str = ""  # what was left out because of it ("role arn:...", "file", ...), empty when nothing

    def __str__(self) -> str:
        loc = self.file + (f" at {self.where}" if self.where else "")
        text = f"{self.severity}: {loc}: {self.message}"
        if self.skipped:
            text += f" (skipped: {self.skipped})"
        return text

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class LoadReport:
    issues: list[LoadIssue] = field(default_factory=list)
    files_read: int = 0

    def add(self, severity: str, file: str, where: str, message: str, skipped: str = "") -> LoadIssue:
        issue = LoadIssue(severity, file, where, message, skipped)
        self.issues.append(issue)
        return issue

    def error(self, file: str, where: str, message: str, skipped: str = "") -> LoadIssue:
        return self.add(ERROR, file, where, message, skipped)

    def warning(self, file: str, where: str, message: str, skipped: str = "") -> LoadIssue:
        return self.add(WARNING, file, where, message, skipped)

    def info(self, file: str, where: str, message: str) -> LoadIssue:
        return self.add(INFO, file, where, message)

    @property
    def errors(self) -> list[LoadIssue]:
        return [i for i in self.issues if i.severity == ERROR]

    @property
    def warnings(self) -> list[LoadIssue]:
        return [i for i in self.issues if i.severity == WARNING]

    @property
    def skipped(self) -> list[LoadIssue]:
        return [i for i in self.issues if i.skipped]

    def to_json(self) -> dict:
        return {"files_read": self.files_read, "issues": [i.to_json() for i in self.issues]}
