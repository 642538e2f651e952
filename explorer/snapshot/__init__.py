"""The snapshot: the typed model of an AWS estate, its loader and the load report."""
from explorer.errors import SnapshotError
from explorer.snapshot.loader import LoadCancelled, load_snapshot
from explorer.snapshot.model import Snapshot
from explorer.snapshot.report import LoadIssue, LoadReport

__all__ = ["load_snapshot", "Snapshot", "LoadReport", "LoadIssue", "SnapshotError", "LoadCancelled"]
