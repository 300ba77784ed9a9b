"""Log files read as streams: one line at a time, within bounds, gzip accepted, a bad line skipped and reported.

Formats, recognised line by line (a Cloud Logging export may mix firewall and DNS entries):

- AWS Network Firewall alert and flow logs as delivered to CloudWatch Logs, S3 or Firehose: one JSON object per
  line with ``firewall_name``, ``availability_zone``, ``event_timestamp`` and the Suricata EVE ``event``
  (``event_type`` ``alert`` or ``netflow``, ``src_ip``, ``dest_ip``, ``dest_port``, ``proto``, ``app_proto``,
  ``alert.action`` ``allowed``/``blocked``, ``alert.signature_id``, ``alert.signature``, ``tls.sni``,
  ``http.hostname``), "Contents of a AWS Network Firewall log",
  https://docs.aws.amazon.com/network-firewall/latest/developerguide/firewall-logging-contents.html. A CloudWatch
  Logs subscription record (``logEvents[].message``) is unwrapped; a bare EVE line (Suricata's own eve.json) is
  read as the ``event`` alone.
- GCP firewall rules logging as exported from Cloud Logging: a ``LogEntry`` whose ``jsonPayload`` has
  ``connection`` (``src_ip``, ``src_port``, ``dest_ip``, ``dest_port``, ``protocol`` as an IANA number),
  ``disposition`` (``ALLOWED``/``DENIED``), ``rule_details`` (``reference``, ``priority``, ``action``), ``instance``
  and ``vpc``: https://cloud.google.com/firewall/docs/firewall-policy-log-format.
- Cloud DNS query logs (``jsonPayload.queryName``, ``queryType``, ``rdata`` in presentation format, ``sourceIP``):
  https://cloud.google.com/dns/docs/monitoring. They give names to firewall log entries that have only addresses.
- Squid's native access.log line (``logformat squid``: ``%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un
  %Sh/%<a %mt``, https://www.squid-cache.org/Doc/config/logformat/), optionally followed by the observe-mode marker
  of ``sep-egress export squid --enforcement observe``.
"""

from __future__ import annotations

import datetime
import functools
import gzip
import io
import ipaddress
import json
import os
import re
import stat
import sys
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ..compile.proxy.squid import OBSERVE_MARKER
from ..errors import SepEgressError
from ..escape import plain_text
from .records import BadLine, DnsAnswer, FlowRecord, Outcome

#: A longer line is skipped as bad (a GCP entry is a few KiB; nothing real comes near this).
MAX_LINE_BYTES = 1 << 20
#: Bad lines shown one by one; beyond that only counted (the summary says how many).
MAX_BAD_LINES_SHOWN = 20
_PROTOCOLS = {1: "icmp", 6: "tcp", 17: "udp", 58: "icmp"}
_GZIP_MAGIC = b"\x1f\x8b"
_SQUID_SEPARATOR = re.compile(r"[ \t]+")


class LogError(SepEgressError):
    """A log file cannot be read at all (missing, not a regular file, not a log this command reads)."""


class _BadRecord(ValueError):
    """One line's problem, in words."""


@dataclass
class ReadStats:
    """What a run read: lines, records, skipped lines (the first ones kept, to show), per file."""

    lines: int = 0
    records: int = 0
    dns_answers: int = 0
    skipped: int = 0
    shown: list[BadLine] = field(default_factory=list)

    def skip(self, bad: BadLine) -> None:
        self.skipped += 1
        if len(self.shown) < MAX_BAD_LINES_SHOWN:
            self.shown.append(bad)


Progress = Callable[[str, int], None]


def terminal_progress() -> Progress | None:
    """A progress line on stderr, only when stderr is a terminal, at most a few times a second."""
    if not sys.stderr.isatty():
        return None
    last = [0.0]

    def show(name: str, lines: int) -> None:
        now = time.monotonic()
        if now - last[0] >= 0.25:
            last[0] = now
            sys.stderr.write(f"\r{plain_text(name)}: {lines:,} lines")
            sys.stderr.flush()

    return show


