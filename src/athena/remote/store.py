"""S3 transfers for the CLI (``publish``, ``emulate``, ``submit``'s bundle check), built on obstore.

Where the CLI talks to (DESIGN §2 ``[artifact_repository.s3]``, §6 ``publish``):

- bucket and region come from the configuration;
- the endpoint is ``$AWS_ENDPOINT_URL_S3`` or ``$AWS_ENDPOINT_URL`` when set (for the CLI's own transfers
  only: emit keeps baking the configured endpoint into the YAML), else the configured endpoint with
  ``http://`` when ``insecure`` and ``https://`` otherwise (config endpoints are written without a scheme,
  as Argo wants them: ``minio.argo.svc:9000``), else AWS S3 itself. With an endpoint, requests are
  path-style (``http://host:9000/bucket/key``), which every S3-compatible server understands;
- credentials are ``$AWS_ACCESS_KEY_ID`` / ``$AWS_SECRET_ACCESS_KEY`` (/ ``$AWS_SESSION_TOKEN``), else
  obstore's default chain (web identity / IRSA, ECS container credentials, EC2 instance metadata). The
  configuration's ``access_key_secret`` / ``secret_key_secret`` are Kubernetes secret references for the
  pods and are never read here.

Every failure is a ``StoreError`` whose message names the bucket, key and endpoint and says what to check;
the text obstore gave is kept in ``StoreError.detail`` (for ``--verbose``), never shown as a traceback.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, NoReturn
from urllib.parse import SplitResult, urlsplit

import obstore
from obstore.store import S3Store as _ObStore

from athena.errors import AthenaError

if TYPE_CHECKING:
    from obstore import Attributes, GetResult
    from obstore.store import ClientConfig, RetryConfig, S3Config

    from athena.config import S3

__all__ = [
    "CHUNK_SIZE",
    "SHA256_METADATA",
    "ObjectInfo",
    "ObjectNotFoundError",
    "Progress",
    "S3Store",
    "StoreError",
    "Timeouts",
    "resolve_endpoint",
]

#: ``progress(bytes_done, bytes_total)``; called at the start, as data moves, and once at the end.
Progress = Callable[[int, int], None]

#: User metadata (``x-amz-meta-athena-sha256``) holding the hex sha256 of an object put by athena.
SHA256_METADATA = "athena-sha256"

#: Part size of multipart uploads; files larger than this are uploaded in parts (S3's minimum is 5 MiB).
CHUNK_SIZE = 8 * 1024 * 1024
_CONCURRENCY = 4  # parts in flight: bounds how far progress runs ahead of the network (4 × 8 MiB)
_READ_CHUNK = 1024 * 1024

# Attribute names obstore reports that are not user metadata.
_STANDARD_ATTRIBUTES = frozenset(
    {"content-disposition", "content-encoding", "content-language", "content-type", "cache-control",
     "storage-class"}
)  # fmt: skip


class StoreError(AthenaError):
    """An S3 transfer failed; the message says what and what to check, ``detail`` is obstore's text."""

    def __init__(self, message: str, *, detail: str | None = None) -> None:
        super().__init__(message)
        self.detail = detail


