"""CloudTrail: who actually assumed which role, from LookupEvents (the last N days, at most 90).

Each event's CloudTrailEvent (a JSON string) is parsed into a record, so the files look like the ones CloudTrail
delivers: {"Records": [...]}, written as cloudtrail/<account>-<region>.json. LookupEvents accepts one event name
per call, so the three assume events are three listings per region. STS events land in the region of the STS
endpoint that was called (the global endpoint logs in us-east-1).
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from explorer.collect.aws import paginate

ASSUME_EVENT_NAMES = ("AssumeRole", "AssumeRoleWithSAML", "AssumeRoleWithWebIdentity")
MAX_DAYS = 90  # LookupEvents keeps 90 days of management events


def lookup_assume_events(client, days: int, *, cancel=None, now: datetime | None = None) -> dict:
    """{"Records": [...]} of the assume events of the last `days` days, oldest first."""
    end = now or datetime.now(timezone.utc)
    start = end - timedelta(days=min(days, MAX_DAYS))
    records: list[dict] = []
    seen: set[str] = set()
    for name in ASSUME_EVENT_NAMES:
        listed = paginate(client, "lookup_events", cancel=cancel,
                          LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": name}],
                          StartTime=start, EndTime=end)
        for event in listed.get("Events", []):
            record = to_record(event)
            key = record.get("eventID") or event.get("EventId")
            if key and key in seen:
                continue
            if key:
                seen.add(key)
            records.append(record)
    records.sort(key=lambda r: str(r.get("eventTime", "")))
    return {"Records": records}


def to_record(event: dict) -> dict:
    """A LookupEvents event as a CloudTrail record: the parsed CloudTrailEvent, else what the summary holds."""
    raw = event.get("CloudTrailEvent")
    if isinstance(raw, str):
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            return parsed
    when = event.get("EventTime")
    return {
        "eventID": event.get("EventId"),
        "eventName": event.get("EventName"),
        "eventSource": event.get("EventSource"),
        "eventTime": when.isoformat() if isinstance(when, datetime) else when,
        "userIdentity": {"userName": event["Username"]} if event.get("Username") else {},
        "resources": [{"ARN": r.get("ResourceName"), "type": r.get("ResourceType")}
                      for r in event.get("Resources", [])],
    }


def file_name(account_id: str, region: str) -> str:
    return f"{account_id}-{region}.json"