def _open(path: Path) -> IO[bytes] | io.BufferedReader:
    """The file as a byte stream (gunzipped when it starts with gzip's magic), refusing what is not a regular
    file: a FIFO or a device would block or never end."""
    shown = plain_text(path)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise LogError(f"{shown}: no such file") from None
    except OSError as exc:
        raise LogError(f"{shown}: {exc.strerror}") from None
    if not stat.S_ISREG(mode):
        raise LogError(f"{shown}: not a regular file (a log is read from a file, not a FIFO, device or directory)")
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise LogError(f"{shown}: {exc.strerror}") from None
    if raw.read(2) == _GZIP_MAGIC:
        raw.seek(0)
        # A buffer in front: GzipFile.readline alone reads the stream in small steps.
        return io.BufferedReader(gzip.GzipFile(fileobj=raw, mode="rb"), buffer_size=1 << 20)
    raw.seek(0)
    return raw


def lines(path: Path, progress: Progress | None = None) -> Iterator[tuple[int, bytes | None]]:
    """``(line number, bytes)`` for each line, ``None`` for a line longer than ``MAX_LINE_BYTES`` (skipped whole).

    A damaged gzip stream or a read error ends the file with a ``LogError`` naming it and the line reached."""
    number = 0
    stream = _open(path)
    try:
        while True:
            try:
                line = stream.readline(MAX_LINE_BYTES + 1)
            except (OSError, EOFError, zlib.error) as exc:
                raise LogError(f"{plain_text(path)}: line {number + 1}: cannot be read ({exc})") from None
            if not line:
                return
            number += 1
            if progress is not None and number % 65536 == 0:
                progress(str(path), number)
            if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
                while line and not line.endswith(b"\n"):  # the rest of the long line, in bounded pieces
                    line = stream.readline(MAX_LINE_BYTES)
                yield number, None
                continue
            yield number, line
    finally:
        stream.close()


#: Times a log can hold: from the epoch to the end of year 9999 (what the report can print as ISO 8601).
_LATEST = datetime.datetime(9999, 12, 31, 23, 59, 59, tzinfo=datetime.UTC).timestamp()


def _epoch(text: Any) -> float:
    """An RFC 3339 / ISO 8601 time, or epoch seconds, as epoch seconds, between 1970 and 9999 (a time outside, an
    infinity or a NaN is a bad line, not a failure of the report)."""
    moment = _parse_epoch(text)
    if not 0 <= moment <= _LATEST:  # also False for NaN
        raise _BadRecord(f"time {text!r} is not between 1970 and 9999")
    return moment


def _parse_epoch(text: Any) -> float:
    if isinstance(text, int | float) and not isinstance(text, bool):
        return float(text)
    if not isinstance(text, str) or not text:
        raise _BadRecord("no time")
    if text.isascii() and text.replace(".", "", 1).isdigit():  # not "²": str.isdigit takes it, float does not
        return float(text)
    value = text.replace("Z", "+00:00")
    if len(value) > 5 and value[-5] in "+-" and value[-3] != ":":  # Suricata's +0000
        value = f"{value[:-2]}:{value[-2:]}"
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        raise _BadRecord(f"time {text!r} is not ISO 8601") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.timestamp()


def _object(value: Any) -> dict[str, Any]:
    """A nested JSON object, or an empty one when the field is absent or not an object."""
    return value if isinstance(value, dict) else {}