class ObjectNotFoundError(StoreError):
    """The object does not exist (the bucket does)."""


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Network limits, in seconds. The defaults suit a CLI: a wrong endpoint fails within about a minute."""

    connect: float = 10.0  # opening one connection
    request: float = 120.0  # one request, including one part of a multipart upload
    retries: int = 3  # retries of a failed request (connection errors, 5xx), with backoff
    retry_total: float = 60.0  # no retry starts after this long


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    """What S3 says about one object. ``metadata`` is its user metadata (lowercase names), ``{}`` if none."""

    key: str
    size: int
    etag: str | None
    last_modified: datetime | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)

    @property
    def sha256(self) -> str | None:
        """The sha256 athena stored when it put the object, if any."""
        return self.metadata.get(SHA256_METADATA)


def resolve_endpoint(s3: S3, env: Mapping[str, str] = os.environ) -> tuple[str | None, str]:
    """The endpoint URL the CLI uses (None: AWS S3) and where it came from, for messages."""
    for var in ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"):
        value = env.get(var, "").strip()
        if value:
            return _with_scheme(value, s3.insecure), f"from ${var}"
    if s3.endpoint:
        return _with_scheme(s3.endpoint.strip(), s3.insecure), "[artifact_repository.s3].endpoint"
    return None, f"AWS S3, region {s3.region}"


def _with_scheme(endpoint: str, insecure: bool) -> str:
    if "://" in endpoint:
        return endpoint.rstrip("/")
    return f"{'http' if insecure else 'https'}://{endpoint.rstrip('/')}"


class S3Store:
    """One bucket, reached the way the CLI reaches it (see the module docstring)."""

    def __init__(
        self,
        bucket: str,
        *,
        region: str = "us-east-1",
        endpoint: str | None = None,
        endpoint_source: str = "",
        credentials: tuple[str, str, str | None] | None = None,
        timeouts: Timeouts | None = None,
    ) -> None:
        """Prefer ``from_config``. ``credentials`` is (access key id, secret key, session token)."""
        self.bucket = bucket
        self.region = region
        self.endpoint = endpoint
        self.endpoint_source = endpoint_source or ("AWS S3" if endpoint is None else "given")
        self.static_credentials = credentials is not None
        self.timeouts = timeouts or Timeouts()
        t = self.timeouts
        client: ClientConfig = {
            "connect_timeout": timedelta(seconds=t.connect),
            "timeout": timedelta(seconds=t.request),
        }
        retry: RetryConfig = {
            "max_retries": t.retries,
            "retry_timeout": timedelta(seconds=t.retry_total),
            "backoff": {"init_backoff": timedelta(milliseconds=100), "max_backoff": timedelta(seconds=5),
                        "base": 2},
        }  # fmt: skip
        config: S3Config = {"region": region}
        if endpoint is not None:
            config["endpoint"] = endpoint
            config["virtual_hosted_style_request"] = False
            client["allow_http"] = endpoint.startswith("http://")
        if credentials is not None:
            config["access_key_id"], config["secret_access_key"] = credentials[0], credentials[1]
            if credentials[2]:
                config["session_token"] = credentials[2]
        try:
            self._store = _ObStore(bucket, config=config, client_options=client, retry_config=retry)
        except Exception as exc:  # obstore rejects a malformed endpoint or region here
            raise StoreError(
                f"cannot set up S3 access to bucket {bucket!r} at {self.where}: {_summary(str(exc))}; "
                "check [artifact_repository.s3] and $AWS_ENDPOINT_URL",
                detail=str(exc),
            ) from None

    @classmethod
    def from_config(
        cls, s3: S3, *, env: Mapping[str, str] = os.environ, timeouts: Timeouts | None = None
    ) -> S3Store:
        """The store for ``[artifact_repository.s3]``, with endpoint and credentials resolved from ``env``."""
        if not s3.bucket:
            raise StoreError(
                "[artifact_repository.s3] names no bucket (repository = default/ref leaves it to Argo's "
                "configured repository, which the CLI cannot read); set bucket (and endpoint) there so "
                "the CLI knows where bundles live"
            )
        endpoint, source = resolve_endpoint(s3, env)
        key_id, secret = env.get("AWS_ACCESS_KEY_ID", ""), env.get("AWS_SECRET_ACCESS_KEY", "")
        if bool(key_id) != bool(secret):
            have, lack = (
                ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY") if key_id
                else ("AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID")
            )  # fmt: skip
            raise StoreError(f"${have} is set but ${lack} is not; set both, or neither to use the ambient identity")
        credentials = (key_id, secret, env.get("AWS_SESSION_TOKEN") or None) if key_id else None
        return cls(
            s3.bucket,
            region=s3.region,
            endpoint=endpoint,
            endpoint_source=source,
            credentials=credentials,
            timeouts=timeouts,
        )

    # ------------------------------------------------------------------------------------------ naming

    def url(self, key: str) -> str:
        """``s3://bucket/key``."""
        return f"s3://{self.bucket}/{key}"

    @property
    def where(self) -> str:
        """The endpoint, for messages: ``http://127.0.0.1:9000 (from $AWS_ENDPOINT_URL)``."""
        if self.endpoint is None:
            return self.endpoint_source
        return f"{self.endpoint} ({self.endpoint_source})"

    # ------------------------------------------------------------------------------------------ reading

    def head(self, key: str) -> ObjectInfo | None:
        """The object's size, etag and user metadata; None when it does not exist (the bucket must)."""
        try:
            with self._mapped("look up", key):
                result = obstore.get(self._store, key, options={"head": True})
        except ObjectNotFoundError:
            self._check_bucket(key)
            return None
        return _info(key, result)

    def exists(self, key: str) -> bool:
        """Whether the object exists (a missing bucket is a ``StoreError``, not False)."""
        return self.head(key) is not None

    def get_bytes(self, key: str) -> bytes:
        """The whole object, in memory."""
        with self._mapped("download", key):
            return bytes(obstore.get(self._store, key).bytes())

    def get_file(self, key: str, dest: Path, *, progress: Progress | None = None) -> ObjectInfo:
        """Download to ``dest`` atomically (a partial download never appears there); returns its info.

        When the object carries ``athena-sha256``, the download is checked against it.
        """
        with self._mapped("download", key):
            result = obstore.get(self._store, key)
        info = _info(key, result)
        dest.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        done = 0
        if progress:
            progress(0, info.size)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in self._chunks(result, key):
                    out.write(chunk)
                    digest.update(chunk)
                    done += len(chunk)
                    if progress:
                        progress(done, info.size)
            if info.sha256 and digest.hexdigest() != info.sha256:
                raise StoreError(
                    f"download of {self.url(key)} from {self.where} is corrupt: its sha256 is "
                    f"{digest.hexdigest()}, the object's {SHA256_METADATA} metadata says {info.sha256}; "
                    "try again, and check the object if it persists"
                )
            tmp.chmod(0o644)
            tmp.replace(dest)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return info

    # ------------------------------------------------------------------------------------------ writing

    def put_bytes(self, data: bytes, key: str, *, metadata: Mapping[str, str] | None = None) -> ObjectInfo:
        """Store ``data`` at ``key`` (overwriting), with optional user metadata."""
        with self._mapped("upload", key):
            put = obstore.put(self._store, key, data, attributes=_attributes(metadata, None), use_multipart=False)
        return ObjectInfo(key=key, size=len(data), etag=put["e_tag"], metadata=dict(metadata or {}))

    def put_file(
        self,
        path: Path,
        key: str,
        *,
        progress: Progress | None = None,
        metadata: Mapping[str, str] | None = None,
        content_type: str | None = None,
    ) -> ObjectInfo:
        """Upload a local file to ``key`` (overwriting); multipart above ``CHUNK_SIZE`` bytes.

        ``progress`` counts bytes handed to the uploader, so it runs at most a few parts ahead of the
        network; its last call, ``(size, size)``, comes after S3 has the whole object.
        """
        try:
            size = path.stat().st_size
            handle = path.open("rb")
        except OSError as exc:
            raise StoreError(f"cannot read {path}: {exc.strerror or exc}") from None
        attributes = _attributes(metadata, content_type)
        if progress:
            progress(0, size)
        with handle, self._mapped("upload", key):
            if size <= CHUNK_SIZE:
                put = obstore.put(self._store, key, handle.read(), attributes=attributes, use_multipart=False)
            else:
                put = obstore.put(
                    self._store,
                    key,
                    _read_parts(handle, size, progress),
                    attributes=attributes,
                    use_multipart=True,
                    chunk_size=CHUNK_SIZE,
                    max_concurrency=_CONCURRENCY,
                )
        if progress:
            progress(size, size)
        return ObjectInfo(key=key, size=size, etag=put["e_tag"], metadata=dict(metadata or {}))

    # ------------------------------------------------------------------------------------------ errors

    def _chunks(self, result: GetResult, key: str) -> Iterator[bytes | memoryview]:
        stream = iter(result.stream(min_chunk_size=_READ_CHUNK))
        while True:
            with self._mapped("download", key):
                chunk = next(stream, None)
            if chunk is None:
                return
            yield memoryview(chunk)

    def _check_bucket(self, key: str) -> None:
        """After a body-less 404 (HEAD): raise when it was the bucket that is missing."""
        try:
            # object_store lists ``key/``: nothing matches, but a missing bucket is NoSuchBucket.
            with self._mapped("look up", key):
                next(iter(obstore.list(self._store, prefix=key, chunk_size=1)), None)
        except StoreError as exc:
            if exc.detail is not None and _code(exc.detail) == "NoSuchBucket":
                raise

    @contextlib.contextmanager
    def _mapped(self, action: str, key: str) -> Iterator[None]:
        try:
            yield
        except StoreError:
            raise
        except Exception as exc:
            self._raise(action, key, exc)

    def _raise(self, action: str, key: str, exc: Exception) -> NoReturn:
        text = str(exc)
        code = _code(text)
        status = _status(text)
        what = f"cannot {action} {self.url(key)} at {self.where}"
        creds = (
            "$AWS_ACCESS_KEY_ID / $AWS_SECRET_ACCESS_KEY / $AWS_SESSION_TOKEN"
            if self.static_credentials
            else "the ambient identity (no $AWS_ACCESS_KEY_ID set)"
        )
        cls: type[StoreError] = StoreError
        if not self.static_credentials and _credentials_failed(text):
            why = (
                "no credentials found: set $AWS_ACCESS_KEY_ID and $AWS_SECRET_ACCESS_KEY, or run where an "
                "ambient identity (IRSA / web identity, ECS task role, EC2 instance profile) is available"
            )
        elif code == "NoSuchBucket":
            why = (
                f"bucket {self.bucket!r} does not exist there; check [artifact_repository.s3].bucket and the "
                "endpoint, or create the bucket"
            )
        elif isinstance(exc, FileNotFoundError) or code in ("NoSuchKey", "NotFound"):
            cls, why = ObjectNotFoundError, "no such object"
        elif code in _BAD_CREDENTIALS:
            why = f"the credentials were rejected ({code}); check {creds}"
        elif code in _WRONG_REGION or status == 301:
            why = (
                f"the bucket answers from another region ({code or 'HTTP 301'}); check "
                f"[artifact_repository.s3].region (now {self.region!r})"
            )
        elif status == 403 or code in ("AccessDenied", "AllAccessDisabled") or isinstance(
            exc, obstore.exceptions.PermissionDeniedError | obstore.exceptions.UnauthenticatedError
        ):
            why = (
                f"access denied (HTTP 403{', ' + code if code else ''}); check that the credentials "
                f"({creds}) are valid and may {action} objects in bucket {self.bucket!r}"
            )
            if action == "look up":
                why += " (S3 also answers 403 for a missing object when s3:ListBucket is not granted)"
        elif "dns error" in text:
            host = _failed_url(text).hostname or self.endpoint or "the S3 host"
            why = (
                f"cannot resolve host {host!r}; check the endpoint. A cluster-internal name such as "
                "minio.argo.svc only resolves inside the cluster: set $AWS_ENDPOINT_URL to an address this "
                "machine reaches (e.g. a kubectl port-forward)"
            )
        elif _failed_url(text).scheme == "https" and re.search(_TLS_FAILURE, text, re.IGNORECASE):
            why = (
                "the TLS handshake failed; if the endpoint serves plain HTTP set "
                "[artifact_repository.s3].insecure = true (or give $AWS_ENDPOINT_URL an http:// URL), "
                "else check its certificate"
            )
        elif _http_kind(text) == "Timeout":
            why = (
                f"no answer within {self.timeouts.request:g}s (after {self.timeouts.retries} retries); check "
                "that the endpoint is right and reachable"
            )
        elif _http_kind(text) == "Connect" or "error sending request" in text:
            why = "cannot connect; check that the endpoint is right, reachable and serving S3"
        elif status is not None and status >= 500:
            why = f"the server failed (HTTP {status}{', ' + code if code else ''}); try again later"
        else:
            why = f"S3 request failed: {_summary(text)}"
        raise cls(f"{what}: {why}", detail=text) from None


