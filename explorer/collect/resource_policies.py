"""Resource policies of one account: S3 buckets (with object ownership and public access block), customer
managed KMS keys, SQS queues, SNS topics, Secrets Manager secrets and Lambda functions.

Output (resource-policies.json): {"ResourcePolicies": [{"Arn", "Policy", ...extra}]}, extra fields:
  S3:     "ObjectOwnership" (BucketOwnerEnforced | BucketOwnerPreferred | ObjectWriter; ObjectWriter when the bucket
          has no ownership controls), "PublicAccessBlock" (the configuration, or null when none), "BucketRegion"
          when AWS reports it. Every bucket is listed, "Policy": null when it has no bucket policy.
  KMS:    "KeyState", "Region". Only customer managed keys (KeyManager CUSTOMER).
  others: "Region". Only resources that have a policy (an SNS topic always has one).
S3 bucket names are global: every bucket of the account is read, whatever the regions; the other services are
read in each chosen region. A service that cannot be listed in a region is one gap; resources whose policy
cannot be read are gaps too (summarised when many fail the same way).
"""
from __future__ import annotations

from collections import defaultdict

from botocore.exceptions import BotoCoreError, ClientError

from explorer.collect.aws import call, decode_policy, error_code, paginate

REGIONAL_SERVICES = ("kms", "sqs", "sns", "secretsmanager", "lambda")
MAX_GAPS_PER_KIND = 5  # more failures of one call with one error code are summarised in one gap


class _ResourceGaps:
    """Per-resource failures, grouped by (call, region, error code)."""

    def __init__(self, gap):
        self.gap = gap
        self.failures: dict[tuple[str, str, str], list[tuple[str, BaseException]]] = defaultdict(list)

    def add(self, action: str, region: str, arn: str, exc: BaseException) -> None:
        self.failures[(action, region, error_code(exc) or type(exc).__name__)].append((arn, exc))

    def flush(self) -> None:
        if self.gap is None:
            return
        for (action, region, _code), items in self.failures.items():
            if len(items) <= MAX_GAPS_PER_KIND:
                for arn, exc in items:
                    self.gap(f"{action} {arn}", exc)
            else:
                shown = ", ".join(arn for arn, _ in items[:3])
                self.gap(f"{action} in {region or 'all regions'}: {len(items)} resources ({shown}, ...)",
                         items[0][1])
        self.failures.clear()


def get_resource_policies(factory_client, regions: list[str], *, partition: str = "aws", cancel=None,
                          gap=None, services: tuple[str, ...] = ("s3",) + REGIONAL_SERVICES) -> dict:
    """All resource policies of the account. `factory_client(service, region)` returns a collector client."""
    entries: list[dict] = []
    failures = _ResourceGaps(gap)

    def service_gap(what, exc):
        if gap is not None:
            gap(what, exc)

    if "s3" in services:
        try:
            entries.extend(_s3(factory_client, regions[0], partition, cancel, failures))
        except (ClientError, BotoCoreError) as exc:
            service_gap("s3 buckets", exc)
    readers = {"kms": _kms, "sqs": _sqs, "sns": _sns, "secretsmanager": _secrets, "lambda": _lambda}
    for region in regions:
        for service in REGIONAL_SERVICES:
            if service not in services:
                continue
            try:
                client = factory_client(service, region)
                entries.extend(readers[service](client, region, cancel, failures))
            except (ClientError, BotoCoreError) as exc:
                service_gap(f"{service} in {region}", exc)
    failures.flush()
    return {"ResourcePolicies": entries}


def _s3(factory_client, home_region, partition, cancel, failures) -> list[dict]:
    home = factory_client("s3", home_region)
    clients = {home_region: home}
    buckets = paginate(home, "list_buckets", cancel=cancel).get("Buckets", [])
    out = []
    for bucket in buckets:
        name = bucket["Name"]
        arn = f"arn:{partition}:s3:::{name}"
        region = bucket.get("BucketRegion") or _bucket_location(home, name, cancel, failures, arn)
        client = home
        if region:
            client = clients.get(region) or clients.setdefault(region, factory_client("s3", region))
        entry = {"Arn": arn, "Policy": None}
        try:
            entry["Policy"] = decode_policy(call(client, "get_bucket_policy", cancel=cancel, Bucket=name)["Policy"])
        except ClientError as exc:
            if error_code(exc) != "NoSuchBucketPolicy":
                failures.add("s3:GetBucketPolicy", region or "", arn, exc)
                continue  # a bucket whose policy is unknown is not written as "no policy"
        try:
            rules = call(client, "get_bucket_ownership_controls", cancel=cancel, Bucket=name) \
                .get("OwnershipControls", {}).get("Rules", [])
            entry["ObjectOwnership"] = rules[0].get("ObjectOwnership", "ObjectWriter") if rules else "ObjectWriter"
        except ClientError as exc:
            if error_code(exc) == "OwnershipControlsNotFoundError":
                entry["ObjectOwnership"] = "ObjectWriter"
            else:
                failures.add("s3:GetBucketOwnershipControls", region or "", arn, exc)
        try:
            entry["PublicAccessBlock"] = call(client, "get_public_access_block", cancel=cancel, Bucket=name) \
                .get("PublicAccessBlockConfiguration")
        except ClientError as exc:
            if error_code(exc) == "NoSuchPublicAccessBlockConfiguration":
                entry["PublicAccessBlock"] = None
            else:
                failures.add("s3:GetBucketPublicAccessBlock", region or "", arn, exc)
        if region:
            entry["BucketRegion"] = region
        out.append(entry)
    return out


