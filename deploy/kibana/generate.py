#!/usr/bin/env python3
"""Writes bts-infra.ndjson: Kibana saved objects for the Elasticsearch output (docs/outputs.md).

Usage: deploy/kibana/generate.py [PREFIX] > deploy/kibana/bts-infra.ndjson
PREFIX is the output's index prefix (default bts-infra). The objects use the legacy
"visualization" type (visState), which Kibana 7.10+ and 8.x import and migrate, and which
OpenSearch Dashboards 1/2 import unchanged. tests/outputs/kibana_test.cpp checks the file.
"""
import json
import sys

PREFIX = sys.argv[1] if len(sys.argv) > 1 else "bts-infra"
STATS_PATTERN = PREFIX + "-stats"
EVENTS_PATTERN = PREFIX + "-events"
RUN_ROWS = "scope : \"run\" and record : \"second\""
RUN_REJECTIONS = "scope : \"run\" and record : \"rejection\""
# Per-node load: one record per node and second. Every scope: the charts take the maximum, which
# a merged row's node (the maximum over its beacons) and the beacons' own rows agree on.
NODE_LOAD = "record : \"node_load\""


def dumps(v):
    return json.dumps(v, separators=(",", ":"))


def index_pattern(pid, title):
    return {
        "id": pid,
        "type": "index-pattern",
        "migrationVersion": {"index-pattern": "7.6.0"},
        "attributes": {"title": title, "timeFieldName": "@timestamp"},
        "references": [],
    }


def search_source(query):
    return dumps({
        "query": {"query": query, "language": "kuery"},
        "filter": [],
        "indexRefName": "kibanaSavedObjectMeta.searchSourceJSON.index",
    })


def xy(vid, title, kind, axis_title, metrics, query, split=None, stacked=False):
    """A line or bar chart over @timestamp. metrics: [(agg, field, label)]."""
    aggs = []
    series = []
    for i, (agg, field, label) in enumerate(metrics, start=1):
        aggs.append({"id": str(i), "enabled": True, "type": agg, "schema": "metric",
                     "params": {"field": field, "customLabel": label}})
        series.append({"show": True, "type": kind, "mode": "stacked" if stacked else "normal",
                       "data": {"label": label, "id": str(i)}, "valueAxis": "ValueAxis-1",
                       "drawLinesBetweenPoints": True, "lineWidth": 2, "interpolate": "linear",
                       "showCircles": False})
    aggs.append({"id": str(len(metrics) + 1), "enabled": True, "type": "date_histogram",
                 "schema": "segment",
                 "params": {"field": "@timestamp", "interval": "auto", "min_doc_count": 1,
                            "extended_bounds": {}}})
    if split:
        aggs.append({"id": str(len(metrics) + 2), "enabled": True, "type": "terms",
                     "schema": "group",
                     "params": {"field": split, "size": 10, "order": "desc", "orderBy": "1",
                                "otherBucket": True, "otherBucketLabel": "other",
                                "missingBucket": False}})
    vis_state = {
        "title": title,
        "type": kind,
        "aggs": aggs,
        "params": {
            "type": kind,
            "grid": {"categoryLines": False},
            "categoryAxes": [{"id": "CategoryAxis-1", "type": "category", "position": "bottom",
                              "show": True, "style": {}, "scale": {"type": "linear"},
                              "labels": {"show": True, "filter": True, "truncate": 100},
                              "title": {}}],
            "valueAxes": [{"id": "ValueAxis-1", "name": "LeftAxis-1", "type": "value",
                           "position": "left", "show": True, "style": {},
                           "scale": {"type": "linear", "mode": "normal"},
                           "labels": {"show": True, "rotate": 0, "filter": False,
                                      "truncate": 100},
                           "title": {"text": axis_title}}],
            "seriesParams": series,
            "addTooltip": True,
            "addLegend": True,
            "legendPosition": "right",
            "times": [],
            "addTimeMarker": False,
            "thresholdLine": {"show": False, "value": 10, "width": 1, "style": "full",
                              "color": "#E7664C"},
            "labels": {},
        },
    }
    return {
        "id": vid,
        "type": "visualization",
        "migrationVersion": {"visualization": "7.10.0"},
        "attributes": {
            "title": title,
            "description": "",
            "uiStateJSON": "{}",
            "version": 1,
            "visState": dumps(vis_state),
            "kibanaSavedObjectMeta": {"searchSourceJSON": search_source(query)},
        },
        "references": [{"name": "kibanaSavedObjectMeta.searchSourceJSON.index",
                        "type": "index-pattern", "id": STATS_PATTERN}],
    }


