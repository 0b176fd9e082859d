"""The AWS driver against a real moto server (a separate process speaking the AWS APIs over HTTP)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import boto3
import pytest
from botocore.exceptions import ClientError
from moto_server import free_port, moto, moto_url, start_moto, stop_moto  # noqa: F401  (pytest fixtures)

from cloudfold.drivers import registry
from cloudfold.drivers.aws.driver import AwsDriver
from cloudfold.drivers.aws.errors import translate, translated
from cloudfold.drivers.base import (
    AccountSpec,
    Conflict,
    Discovered,
    DriverError,
    DriverUnavailable,
    InvalidCredentials,
    InvalidRequest,
    NotFound,
    QuotaExceeded,
    UpstreamError,
)

CREDS = {"access_key": "AKIAIOSFODNN7EXAMPLE", "secret_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}


# -- helpers -----------------------------------------------------------------------
def spec(url: str | None, region: str | None = "us-east-1", credentials=None, **config) -> AccountSpec:
    if url is not None:
        config["endpoint_url"] = url
    return AccountSpec(id="acc-1", provider_type="aws", region=region,
                       credentials=CREDS if credentials is None else credentials, config=config)


@pytest.fixture
def make_driver() -> Iterator:
    made: list[AwsDriver] = []

    def build(url: str | None, **kwargs) -> AwsDriver:
        driver = AwsDriver(spec(url, **kwargs))
        made.append(driver)
        return driver

    yield build
    for d in made:
        d.close()


@pytest.fixture
def aws(moto):  # noqa: F811
    """boto3 clients on the (reset) moto server: aws("ec2", "eu-west-1")."""
    def client(service: str, region: str = "us-east-1"):
        return boto3.client(service, region_name=region, endpoint_url=moto,
                            aws_access_key_id="test", aws_secret_access_key="test")
    return client


@pytest.fixture
def ami(aws) -> str:
    """One of moto's stock Amazon Linux images (a name filter is much faster than listing them all)."""
    images = aws("ec2").describe_images(Filters=[{"Name": "name", "Values": ["amzn2-ami-hvm-*"]}])["Images"]
    assert images, "moto ships Amazon Linux 2 images"
    return images[0]["ImageId"]