def _address(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise _BadRecord(f"no {what}")
    canonical = _canonical_address(value)
    if canonical is None:
        raise _BadRecord(f"{what} {value!r} is not an IP address")
    return canonical


# A log repeats the same few thousand addresses and names millions of times: each is checked once (bounded caches).
@functools.lru_cache(maxsize=1 << 16)
def _canonical_address(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def _port(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 65535:
        raise _BadRecord(f"port {value!r} is not 0-65535")
    return value


def _name(value: Any) -> str | None:
    """A destination name as logged (SNI, Host, DNS query): lower case, without a trailing dot or a port; None when
    it is absent or not a host name (the classifier then goes by address)."""
    if not isinstance(value, str) or not value:
        return None
    return _canonical_name(value)


@functools.lru_cache(maxsize=1 << 16)
def _canonical_name(value: str) -> str | None:
    name = value.strip().lower()
    if name.startswith("[") or name.count(":") == 1:
        name = name.rsplit(":", 1)[0].strip("[]")
    name = name.rstrip(".")  # after the port: "example.com.:443" is example.com (logs/sql.py reads names so too)
    if not name or len(name) > 253 or not all(ch.isalnum() or ch in "-._*" for ch in name) or not name.isascii():
        return None
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return name
    return None


def _aws_record(document: dict[str, Any], file: str, line: int) -> FlowRecord | None:
    event = document.get("event", document)
    if not isinstance(event, dict):
        raise _BadRecord("'event' is not an object")
    kind = event.get("event_type")
    if kind not in ("alert", "netflow"):
        return None  # tls, http, ... events: nothing decided
    moment = _epoch(document.get("event_timestamp") or event.get("timestamp"))
    transport = str(event.get("proto", "")).lower() or "other"
    app = event.get("app_proto") if isinstance(event.get("app_proto"), str) else None
    tls = _object(event.get("tls"))
    http = _object(event.get("http"))
    name = _name(tls.get("sni")) or _name(http.get("hostname")) or _name(event.get("sni"))
    outcome: Outcome = "allowed"
    rule = rule_name = None
    if kind == "alert":
        alert = event.get("alert")
        if not isinstance(alert, dict):
            raise _BadRecord("an alert event without 'alert'")
        action = alert.get("action")
        if action not in ("allowed", "blocked"):
            raise _BadRecord(f"alert.action {action!r} is neither allowed nor blocked")
        outcome = "refused" if action == "blocked" else "allowed"
        sid = alert.get("signature_id")
        rule = str(sid) if isinstance(sid, int) and not isinstance(sid, bool) else None
        rule_name = alert.get("signature") if isinstance(alert.get("signature"), str) else None
    return FlowRecord(
        vendor="aws",
        file=file,
        line=line,
        time=moment,
        src_ip=_address(event.get("src_ip"), "src_ip"),
        dest_ip=_address(event.get("dest_ip"), "dest_ip"),
        dest_port=_port(event.get("dest_port")),
        transport=transport,
        outcome=outcome,
        name=name,
        app=("tls" if app == "tls" else "http" if app and app.startswith("http") else app),
        rule=rule,
        rule_name=rule_name,
        source_hint=document.get("firewall_name") if isinstance(document.get("firewall_name"), str) else None,
    )


def _gcp_firewall_record(entry: dict[str, Any], payload: dict[str, Any], file: str, line: int) -> FlowRecord:
    connection = payload["connection"]
    if not isinstance(connection, dict):
        raise _BadRecord("jsonPayload.connection is not an object")
    disposition = payload.get("disposition")
    if disposition not in ("ALLOWED", "DENIED", "INTERCEPTED"):
        raise _BadRecord(f"jsonPayload.disposition {disposition!r} is not ALLOWED, DENIED or INTERCEPTED")
    details = _object(payload.get("rule_details"))
    priority = details.get("priority")
    instance = _object(payload.get("instance"))
    protocol = connection.get("protocol")
    return FlowRecord(
        vendor="gcp",
        file=file,
        line=line,
        time=_epoch(entry.get("timestamp") or entry.get("receiveTimestamp")),
        src_ip=_address(connection.get("src_ip"), "connection.src_ip"),
        dest_ip=_address(connection.get("dest_ip"), "connection.dest_ip"),
        dest_port=_port(connection.get("dest_port")),
        transport=_PROTOCOLS.get(protocol, "other") if isinstance(protocol, int) else str(protocol or "other").lower(),
        outcome="refused" if disposition == "DENIED" else "allowed",
        rule=str(priority) if isinstance(priority, int) and not isinstance(priority, bool) else None,
        rule_name=next((str(details[key]) for key in ("name", "rule_name") if isinstance(details.get(key), str)), None),
        source_hint=instance.get("vm_name") if isinstance(instance.get("vm_name"), str) else None,
    )


def _dns_answer(entry: dict[str, Any], payload: dict[str, Any], file: str, line: int) -> DnsAnswer | None:
    name = _name(payload.get("queryName"))
    rdata = payload.get("rdata")
    if name is None or not isinstance(rdata, str):
        return None
    addresses = []
    for answer in rdata.splitlines():
        fields = answer.split()
        # Cloud DNS writes the type in lower case ("example.com.\t300\tIN\ta\t1.2.3.4").
        if len(fields) >= 5 and fields[3].upper() in ("A", "AAAA"):
            try:
                addresses.append(str(ipaddress.ip_address(fields[4])))
            except ValueError:
                continue
    if not addresses:
        return None
    source = payload.get("sourceIP")
    return DnsAnswer(
        file=file,
        line=line,
        time=_epoch(entry.get("timestamp") or entry.get("receiveTimestamp")),
        src_ip=source if isinstance(source, str) else None,
        name=name,
        addresses=tuple(sorted(set(addresses))),
    )


def _squid_record(text: str, file: str, line: int) -> FlowRecord | None:
    # Squid separates fields with spaces (tabs in a custom logformat): str.split() would also split on U+0085,
    # U+2028 or U+001C inside a URL and shift every field after it.
    fields = _SQUID_SEPARATOR.split(text.strip(" \t"))
    if len(fields) < 10:
        raise _BadRecord("not a Squid native access.log line (fewer than 10 fields)")
    code, _, status = fields[3].partition("/")
    if not status.isdigit():
        raise _BadRecord(f"result code {fields[3]!r} is not CODE/STATUS")
    method, url = fields[5], fields[6]
    if method == "-" or url.startswith("error:"):
        return None  # a connection that sent no request (Squid logs "error:transaction-end-before-headers")
    marker = fields[10] if len(fields) > 10 else "-"
    if method == "CONNECT":
        host, _, port_text = url.rpartition(":")
        app = "tls"
    else:
        rest = url.split("://", 1)[-1].split("/", 1)[0]
        host, colon, port_text = rest.rpartition(":") if not rest.endswith("]") else (rest, "", "")
        if not colon:
            host, port_text = rest, ("443" if url.startswith("https:") else "80")
        app = "http"
    host = host.strip("[]").lower()
    dest_ip = _canonical_address(host)
    name = None
    if dest_ip is None:
        name = _name(host)
        dest_ip = _canonical_address(fields[8].partition("/")[2])  # HIER_DIRECT/<the address Squid connected to>
        if name is None:
            raise _BadRecord(f"request target {url!r} has no host name or address")
    outcome: Outcome
    if marker == OBSERVE_MARKER:
        outcome = "would-refuse"
    elif code.endswith("DENIED") or (status == "403" and code.startswith(("TCP_DENIED", "NONE"))):
        outcome = "refused"
    else:
        outcome = "allowed"
    return FlowRecord(
        vendor="squid",
        file=file,
        line=line,
        time=_epoch(fields[0]),
        src_ip=_address(fields[2], "client address"),
        dest_ip=dest_ip,
        dest_port=_port(port_text) if port_text else None,
        transport="tcp",
        outcome=outcome,
        name=name,
        app=app,
        rule=OBSERVE_MARKER if outcome == "would-refuse" else None,
    )


Parsed = FlowRecord | DnsAnswer | None


def parse_line(raw: bytes, file: str, line: int) -> list[Parsed]:
    """What one line holds (a CloudWatch subscription record may hold several); raises ``_BadRecord``."""
    stripped = raw.strip()
    if not stripped:
        return [None]
    if stripped[:1] == b"[":
        raise _BadRecord("a JSON array, not one entry per line (gcloud --format json): convert it with jq -c '.[]'")
    if stripped[:1] != b"{":
        try:
            text = stripped.decode("utf-8")
        except UnicodeDecodeError:
            raise _BadRecord("not UTF-8") from None
        return [_squid_record(text, file, line)]
    try:
        document = json.loads(stripped)
    except ValueError as exc:
        raise _BadRecord(f"not JSON ({exc.args[0] if exc.args else exc})") from None
    except RecursionError:  # thousands of nested brackets: no log entry is shaped so
        raise _BadRecord("not JSON (nested too deeply)") from None
    if not isinstance(document, dict):
        raise _BadRecord("not a JSON object")
    return _parse_document(document, file, line)


def _parse_document(document: dict[str, Any], file: str, line: int) -> list[Parsed]:
    try:
        if isinstance(document.get("logEvents"), list):  # a CloudWatch Logs subscription record (Firehose)
            found: list[Parsed] = []
            for event in document["logEvents"]:
                message = event.get("message") if isinstance(event, dict) else None
                if not isinstance(message, str):
                    raise _BadRecord("a logEvents item without a message")
                inner = json.loads(message)
                if not isinstance(inner, dict):
                    raise _BadRecord("a logEvents message is not a JSON object")
                found += _parse_document(inner, file, line)
            return found
        payload = document.get("jsonPayload")
        if isinstance(payload, dict):
            if isinstance(payload.get("connection"), dict):
                return [_gcp_firewall_record(document, payload, file, line)]
            if "queryName" in payload:
                return [_dns_answer(document, payload, file, line)]
            raise _BadRecord("a Cloud Logging entry that is neither a firewall nor a DNS log")
        if "event" in document or "event_type" in document:
            return [_aws_record(document, file, line)]
    except RecursionError:  # a logEvents message of thousands of nested brackets
        raise _BadRecord("a logEvents message nested too deeply") from None
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        if isinstance(exc, _BadRecord):
            raise
        raise _BadRecord(f"unexpected shape ({type(exc).__name__}: {exc})") from None
    raise _BadRecord("a JSON object of no known log format (AWS Network Firewall, GCP firewall or DNS)")


def may_hold_dns(path: Path) -> bool:
    """Whether a file may hold Cloud DNS entries: its first line is a Cloud Logging entry (``jsonPayload``). Other
    files are not read a second time for the DNS pass."""
    for _, raw in lines(path):
        if raw is None or not raw.strip():
            continue
        return b'"jsonPayload"' in raw
    return False


def read_dns_answers(paths: list[Path]) -> Iterator[DnsAnswer]:
    """The Cloud DNS answers of the files that may hold them; other lines are only skimmed (bad ones are counted by
    the flow pass, not here)."""
    for path in paths:
        if not may_hold_dns(path):
            continue
        shown = plain_text(path)
        for number, raw in lines(path):
            if raw is None or b'"queryName"' not in raw:
                continue
            try:
                parsed = parse_line(raw, shown, number)
            except _BadRecord:
                continue
            yield from (item for item in parsed if isinstance(item, DnsAnswer))


def read_records(
    paths: list[Path], stats: ReadStats, progress: Progress | None = None
) -> Iterator[FlowRecord | DnsAnswer]:
    """Every flow and DNS answer of ``paths``, in file and line order; bad lines are counted in ``stats``.

    A file of which no line could be read (a binary file, a CSV) is an error naming it, not a run of skips.
    """
    for path in paths:
        shown = plain_text(path)
        good = bad = 0
        first_bad: BadLine | None = None
        for number, raw in lines(path, progress):
            stats.lines += 1
            if raw is None:
                problem = BadLine(shown, number, f"longer than {MAX_LINE_BYTES} bytes")
                parsed: list[Parsed] = []
            else:
                try:
                    parsed = parse_line(raw, shown, number)
                    problem = None
                except _BadRecord as exc:
                    problem = BadLine(shown, number, str(exc))
                    parsed = []
            if problem is not None:
                bad += 1
                first_bad = first_bad or problem
                stats.skip(problem)
                continue
            for item in parsed:
                if item is None:
                    continue
                good += 1
                if isinstance(item, DnsAnswer):
                    stats.dns_answers += 1
                else:
                    stats.records += 1
                yield item
        if bad and not good and first_bad is not None:
            raise LogError(
                f"{shown}: not a log this command reads (AWS Network Firewall, GCP firewall or Cloud DNS, Squid "
                f"access.log): line {first_bad.line}: {first_bad.reason}"
            )
