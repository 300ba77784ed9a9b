"""``sep-egress logs``: firewall and proxy logs explained in the catalog's terms.

The steps, in the order the data flows through them:

1. ``records``: what every reader produces (one flow, one DNS answer) and the bad-line report.
2. ``readers``: streamed, bounded reading of log files (gzip accepted), one parser per vendor format: AWS Network
   Firewall alert and flow logs, GCP firewall rules logging and Cloud DNS query logs, Squid's native access.log.
3. ``controls``: what a stack deploys, read from the compilers' own output: the sources of each role, the AWS guard
   rules (sid and msg) and the GCP default-deny rules (name and priority) that refuse, or in observe mode would.
4. ``classify``: a destination against the catalog and the selection: left out (and the change that allows it),
   an undeclared internal path, wider than SEP needs or a known non-SEP service, allowed now, or unknown.
5. ``report``: the flows grouped per source and destination, counts and first/last seen, the allowed summary,
   text/JSON/markdown, and the overlay proposed for unknown names.
6. ``sql``: the same classification as one SQL query for Athena or BigQuery, with the catalog inlined.

Everything here is pure (no Pulumi, no cloud SDK) and deterministic: the same logs give byte-identical output.
"""