objects = [
    index_pattern(STATS_PATTERN, PREFIX + "-stats-*"),
    index_pattern(EVENTS_PATTERN, PREFIX + "-events-*"),
    # One run-level row per second, so the average over a bucket is the rate in tx/s.
    xy(PREFIX + "-vis-throughput", "bts-infra: transactions per second", "line", "tx/s",
       [("avg", "offered", "offered"), ("avg", "sent", "sent"), ("avg", "accepted", "accepted"),
        ("avg", "included", "included")], RUN_ROWS),
    xy(PREFIX + "-vis-inclusion-latency", "bts-infra: inclusion latency (corrected)", "line",
       "microseconds",
       [("avg", "latency_us.inclusion_corrected.p50", "p50 (mean of seconds)"),
        ("max", "latency_us.inclusion_corrected.p99", "p99 (worst second)")], RUN_ROWS),
    xy(PREFIX + "-vis-rejections", "bts-infra: rejections by reason", "histogram",
       "rejections per interval", [("sum", "count", "rejections")], RUN_REJECTIONS,
       split="reason", stacked=True),
    xy(PREFIX + "-vis-errors", "bts-infra: errors per second", "line", "per second",
       [("avg", "rejected", "rejected"), ("avg", "timeouts", "timeouts"),
        ("avg", "expired", "expired"), ("avg", "pool_misses", "pool misses"),
        ("avg", "disconnects", "disconnects")], RUN_ROWS),
    xy(PREFIX + "-vis-cpu", "bts-infra: CPU (% of one core)", "line", "% of one core",
       [("max", "node_cpu_percent", "node"), ("max", "beacon_cpu_percent", "beacon"),
        ("max", "send_cpu_percent", "send thread")], RUN_ROWS),
    xy(PREFIX + "-vis-in-flight", "bts-infra: in flight and schedule lag", "line",
       "transactions / microseconds",
       [("avg", "in_flight", "in flight"),
        ("max", "latency_us.schedule_lag.p99", "schedule lag p99 (µs)")], RUN_ROWS),
    xy(PREFIX + "-vis-node-cpu", "bts-infra: node CPU by node (% of one core)", "line",
       "% of one core", [("max", "cpu_percent", "CPU")], NODE_LOAD, split="node"),
    xy(PREFIX + "-vis-node-memory", "bts-infra: node memory by node", "line", "bytes",
       [("max", "memory_bytes", "memory")], NODE_LOAD, split="node"),
    xy(PREFIX + "-vis-node-network", "bts-infra: node network by node", "line",
       "bytes per second",
       [("max", "net_rx_bytes_per_s", "received"), ("max", "net_tx_bytes_per_s", "sent")],
       NODE_LOAD, split="node"),
    xy(PREFIX + "-vis-node-disk", "bts-infra: node disk by node", "line", "bytes per second",
       [("max", "disk_read_bytes_per_s", "read"), ("max", "disk_write_bytes_per_s", "written")],
       NODE_LOAD, split="node"),
    {
        "id": PREFIX + "-search-events",
        "type": "search",
        "migrationVersion": {"search": "7.9.3"},
        "attributes": {
            "title": "bts-infra: run events",
            "description": "start, stop, rate changes, errors, break points",
            "hits": 0,
            "columns": ["run", "beacon", "kind", "data"],
            "sort": [["@timestamp", "desc"]],
            "version": 1,
            "kibanaSavedObjectMeta": {"searchSourceJSON": dumps({
                "query": {"query": "", "language": "kuery"}, "filter": [],
                "indexRefName": "kibanaSavedObjectMeta.searchSourceJSON.index"})},
        },
        "references": [{"name": "kibanaSavedObjectMeta.searchSourceJSON.index",
                        "type": "index-pattern", "id": EVENTS_PATTERN}],
    },
]

layout = [  # (object, x, y, w, h) on Kibana's 48-column grid
    (PREFIX + "-vis-throughput", 0, 0, 24, 15),
    (PREFIX + "-vis-inclusion-latency", 24, 0, 24, 15),
    (PREFIX + "-vis-rejections", 0, 15, 24, 15),
    (PREFIX + "-vis-errors", 24, 15, 24, 15),
    (PREFIX + "-vis-cpu", 0, 30, 24, 15),
    (PREFIX + "-vis-in-flight", 24, 30, 24, 15),
    (PREFIX + "-vis-node-cpu", 0, 45, 24, 15),
    (PREFIX + "-vis-node-memory", 24, 45, 24, 15),
    (PREFIX + "-vis-node-network", 0, 60, 24, 15),
    (PREFIX + "-vis-node-disk", 24, 60, 24, 15),
    (PREFIX + "-search-events", 0, 75, 48, 15),
]
types = {o["id"]: o["type"] for o in objects}
panels = []
references = []
for n, (oid, x, y, w, h) in enumerate(layout):
    panels.append({"version": "7.10.0", "type": types[oid],
                   "gridData": {"x": x, "y": y, "w": w, "h": h, "i": str(n + 1)},
                   "panelIndex": str(n + 1), "embeddableConfig": {},
                   "panelRefName": "panel_%d" % n})
    references.append({"name": "panel_%d" % n, "type": types[oid], "id": oid})
objects.append({
    "id": PREFIX + "-dashboard-live",
    "type": "dashboard",
    "migrationVersion": {"dashboard": "7.9.3"},
    "attributes": {
        "title": "bts-infra: run live view",
        "description": "The overseer's live view from the Elasticsearch output. Filter on "
                       "run : \"<run id>\" when several runs overlap.",
        "hits": 0,
        "timeRestore": True,
        "timeFrom": "now-15m",
        "timeTo": "now",
        "refreshInterval": {"pause": False, "value": 5000},
        "optionsJSON": dumps({"useMargins": True, "hidePanelTitles": False}),
        "panelsJSON": dumps(panels),
        "version": 1,
        "kibanaSavedObjectMeta": {"searchSourceJSON": dumps({
            "query": {"query": "", "language": "kuery"}, "filter": []})},
    },
    "references": references,
})

for o in objects:
    print(dumps(o))