def run(aws, ami, count=1, region="us-east-1", name=None, **kwargs) -> list[str]:
    if name:
        kwargs["TagSpecifications"] = [{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": name}]}]
    response = aws("ec2", region).run_instances(ImageId=ami, MinCount=count, MaxCount=count, **kwargs)
    return [i["InstanceId"] for i in response["Instances"]]


def everything(driver: AwsDriver, kinds=None) -> dict[str, dict[str, Discovered]]:
    found: dict[str, dict[str, Discovered]] = {}
    for page in driver.pages(kinds):
        assert page, "pages are never empty"
        assert len({d.kind for d in page}) == 1, "a page holds one kind"
        for d in page:
            assert d.external_id not in found.setdefault(d.kind, {})
            found[d.kind][d.external_id] = d
    return found


# -- shapes ------------------------------------------------------------------------
def test_registry_loads_aws_driver():
    assert registry.driver_class("aws") is AwsDriver
    registry.validate("aws", CREDS, {})


@pytest.mark.parametrize("credentials", [
    {}, {"access_key": "AKIA"}, {"secret_key": "s"}, {"access_key": "", "secret_key": "s"},
    {"access_key": 1, "secret_key": "s"}, {"access_key": "a", "secret_key": ["s"]},
    {"access_key": "a", "secret_key": "s", "session_token": 5},
])
def test_bad_credentials_shape(credentials):
    with pytest.raises(InvalidCredentials):
        AwsDriver.validate(credentials, {})


@pytest.mark.parametrize("config", [
    {"endpoint_url": 5}, {"endpoint_url": "ftp://x"}, {"regions": "us-east-1"}, {"regions": []},
    {"regions": ["us-east-1", 3]}, {"timeout": 0}, {"timeout": "5"}, {"read_timeout": -1}, {"max_attempts": 0},
])
def test_bad_config_shape(config):
    with pytest.raises(InvalidCredentials):
        AwsDriver.validate(CREDS, config)


def test_good_shapes_pass():
    AwsDriver.validate(CREDS, {})
    AwsDriver.validate({**CREDS, "session_token": "tok"},
                       {"endpoint_url": "http://127.0.0.1:5000", "regions": ["us-east-1", "eu-west-1"], "timeout": 2})


def test_driver_with_bad_credentials_never_uses_host_credentials(make_driver, moto):  # noqa: F811
    driver = make_driver(moto, credentials={"access_key": "a"})
    with pytest.raises(DriverError, match="secret_key"):
        driver.ping()
    with pytest.raises(DriverError, match="secret_key"):
        list(driver.pages(("vm",)))
    for bad in (make_driver(moto, credentials="not-an-object"), make_driver(moto, regions="us-east-1", max_attempts="x")):
        with pytest.raises(DriverError, match="misconfigured"):
            bad.get("vm", "i-1")


# -- discovery ---------------------------------------------------------------------
def test_vm_metadata_like_seed_002(aws, ami, make_driver, moto):  # noqa: F811
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    sg = ec2.create_security_group(GroupName="web-server", Description="web", VpcId=vpc)["GroupId"]
    [web] = run(aws, ami, InstanceType="t3.medium", SubnetId=subnet, SecurityGroupIds=[sg],
                TagSpecifications=[{"ResourceType": "instance", "Tags": [
                    {"Key": "Name", "Value": "web-server-01"}, {"Key": "Environment", "Value": "production"}]}])
    [odd] = run(aws, ami, InstanceType="x9.weird")

    vms = everything(make_driver(moto), ("vm",))["vm"]
    assert set(vms) == {web, odd}
    vm = vms[web]
    assert (vm.kind, vm.name, vm.status, vm.region) == ("vm", "web-server-01", "running", "us-east-1")
    m = vm.metadata
    assert m["instance_type"] == "t3.medium"
    assert m["vpc_id"] == vpc and m["subnet_id"] == subnet
    assert m["security_groups"] == [sg]
    assert m["private_ip"].startswith("10.0.1.")
    assert "public_ip" in m
    assert m["launch_time"].endswith("Z")
    assert m["tags"] == {"Name": "web-server-01", "Environment": "production"} == vm.tags
    assert vm.cost_per_hour == 0.0416 == m["cost_per_hour"]
    assert vm.created_at is not None and vm.created_at.tzinfo is not None
    # no Name tag: the id; unknown type: no price
    assert vms[odd].name == odd
    assert vms[odd].cost_per_hour is None


def test_networks_subnets_volumes(aws, ami, make_driver, moto):  # noqa: F811
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16", TagSpecifications=[
        {"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "production-vpc"}]}])["Vpc"]["VpcId"]
    s1 = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    s2 = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.2.0/24", AvailabilityZone="us-east-1b")["Subnet"]["SubnetId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    [vm] = run(aws, ami, SubnetId=s1)
    free = ec2.create_volume(Size=20, AvailabilityZone="us-east-1a", VolumeType="gp3")["VolumeId"]
    used = ec2.create_volume(Size=8, AvailabilityZone="us-east-1a", VolumeType="gp2")["VolumeId"]
    ec2.attach_volume(VolumeId=used, InstanceId=vm, Device="/dev/sdf")

    found = everything(make_driver(moto), ("network", "subnet", "volume"))
    assert set(found) == {"network", "subnet", "volume"}

    net = found["network"][vpc]
    assert (net.name, net.status, net.region) == ("production-vpc", "active", "us-east-1")
    assert net.metadata["cidr_block"] == "10.1.0.0/16"
    assert net.metadata["is_default"] is False
    assert net.metadata["subnets"] == sorted([s1, s2])
    assert net.metadata["internet_gateway"] == igw
    assert net.metadata["route_tables"]
    defaults = [n for n in found["network"].values() if n.metadata["is_default"]]
    assert len(defaults) == 1  # moto's default VPC

    sub = found["subnet"][s2]
    assert sub.metadata["cidr_block"] == "10.1.2.0/24"
    assert sub.metadata["vpc_id"] == vpc
    assert sub.metadata["availability_zone"] == "us-east-1b"
    assert sub.status == "active"

    vol = found["volume"][free]
    assert vol.status == "available"
    assert vol.metadata["size_gb"] == 20 and vol.metadata["volume_type"] == "gp3"
    assert vol.metadata["attached_instances"] == []
    assert vol.cost_per_hour == pytest.approx(20 * 0.08 / 730, rel=1e-3)
    attached = found["volume"][used]
    assert attached.status == "in-use"
    assert attached.metadata["attached_instances"] == [vm]


def test_buckets_with_their_regions(aws, make_driver, moto):  # noqa: F811
    s3 = aws("s3")
    s3.create_bucket(Bucket="my-bucket-prod")
    s3.create_bucket(Bucket="eu-logs", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_bucket_versioning(Bucket="my-bucket-prod", VersioningConfiguration={"Status": "Enabled"})

    storage = everything(make_driver(moto), ("storage",))["storage"]
    assert set(storage) == {"my-bucket-prod", "eu-logs"}
    prod = storage["my-bucket-prod"]
    assert (prod.name, prod.status, prod.region) == ("my-bucket-prod", "active", "us-east-1")
    assert prod.metadata["bucket_type"] == "s3"
    assert prod.metadata["creation_date"].endswith("Z")
    assert prod.metadata["versioning"] is True
    assert storage["eu-logs"].region == "eu-west-1"
    assert storage["eu-logs"].metadata["versioning"] is False


def _zone_with_records(aws) -> tuple[str, str]:
    r53 = aws("route53")
    zone = r53.create_hosted_zone(Name="example.com", CallerReference="ref-1")["HostedZone"]["Id"].split("/")[-1]
    private = r53.create_hosted_zone(
        Name="internal.example", CallerReference="ref-2", VPC={"VPCRegion": "us-east-1", "VPCId": "vpc-12345678"},
        HostedZoneConfig={"Comment": "inside", "PrivateZone": True})["HostedZone"]["Id"].split("/")[-1]
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [
        {"Action": "CREATE", "ResourceRecordSet": {"Name": "www.example.com", "Type": "A", "TTL": 300,
                                                    "ResourceRecords": [{"Value": "1.2.3.4"}, {"Value": "5.6.7.8"}]}},
        {"Action": "CREATE", "ResourceRecordSet": {"Name": "mail.example.com", "Type": "MX", "TTL": 60,
                                                    "ResourceRecords": [{"Value": "10 mx.example.com"}]}},
    ]})
    return zone, private


def test_dns_zones_and_records(aws, make_driver, moto):  # noqa: F811
    zone, private = _zone_with_records(aws)
    found = everything(make_driver(moto), ("dns_zone", "dns_record"))

    zones = found["dns_zone"]
    assert set(zones) == {zone, private}
    z = zones[zone]
    assert (z.name, z.status, z.region) == ("example.com", "active", None)
    assert z.metadata["private"] is False
    assert z.metadata["record_count"] == 4  # SOA, NS, A, MX
    assert zones[private].metadata["private"] is True

    records = found["dns_record"]
    www = records[f"{zone}/www.example.com./A"]
    assert www.name == "www.example.com"
    assert www.region is None
    assert www.metadata["type"] == "A" and www.metadata["ttl"] == 300
    assert sorted(www.metadata["values"]) == ["1.2.3.4", "5.6.7.8"]
    assert records[f"{zone}/mail.example.com./MX"].metadata["values"] == ["10 mx.example.com"]
    assert {r.metadata["type"] for r in records.values() if r.metadata["zone_id"] == zone} == {"SOA", "NS", "A", "MX"}


def test_all_kinds_and_kind_filter(aws, ami, make_driver, moto):  # noqa: F811
    run(aws, ami, count=3)
    aws("s3").create_bucket(Bucket="bucket-one")
    _zone_with_records(aws)
    aws("ec2").create_volume(Size=1, AvailabilityZone="us-east-1a")
    driver = make_driver(moto)

    found = everything(driver)  # kinds=None: all of them
    assert set(found) == {"vm", "network", "subnet", "volume", "storage", "dns_zone", "dns_record"}
    assert len(found["vm"]) == 3
    assert set(everything(driver, ("storage", "vm"))) == {"storage", "vm"}
    assert everything(driver, ("container",)) == {}  # a kind AWS does not serve here


def test_instances_come_in_pages_of_at_most_1000(aws, ami, make_driver, moto):  # noqa: F811
    ids: set[str] = set()
    for count in (1000, 1000, 500):
        ids.update(run(aws, ami, count=count, InstanceType="t3.micro"))
    assert len(ids) == 2500

    # moto needs ~10 s to render 2500 instances: more than the default read timeout
    pages = list(make_driver(moto, read_timeout=120).pages(("vm",)))
    sizes = [len(p) for p in pages]
    assert all(size <= 1000 for size in sizes), sizes
    assert len(pages) >= 3
    assert {d.external_id for p in pages for d in p} == ids
    assert sum(sizes) == 2500


def test_pages_follow_next_tokens(aws, ami, make_driver, moto):  # noqa: F811
    for _ in range(12):  # twelve reservations; moto pages describe_instances by reservation
        run(aws, ami, count=2)
    driver = make_driver(moto)
    driver.page_size = 5
    calls: list[str] = []
    ec2 = driver.client("ec2", "us-east-1")
    ec2.meta.events.register("provide-client-params.ec2.DescribeInstances",
                             lambda params, **kw: calls.append(params.get("NextToken")))

    pages = driver.pages(("vm",))
    first = next(pages)
    assert len(calls) == 1  # lazily: one request for the first page
    rest = list(pages)
    sizes = [len(p) for p in [first, *rest]]
    assert all(s <= 5 for s in sizes) and sum(sizes) == 24
    assert len(calls) >= 3 and all(token for token in calls[1:])


def test_several_regions(aws, ami, make_driver, moto):  # noqa: F811
    [east] = run(aws, ami, region="us-east-1")
    [west] = run(aws, ami, region="eu-west-1", name="europe")
    driver = make_driver(moto, regions=["us-east-1", "eu-west-1"])

    vms = everything(driver, ("vm",))["vm"]
    assert vms[east].region == "us-east-1"
    assert vms[west].region == "eu-west-1"
    got = driver.get("vm", west)
    assert got.region == "eu-west-1" and got.name == "europe"
    assert driver.act("vm", west, "stop").status == "stopped"
    # a single-region driver does not see the other region
    assert set(everything(make_driver(moto), ("vm",))["vm"]) == {east}
    make_driver(moto, region="eu-west-1").ping()


# -- get ---------------------------------------------------------------------------
def test_get_each_kind(aws, ami, make_driver, moto):  # noqa: F811
    ec2 = aws("ec2")
    [vm] = run(aws, ami, name="one")
    vpc = ec2.create_vpc(CidrBlock="10.2.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.2.1.0/24")["Subnet"]["SubnetId"]
    vol = ec2.create_volume(Size=3, AvailabilityZone="us-east-1a")["VolumeId"]
    aws("s3").create_bucket(Bucket="get-me")
    zone, _ = _zone_with_records(aws)
    driver = make_driver(moto)

    assert driver.get("vm", vm).name == "one"
    assert driver.get("network", vpc).metadata["subnets"] == [subnet]
    assert driver.get("subnet", subnet).metadata["vpc_id"] == vpc
    assert driver.get("volume", vol).metadata["size_gb"] == 3
    assert driver.get("storage", "get-me").metadata["bucket_type"] == "s3"
    assert driver.get("dns_zone", zone).name == "example.com"
    rec = driver.get("dns_record", f"{zone}/mail.example.com./MX")
    assert rec.metadata["values"] == ["10 mx.example.com"]

    assert driver.get("vm", "i-0123456789abcdef0") is None
    assert driver.get("network", "vpc-0123456789abcdef0") is None
    assert driver.get("subnet", "subnet-0123456789abcdef0") is None
    assert driver.get("volume", "vol-0123456789abcdef0") is None
    assert driver.get("storage", "get") is None  # a prefix is not the bucket
    assert driver.get("dns_zone", "ZNOTAZONE123") is None
    assert driver.get("dns_record", f"{zone}/nope.example.com./A") is None
    assert driver.get("dns_record", f"{zone}/www.example.com./TXT") is None
    assert driver.get("container", "x") is None


# -- actions -----------------------------------------------------------------------
def test_actions_change_state(aws, ami, make_driver, moto):  # noqa: F811
    [vm] = run(aws, ami, InstanceType="t3.medium")
    driver = make_driver(moto)
    ec2 = aws("ec2")

    def state() -> str:
        return ec2.describe_instances(InstanceIds=[vm])["Reservations"][0]["Instances"][0]["State"]["Name"]

    stopped = driver.act("vm", vm, "stop")
    assert stopped.status == "stopped" == state()
    assert stopped.cost_per_hour == 0.0
    started = driver.act("vm", vm, "start")
    assert started.status == "running" == state()
    assert started.cost_per_hour == 0.0416
    assert driver.act("vm", vm, "reboot").status == "running" == state()

    calls: list[str] = []
    driver.client("ec2", "us-east-1").meta.events.register(
        "provide-client-params.ec2.*", lambda model, params, **kw: calls.append((model.name, params.get("Force"))))
    reset = driver.act("vm", vm, "reset")
    assert reset.status == "running" == state()
    names = [c[0] for c in calls]
    assert ("StopInstances", True) in calls
    assert names.index("StopInstances") < names.index("StartInstances")

    gone = driver.act("vm", vm, "terminate")
    assert gone.status == "terminated" == state()
    assert driver.get("vm", vm).status == "terminated"


def test_reset_of_a_stopped_vm_starts_it(aws, ami, make_driver, moto):  # noqa: F811
    [vm] = run(aws, ami)
    aws("ec2").stop_instances(InstanceIds=[vm])
    assert make_driver(moto).act("vm", vm, "reset").status == "running"


def test_unsupported_actions(aws, ami, make_driver, moto):  # noqa: F811
    [vm] = run(aws, ami)
    driver = make_driver(moto)
    with pytest.raises(DriverError, match="not supported"):
        driver.act("vm", vm, "hibernate")
    with pytest.raises(DriverError, match="not supported"):
        driver.act("volume", "vol-1", "stop")
    with pytest.raises(DriverError, match="not supported"):
        driver.act("storage", "bucket", "start")


def test_provider_errors_carry_aws_message(aws, ami, make_driver, moto):  # noqa: F811
    [vm] = run(aws, ami, DisableApiStop=True)
    aws("ec2").modify_instance_attribute(InstanceId=vm, DisableApiTermination={"Value": True})
    driver = make_driver(moto)
    with pytest.raises(DriverError) as caught:
        driver.act("vm", vm, "stop")
    assert not isinstance(caught.value, DriverUnavailable)
    assert "OperationNotPermitted" in str(caught.value)
    assert vm in caught.value.upstream and vm not in str(caught.value)  # AWS's own message: log only
    with pytest.raises(DriverError, match="OperationNotPermitted"):
        driver.act("vm", vm, "terminate")
    assert driver.get("vm", vm).status == "running"

    with pytest.raises(DriverError, match="not found"):
        driver.act("vm", "i-0123456789abcdef0", "stop")
    assert driver.act("vm", "i-0123456789abcdef0", "terminate") is None  # already gone


# -- reachability ------------------------------------------------------------------
def test_ping_ok(make_driver, moto):  # noqa: F811
    make_driver(moto).ping()


def test_unreachable_endpoint_is_unavailable_fast(make_driver):
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    driver = make_driver(url)
    for call in (driver.ping, lambda: list(driver.pages(("vm",))), lambda: driver.get("vm", "i-1"),
                 lambda: driver.act("vm", "i-1", "stop"), lambda: list(driver.pages(("storage",)))):
        started = time.monotonic()
        with pytest.raises(DriverUnavailable):
            call()
        assert time.monotonic() - started < 10


def test_silent_endpoint_times_out_as_unavailable(make_driver):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)  # accepts connections (kernel backlog), never answers
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def hold() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                pass

    holder = threading.Thread(target=hold, daemon=True)
    holder.start()
    try:
        driver = make_driver(f"http://127.0.0.1:{listener.getsockname()[1]}", read_timeout=1, max_attempts=1)
        started = time.monotonic()
        with pytest.raises(DriverUnavailable):
            driver.ping()
        assert time.monotonic() - started < 10
    finally:
        stop.set()
        holder.join(timeout=5)
        for s in accepted:
            s.close()
        listener.close()


def test_auth_failure_is_a_provider_error(tmp_path, make_driver):
    """A moto server that enforces IAM: unknown keys get AWS's AuthFailure."""
    proc, url = start_moto(tmp_path / "moto-auth.log", env={"INITIAL_NO_AUTH_ACTION_COUNT": "0"})
    try:
        driver = make_driver(url)
        with pytest.raises(DriverError) as caught:
            driver.ping()
        assert not isinstance(caught.value, DriverUnavailable)
        assert "AuthFailure" in str(caught.value)
        assert "AWS was not able to validate the provided access credentials" in caught.value.upstream
        with pytest.raises(DriverError, match="AuthFailure"):
            list(driver.pages(("vm",)))
    finally:
        stop_moto(proc)


# -- typed errors, from AWS's own codes ----------------------------------------------
def test_errors_are_typed_by_aws_code(aws, ami, make_driver, moto):  # noqa: F811
    driver = make_driver(moto)
    ec2 = driver.client("ec2")
    with pytest.raises(NotFound, match=r"InvalidInstanceID\.NotFound"), translated():
        ec2.stop_instances(InstanceIds=["i-0123456789abcdef0"])
    with pytest.raises(NotFound):
        driver.act("vm", "i-0123456789abcdef0", "stop")
    s3 = driver.client("s3")
    s3.create_bucket(Bucket="typed-errors")
    s3.put_object(Bucket="typed-errors", Key="k", Body=b"x")
    with pytest.raises(Conflict, match="BucketNotEmpty") as caught, translated():
        s3.delete_bucket(Bucket="typed-errors")
    assert caught.value.upstream
    [vm] = run(aws, ami, DisableApiStop=True)
    with pytest.raises(Conflict, match="OperationNotPermitted"):
        driver.act("vm", vm, "stop")


@pytest.mark.parametrize("code,status,typed", [
    ("InstanceLimitExceeded", 400, QuotaExceeded), ("VcpuLimitExceeded", 400, QuotaExceeded),
    ("RequestLimitExceeded", 503, DriverUnavailable), ("Throttling", 400, DriverUnavailable),
    ("IncorrectInstanceState", 400, Conflict), ("InvalidGroup.Duplicate", 400, Conflict),
    ("InvalidParameterValue", 400, InvalidRequest), ("InvalidInstanceID.Malformed", 400, InvalidRequest), ("AuthFailure", 401, UpstreamError),
    ("InternalError", 500, UpstreamError), ("NoSuchKey", 404, NotFound),
])
def test_aws_codes_map_to_one_type_each(code, status, typed):
    """Codes moto cannot be made to answer (limits, throttling): the SDK's own exception type."""
    exc = ClientError({"Error": {"Code": code, "Message": "what AWS said"},
                       "ResponseMetadata": {"HTTPStatusCode": status}}, "RunInstances")
    found = translate(exc)
    assert type(found) is typed and "what AWS said" not in str(found) and found.upstream == "what AWS said"
