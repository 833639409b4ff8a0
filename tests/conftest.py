"""Session fixtures of the template tests; the helpers themselves live in bake.py."""

import os
import socket
import tempfile

import pytest

from bake import ProjectFactory


@pytest.fixture(scope="session")
def installed_project(tmp_path_factory):
    """Factory fixture: installed_project(extras=("dev",), **answers) -> InstalledProject."""
    return ProjectFactory(tmp_path_factory.mktemp("projects"))


@pytest.fixture(scope="session", autouse=True)
def _private_tmpdir(tmp_path_factory):
    """Keep the hook scripts cookiecutter writes to the temp folder (and never deletes) private."""
    private = tmp_path_factory.mktemp("tmpdir")
    previous = os.environ.get("TMPDIR")
    os.environ["TMPDIR"] = str(private)
    tempfile.tempdir = None
    yield
    if previous is None:
        os.environ.pop("TMPDIR")
    else:
        os.environ["TMPDIR"] = previous
    tempfile.tempdir = None


# --- An S3 datastore on this machine (test_code_package, test_deploy) ------------------------

S3_BUCKET = "tournament-datastore"
AWS_DUMMIES = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


class S3Datastore:
    """A moto S3 server's endpoint and client, and the variables that make Metaflow use it."""

    def __init__(self, endpoint, client, local_root):
        self.endpoint = endpoint
        self.client = client
        self.root = f"s3://{S3_BUCKET}/metaflow"
        self.env = {
            **AWS_DUMMIES,
            # Local metadata of its own: the project's other runs use the local datastore.
            "METAFLOW_DATASTORE_SYSROOT_LOCAL": str(local_root),
            "METAFLOW_DEFAULT_DATASTORE": "s3",
            "METAFLOW_DATASTORE_SYSROOT_S3": self.root,
            "METAFLOW_S3_ENDPOINT_URL": endpoint,
            # Fail at once instead of retrying for minutes when something is wrong.
            "METAFLOW_S3_RETRY_COUNT": "0",
            "METAFLOW_DEFAULT_METADATA": "local",
            # Nothing may reach a real AWS account or cluster, whatever the machine holds.
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "KUBECONFIG": os.devnull,
        }

    def keys(self, prefix=""):
        """Return every object key under prefix."""
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=S3_BUCKET, Prefix=prefix
        )
        return [item["Key"] for page in pages for item in page.get("Contents", [])]

    def download(self, url, destination):
        """Download an s3://bucket/key URL to destination."""
        bucket, _, key = url.removeprefix("s3://").partition("/")
        self.client.download_file(bucket, key, str(destination))
        return destination


@pytest.fixture(scope="module")
def s3_datastore(tmp_path_factory):
    """A moto S3 server on a free 127.0.0.1 port holding an empty bucket; stopped afterwards.

    Nothing leaves the machine: the server runs in this process.
    """
    import boto3
    from moto.server import ThreadedMotoServer

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{port}"
        client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name=AWS_DUMMIES["AWS_DEFAULT_REGION"],
            aws_access_key_id=AWS_DUMMIES["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=AWS_DUMMIES["AWS_SECRET_ACCESS_KEY"],
        )
        client.create_bucket(Bucket=S3_BUCKET)
        yield S3Datastore(endpoint, client, tmp_path_factory.mktemp("s3-local-metadata"))
    finally:
        server.stop()