_BAD_CREDENTIALS = frozenset(
    {"InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken", "TokenRefreshRequired",
     "InvalidClientTokenId", "InvalidSecurity", "MissingSecurityHeader"}
)  # fmt: skip
_WRONG_REGION = frozenset(
    {"AuthorizationHeaderMalformed", "PermanentRedirect", "IllegalLocationConstraintException"}
)


def _code(text: str) -> str | None:
    m = re.search(r"<Code>([^<]+)</Code>", text)
    return m[1] if m else None


def _status(text: str) -> int | None:
    m = re.search(r"status code: (\d{3})", text)
    return int(m[1]) if m else None


def _http_kind(text: str) -> str | None:
    m = re.search(r"HttpError \{\s*kind: (\w+)", text)
    return m[1] if m else None


_TLS_FAILURE = (
    r"InvalidMessage|InvalidContentType|InvalidCertificate|UnknownIssuer|certificate|AlertReceived|"
    r"HandshakeFailure|\btls\b|\bssl\b"
)


def _failed_url(text: str) -> SplitResult:
    """The URL of the request that failed (obstore: ``Error performing HEAD https://… in 3ms``)."""
    m = re.search(r"Error performing \w+ (\S+)", text)
    return urlsplit(m[1] if m else "")


def _credentials_failed(text: str) -> bool:
    """A failure of the ambient credential chain (instance metadata, ECS, STS) rather than of the request."""
    url = _failed_url(text)
    host = url.hostname or ""
    return (
        host in ("169.254.169.254", "169.254.170.2", "fd00:ec2::254")
        or host.startswith("sts.")
        or url.path.startswith("/latest/")  # an IMDS path, wherever it is served
        or bool(re.search(r"instance metadata|web identity|WebIdentity|AssumeRole", text))
    )


