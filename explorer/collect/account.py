"""Collecting one account: every source of the account, written into accounts/<id>/ (and cloudtrail/).

authorization-details.json is required: when it cannot be read the account fails (one gap, status "failed").
Every other source that fails is a gap; the account is still complete. A source this run could not read again
is removed from the folder, so an earlier run's file never mixes with this run's.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from botocore.exceptions import BotoCoreError, ClientError

from explorer.collect import cloudtrail as trail
from explorer.collect import iam
from explorer.collect.aws import error_words
from explorer.collect.resource_policies import get_resource_policies
from explorer.collect.writer import (AUTHORIZATION_DETAILS, CLOUDTRAIL_DIR, IDENTITY_PROVIDERS, RESOURCE_POLICIES,
                                     ROLES, SnapshotWriter)

AWS_ERRORS = (ClientError, BotoCoreError)


class AccountFailed(Exception):
    """The account's required data could not be read (the gap is already recorded)."""


@dataclass
class AccountJob:
    account_id: str
    session: object            # boto3.Session in the account
    factory: object            # sessions.ClientFactory
    writer: SnapshotWriter
    regions: list[str]
    partition: str = "aws"
    cloudtrail_days: int = 0
    resource_policies: bool = True
    gap_hook: object = None    # callable(gap dict) for progress
    gaps: list[dict] = field(default_factory=list)

    def client(self, service: str, region: str | None = None):
        return self.factory.client(self.session, service, region or self.regions[0])

    def gap(self, what: str, exc: BaseException | str) -> None:
        words = exc if isinstance(exc, str) else error_words(exc)
        entry = self.writer.add_gap(self.account_id, what, words)
        self.gaps.append(entry)
        if self.gap_hook is not None:
            self.gap_hook(entry)


def collect_account(job: AccountJob) -> dict:
    """Collect the account; returns the manifest entry fields it learned (alias, files)."""
    cancel = job.factory.cancel
    acct = job.account_id
    writer = job.writer
    files: list[str] = []
    iam_client = job.client("iam")

    try:
        details = iam.get_authorization_details(iam_client, cancel=cancel)
    except AWS_ERRORS as exc:
        job.gap("iam:GetAccountAuthorizationDetails", exc)
        raise AccountFailed(error_words(exc)) from None
    files.append(writer.write_account_file(acct, AUTHORIZATION_DETAILS, details))

    alias = ""
    try:
        alias = iam.get_account_alias(iam_client, cancel=cancel)
    except AWS_ERRORS as exc:
        job.gap("iam:ListAccountAliases", exc)

    def optional(name: str, what: str, get):
        try:
            data = get()
        except AWS_ERRORS as exc:
            job.gap(what, exc)
            writer.remove_account_file(acct, name)
            return
        files.append(writer.write_account_file(acct, name, data))

    optional(ROLES, "iam:ListRoles", lambda: iam.get_roles(iam_client, cancel=cancel))
    optional(IDENTITY_PROVIDERS, "iam identity providers",
             lambda: iam.get_identity_providers(iam_client, cancel=cancel, gap=job.gap))
    if job.resource_policies:
        optional(RESOURCE_POLICIES, "resource policies",
                 lambda: get_resource_policies(job.client, job.regions, partition=job.partition, cancel=cancel,
                                               gap=job.gap))
    if job.cloudtrail_days > 0:
        for region in job.regions:
            rel = f"{CLOUDTRAIL_DIR}/{trail.file_name(acct, region)}"
            try:
                records = trail.lookup_assume_events(job.client("cloudtrail", region), job.cloudtrail_days,
                                                     cancel=cancel)
            except AWS_ERRORS as exc:
                job.gap(f"cloudtrail:LookupEvents in {region}", exc)
                continue
            writer.write_json(rel, records, indent=None)
            files.append(rel)
    return {"alias": alias, "files": files}