def _bucket_location(client, name: str, cancel, failures, arn: str) -> str | None:
    """The bucket's region when ListBuckets did not say: each bucket is then read in its own region, so botocore
    never has to find the region itself (its redirect logic would send s3:HeadBucket, outside the allow-list)."""
    try:
        location = call(client, "get_bucket_location", cancel=cancel, Bucket=name).get("LocationConstraint")
    except ClientError as exc:
        failures.add("s3:GetBucketLocation", "", arn, exc)
        return None
    return {None: "us-east-1", "": "us-east-1", "EU": "eu-west-1"}.get(location, location)


def _kms(client, region, cancel, failures) -> list[dict]:
    out = []
    for key in paginate(client, "list_keys", cancel=cancel).get("Keys", []):
        key_id = key["KeyId"]
        arn = key.get("KeyArn") or key_id
        try:
            meta = call(client, "describe_key", cancel=cancel, KeyId=key_id)["KeyMetadata"]
        except ClientError as exc:
            failures.add("kms:DescribeKey", region, arn, exc)
            continue
        if meta.get("KeyManager") != "CUSTOMER":
            continue
        arn = meta.get("Arn", arn)
        try:
            policy = call(client, "get_key_policy", cancel=cancel, KeyId=key_id, PolicyName="default").get("Policy")
        except ClientError as exc:
            failures.add("kms:GetKeyPolicy", region, arn, exc)
            continue
        out.append({"Arn": arn, "Policy": decode_policy(policy), "KeyState": meta.get("KeyState"), "Region": region})
    return out


def _sqs(client, region, cancel, failures) -> list[dict]:
    out = []
    # Without MaxResults SQS returns at most 1000 queues and no NextToken: ask for pages.
    for url in paginate(client, "list_queues", cancel=cancel, PaginationConfig={"PageSize": 1000}).get("QueueUrls", []):
        try:
            attrs = call(client, "get_queue_attributes", cancel=cancel, QueueUrl=url,
                         AttributeNames=["QueueArn", "Policy"]).get("Attributes", {})
        except ClientError as exc:
            failures.add("sqs:GetQueueAttributes", region, url, exc)
            continue
        if attrs.get("Policy"):
            out.append({"Arn": attrs.get("QueueArn", url), "Policy": decode_policy(attrs["Policy"]), "Region": region})
    return out


def _sns(client, region, cancel, failures) -> list[dict]:
    out = []
    for topic in paginate(client, "list_topics", cancel=cancel).get("Topics", []):
        arn = topic["TopicArn"]
        try:
            attrs = call(client, "get_topic_attributes", cancel=cancel, TopicArn=arn).get("Attributes", {})
        except ClientError as exc:
            failures.add("sns:GetTopicAttributes", region, arn, exc)
            continue
        if attrs.get("Policy"):
            out.append({"Arn": arn, "Policy": decode_policy(attrs["Policy"]), "Region": region})
    return out


def _secrets(client, region, cancel, failures) -> list[dict]:
    out = []
    for secret in paginate(client, "list_secrets", cancel=cancel).get("SecretList", []):
        arn = secret["ARN"]
        try:
            policy = call(client, "get_resource_policy", cancel=cancel, SecretId=arn).get("ResourcePolicy")
        except ClientError as exc:
            failures.add("secretsmanager:GetResourcePolicy", region, arn, exc)
            continue
        if policy:
            out.append({"Arn": arn, "Policy": decode_policy(policy), "Region": region})
    return out


def _lambda(client, region, cancel, failures) -> list[dict]:
    out = []
    for function in paginate(client, "list_functions", cancel=cancel).get("Functions", []):
        arn = function["FunctionArn"]
        try:
            policy = call(client, "get_policy", cancel=cancel, FunctionName=arn).get("Policy")
        except ClientError as exc:
            if error_code(exc) != "ResourceNotFoundException":  # no policy
                failures.add("lambda:GetPolicy", region, arn, exc)
            continue
        if policy:
            out.append({"Arn": arn, "Policy": decode_policy(policy), "Region": region})
    return out