def _summary(text: str) -> str:
    """obstore's message without its debug dump, the XML body reduced to code and message."""
    first = text.split("\n\nDebug source:")[0].strip()
    m = re.search(r"<Message>([^<]*)</Message>", first)
    first = re.sub(r"<\?xml.*", "", first, flags=re.DOTALL).rstrip(": ")
    if m:
        first += f": {_code(text)}: {m[1]}"
    return " ".join(first.split())


def _attributes(metadata: Mapping[str, str] | None, content_type: str | None) -> Attributes | None:
    attributes: Attributes = {name.lower(): value for name, value in (metadata or {}).items()}
    if content_type:
        attributes["Content-Type"] = content_type
    return attributes or None


def _info(key: str, result: GetResult) -> ObjectInfo:
    meta = result.meta
    metadata = {
        name.lower(): value
        for name, value in result.attributes.items()
        if name.lower() not in _STANDARD_ATTRIBUTES
    }
    return ObjectInfo(
        key=key, size=meta["size"], etag=meta["e_tag"], last_modified=meta["last_modified"], metadata=metadata
    )


def _read_parts(handle: BinaryIO, size: int, progress: Progress | None) -> Iterator[bytes]:
    done = 0
    while chunk := handle.read(CHUNK_SIZE):
        if progress:
            progress(done, size)  # the previous parts were taken by the uploader
        done += len(chunk)
        yield chunk
