#!/usr/bin/env node
// An Envoy Metrics Service client that owes nothing to this repository's code: @grpc/grpc-js for
// the transport, @grpc/proto-loader (protobufjs) for the serializer, the OFFICIAL
// envoy/service/metrics/v3/metrics_service.proto as shipped in @grpc/grpc-js-xds, and the OFFICIAL
// io/prometheus/client/metrics.proto (proto2) that it imports, which that package does not ship:
// its include directory is given on the command line (the interop test takes it out of Debian's
// golang-github-prometheus-client-model-dev into the git-ignored artifacts/ folder).
//
// It plays the stats sinks of three Bookinfo sidecars, each stream on its own connection and its
// own StreamMetrics call, the identifier (the node) on the first message only, one message per
// stats flush, one family per stat and one metric per family stamped with the flush time, as
// Envoy's metrics service sink sends them:
//
//   default/productpage  productpage-v1-7f99cc4496-abcde  v3  flushes 1-3, flat stat names
//   default/productpage  productpage-v1-7f99cc4496-fghij  v3  flushes 1-2, tag-extracted names
//                                                              (emit_tags_as_labels); then Envoy
//                                                              restarts and, on a new stream
//                                                              once the first is over, flush 3
//   default/details      details-v1-65cfcf56f9-7xq2n      v2  flushes 2-3, flat stat names
//
// Every flush carries the server.* gauges; the productpage sidecars add the counters and gauges of
// their cluster outbound|9080||reviews.default.svc.cluster.local and the request time of their
// inbound listener as Istio's SUMMARY_AND_HISTOGRAM sends it (a summary family and a histogram
// family of the flush interval); details adds its inbound cluster. The figures are in `proxyStreams`
// below; the interop test derives what the API must answer from them by hand.
//
// Usage: node metrics-client.mjs <grpc address> <prometheus include dir>
//   (or ALS_GRPC_ADDRESS and ALS_PROMETHEUS_PROTOS), e.g.
//   node metrics-client.mjs http://127.0.0.1:11800 ../../artifacts/official-protos/prometheus-client-model
// The include dir holds io/prometheus/client/metrics.proto. Prints one JSON line on stdout with
// what was sent; exits non-zero on any error.

import fs from 'node:fs';
import path from 'node:path';
import protoLoader from '@grpc/proto-loader';
import grpc from '@grpc/grpc-js';
import {
  allFound, checkedSerialize, clientVersions, details, envoyIncludeDirs, loaderOptions, node, onPath, open, productpage,
  run, streamAll, target, workload,
} from './common.mjs';

const USAGE = 'usage: node metrics-client.mjs <grpc address> <prometheus include dir> (or set ALS_GRPC_ADDRESS and ALS_PROMETHEUS_PROTOS), '
  + 'e.g. http://127.0.0.1:11800 ../../artifacts/official-protos/prometheus-client-model';

// ---------------------------------------------------------------------------------------------
// The official protos: the Envoy metrics service from the npm package, the Prometheus client
// model from the include directory given.

const PROMETHEUS_PROTO = 'io/prometheus/client/metrics.proto';
const prometheusArgument = process.argv[3] ?? process.env.ALS_PROMETHEUS_PROTOS;
if (!prometheusArgument) {
  throw new Error(USAGE);
}
const prometheusDir = path.resolve(prometheusArgument);
const prometheusFile = path.join(prometheusDir, PROMETHEUS_PROTO);
if (!fs.existsSync(prometheusFile)) {
  throw new Error(`${prometheusFile} does not exist: the include dir must hold the official ${PROMETHEUS_PROTO}. ${USAGE}`);
}
const prometheusText = fs.readFileSync(prometheusFile, 'utf8');
if (!/^\s*syntax\s*=\s*"proto2"\s*;/m.test(prometheusText) || !/^\s*package\s+io\.prometheus\.client\s*;/m.test(prometheusText)) {
  throw new Error(`${prometheusFile} is not the official client model (proto2, package io.prometheus.client)`);
}
// Where it came from, when the test's cache says so (e.g. "golang-github-prometheus-client-model-dev 0.3.0-3").
const versionFile = path.join(prometheusDir, 'debian-package-version.txt');
const prometheusOrigin = fs.existsSync(versionFile) ? fs.readFileSync(versionFile, 'utf8').trim() : 'unknown';

// The Prometheus folder comes first, so that its metrics.proto is the one loaded even if the npm
// package ships one some day.
const options = loaderOptions([prometheusDir]);
const v3 = protoLoader.loadSync('envoy/service/metrics/v3/metrics_service.proto', options);
const v3Service = v3['envoy.service.metrics.v3.MetricsService'];
const messageType = v3['envoy.service.metrics.v3.StreamMetricsMessage'];
for (const [name, value] of [
  ['envoy.service.metrics.v3.MetricsService', v3Service?.StreamMetrics],
  ['envoy.service.metrics.v3.StreamMetricsMessage', messageType?.serialize],
  ['io.prometheus.client.MetricFamily', v3['io.prometheus.client.MetricFamily']?.serialize],
]) {
  if (!value) {
    throw new Error(`${name} is missing from the loaded package definition`);
  }
}

// The package ships envoy/service/metrics/v2/metrics_service.proto but not envoy/api/v2/core/base.proto
// that it imports, so the v2 service usually cannot be loaded. Its messages are wire compatible
// with v3 for every field sent here (the node's id, cluster, metadata and user_agent_name, and the
// Prometheus families, the same in both), so the v2 path is then served with the official v3
// message types; should the package ever ship envoy/api/v2, the official v2 types are used.
let v2Service;
let v2MessageType;
let v2Schema;
if (allFound(['envoy/api/v2/core/base.proto'], options.includeDirs)) {
  const v2 = protoLoader.loadSync('envoy/service/metrics/v2/metrics_service.proto', options);
  v2Service = v2['envoy.service.metrics.v2.MetricsService'];
  v2MessageType = v2['envoy.service.metrics.v2.StreamMetricsMessage'];
  v2Schema = 'envoy.service.metrics.v2 (official v2 messages)';
} else {
  v2Service = onPath(v3Service, 'envoy.service.metrics.v3', 'envoy.service.metrics.v2');
  v2MessageType = messageType;
  v2Schema = 'envoy.service.metrics.v3 messages on the v2 path (the package ships no envoy/api/v2)';
}

// ---------------------------------------------------------------------------------------------
// Stats flushes, as Envoy's metrics service sink sends them.

const REVIEWS = 'outbound|9080||reviews.default.svc.cluster.local';
const INBOUND = 'inbound|9080||';
const CLUSTER_LABEL = 'envoy.cluster_name';

// Envoy's default histogram quantiles and buckets (ms for request times).
const QUANTILES = [0, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.995, 0.999, 1];
const BUCKETS = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000];

/** Nearest rank: the smallest sample with at least q of the samples at or below it. */
function quantile(sorted, q) {
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)];
}

/**
 * One flush: the families of `stats`, each metric stamped with `timeMs`. With `tagsAsLabels`
 * (emit_tags_as_labels), per-cluster stats are named cluster.<stat> with the cluster in the
 * envoy.cluster_name label, distributions carry their tags as labels; otherwise every name is flat.
 */
function flushFamilies(stats, timeMs, tagsAsLabels) {
  const families = [];
  const add = (name, type, labels, value) => {
    const metric = { ...(labels.length > 0 ? { label: labels } : {}), ...value, timestamp_ms: String(timeMs) };
    families.push({ name, type, metric: [metric] });
  };
  const clusterStat = (cluster, stat) => (tagsAsLabels
    ? { name: `cluster.${stat}`, labels: [{ name: CLUSTER_LABEL, value: cluster }] }
    : { name: `cluster.${cluster}.${stat}`, labels: [] });

  // Envoy's order: counters, gauges, histograms.
  for (const [name, value] of Object.entries(stats.counters ?? {})) {
    add(name, 'COUNTER', [], { counter: { value } });
  }
  for (const [cluster, values] of Object.entries(stats.clusterCounters ?? {})) {
    for (const [stat, value] of Object.entries(values)) {
      const { name, labels } = clusterStat(cluster, stat);
      add(name, 'COUNTER', labels, { counter: { value } });
    }
  }
  for (const [name, value] of Object.entries(stats.gauges ?? {})) {
    add(name, 'GAUGE', [], { gauge: { value } });
  }
  for (const [cluster, values] of Object.entries(stats.clusterGauges ?? {})) {
    for (const [stat, value] of Object.entries(values)) {
      const { name, labels } = clusterStat(cluster, stat);
      add(name, 'GAUGE', labels, { gauge: { value } });
    }
  }
  // Istio's SUMMARY_AND_HISTOGRAM: the flush interval's samples, as a summary and as a histogram.
  for (const d of stats.distributions ?? []) {
    const name = tagsAsLabels ? d.taggedName : d.flatName;
    const labels = tagsAsLabels ? Object.entries(d.tags).map(([k, v]) => ({ name: k, value: v })) : [];
    const sorted = [...d.samples].sort((a, b) => a - b);
    const count = String(sorted.length);
    const sum = sorted.reduce((s, v) => s + v, 0);
    add(name, 'SUMMARY', labels, {
      summary: { sample_count: count, sample_sum: sum, quantile: QUANTILES.map((q) => ({ quantile: q, value: quantile(sorted, q) })) },
    });
    add(name, 'HISTOGRAM', labels, {
      histogram: {
        sample_count: count,
        sample_sum: sum,
        bucket: BUCKETS.map((bound) => ({ upper_bound: bound, cumulative_count: String(sorted.filter((v) => v <= bound).length) })),
      },
    });
  }
  return families;
}

const server = (allocated, heap, physical, connections, concurrency, uptime) => ({
  'server.memory_allocated': allocated,
  'server.memory_heap_size': heap,
  'server.memory_physical_size': physical,
  'server.total_connections': connections,
  'server.concurrency': concurrency,
  'server.uptime': uptime,
});
const reviewsCounters = (total, retry, pendingOverflow, timeout, connectFail) => ({
  [REVIEWS]: {
    upstream_rq_total: total,
    upstream_rq_retry: retry,
    upstream_rq_pending_overflow: pendingOverflow,
    upstream_rq_timeout: timeout,
    upstream_cx_connect_fail: connectFail,
  },
});
const reviewsGauges = (active, pendingActive, cxActive, healthy, members) => ({
  [REVIEWS]: {
    upstream_rq_active: active,
    upstream_rq_pending_active: pendingActive,
    upstream_cx_active: cxActive,
    membership_healthy: healthy,
    membership_total: members,
  },
});
const requestTime = (samples) => ({
  flatName: 'http.inbound_0.0.0.0_9080.downstream_rq_time',
  taggedName: 'http.downstream_rq_time',
  tags: { 'envoy.http_conn_manager_prefix': 'inbound_0.0.0.0_9080' },
  samples,
});

// A second productpage pod.
const productpage2 = workload('default', 'productpage', 'v1', 'productpage-v1-7f99cc4496-fghij', '10.244.1.16', 'bookinfo-productpage');

/**
 * One stream of one proxy: its identity, the service path it streams on, how it names stats, its
 * flushes (flush `firstFlush` on, of FLUSHES), and the phase it streams in: a restarted Envoy opens
 * a new stream, after its old one ended.
 */
const proxyStreams = [
  {
    role: 'sidecar', workload: productpage, api: 'v3', tagsAsLabels: false, phase: 1, firstFlush: 0,
    flushes: [
      {
        gauges: server(5_000_000, 8_000_000, 9_000_000, 12, 2, 3600),
        counters: { 'listener.0.0.0.0_15006.downstream_cx_total': 100 },
        clusterCounters: reviewsCounters(1000, 5, 0, 1, 0),
        clusterGauges: reviewsGauges(3, 0, 10, 2, 2),
        distributions: [requestTime([1, 2, 3, 3, 4, 5, 6, 8, 10, 13])],
      },
      {
        gauges: server(5_200_000, 8_000_000, 9_100_000, 14, 2, 3605),
        counters: { 'listener.0.0.0.0_15006.downstream_cx_total': 110 },
        clusterCounters: reviewsCounters(1100, 7, 3, 1, 0),
        clusterGauges: reviewsGauges(4, 1, 11, 2, 3),
        distributions: [requestTime([1, 2, 2, 3, 4, 4, 5, 6, 7, 9, 12, 15])],
      },
      {
        gauges: server(5_300_000, 8_000_000, 9_200_000, 13, 2, 3610),
        counters: { 'listener.0.0.0.0_15006.downstream_cx_total': 120 },
        clusterCounters: reviewsCounters(1250, 8, 4, 2, 1),
        clusterGauges: reviewsGauges(5, 0, 12, 2, 3),
        distributions: [requestTime([13, 1, 9, 2, 6, 2, 4, 3])],
      },
    ],
  },
  {
    role: 'sidecar', workload: productpage2, api: 'v3', tagsAsLabels: true, phase: 1, firstFlush: 0,
    flushes: [
      {
        gauges: server(6_000_000, 8_388_608, 10_000_000, 7, 2, 7200),
        clusterCounters: reviewsCounters(400, 2, 1, 0, 0),
        clusterGauges: reviewsGauges(2, 0, 3, 2, 3),
        distributions: [requestTime([5, 7, 9, 20])],
      },
      {
        gauges: server(6_100_000, 8_388_608, 10_100_000, 8, 2, 7205),
        clusterCounters: reviewsCounters(460, 3, 2, 0, 2),
        clusterGauges: reviewsGauges(3, 1, 4, 2, 3),
        distributions: [requestTime([4, 6, 6, 8, 11, 30])],
      },
    ],
  },
  {
    // The same proxy after Envoy restarted: a new stream, its counters from zero again (uptime too).
    role: 'sidecar', workload: productpage2, api: 'v3', tagsAsLabels: true, phase: 2, firstFlush: 2,
    flushes: [
      {
        gauges: server(4_000_000, 4_194_304, 6_000_000, 2, 2, 3),
        clusterCounters: reviewsCounters(30, 1, 1, 0, 0),
        clusterGauges: reviewsGauges(2, 1, 4, 2, 3),
        distributions: [requestTime([7, 3, 5])],
      },
    ],
  },
  {
    // An older Envoy, on the v2 service.
    role: 'sidecar', workload: details, api: 'v2', tagsAsLabels: false, phase: 1, firstFlush: 1,
    flushes: [
      {
        gauges: server(4_500_000, 6_000_000, 7_000_000, 5, 4, 86400),
        clusterCounters: { [INBOUND]: { upstream_rq_total: 700 } },
        clusterGauges: { [INBOUND]: { upstream_cx_active: 3 } },
      },
      {
        gauges: server(4_600_000, 6_000_000, 7_100_000, 6, 4, 86405),
        clusterCounters: { [INBOUND]: { upstream_rq_total: 711 } },
        clusterGauges: { [INBOUND]: { upstream_cx_active: 2 } },
      },
    ],
  },
];

const FLUSHES = 3;
const FLUSH_INTERVAL_MS = 5_000;

/** The messages of one stream, one per flush (the last flush is now): the identifier on the first only. */
function messagesOf(proxy, nowMs) {
  const start = nowMs - ((FLUSHES - 1) * FLUSH_INTERVAL_MS);
  const messages = proxy.flushes.map((stats, i) => ({
    envoy_metrics: flushFamilies(stats, start + ((proxy.firstFlush + i) * FLUSH_INTERVAL_MS), proxy.tagsAsLabels),
  }));
  messages[0].identifier = { node: node(proxy.role, proxy.workload) };
  return messages;
}

// ---------------------------------------------------------------------------------------------
// Streaming.

const serverTarget = target(process.argv[2] ?? process.env.ALS_GRPC_ADDRESS, USAGE);
const V3Client = grpc.makeGenericClientConstructor(v3Service, 'MetricsService');
const V2Client = grpc.makeGenericClientConstructor(v2Service, 'MetricsService');

const familiesOf = (messages) => messages.reduce((sum, m) => sum + m.envoy_metrics.length, 0);
const samplesOf = (messages) => messages.reduce((sum, m) => sum + m.envoy_metrics.reduce((s, f) => s + f.metric.length, 0), 0);

async function main() {
  const nowMs = Date.now();
  const prepared = proxyStreams.map((proxy) => {
    const messages = messagesOf(proxy, nowMs);
    const type = proxy.api === 'v2' ? v2MessageType : messageType;
    messages.forEach((message, i) => checkedSerialize(type, message, `${proxy.workload.pod} (phase ${proxy.phase}) message ${i}`));
    return { proxy, messages };
  });

  // Phase 1: every proxy at once; phase 2: the restarted proxy's new stream, its old one over.
  for (const phase of [1, 2]) {
    const streams = prepared.filter((s) => s.proxy.phase === phase).map((s) => {
      const what = `${s.proxy.api} metrics stream of ${s.proxy.workload.ns}/${s.proxy.workload.pod} (phase ${phase})`;
      return { ...s, ...open(s.proxy.api === 'v2' ? V2Client : V3Client, 'StreamMetrics', serverTarget, what) };
    });
    await streamAll(streams);
  }

  const summary = {
    client: clientVersions(),
    prometheus: {
      includeDir: prometheusDir,
      origin: prometheusOrigin,
      syntax: 'proto2',
      shippedByNpmPackage: allFound([PROMETHEUS_PROTO], envoyIncludeDirs),
    },
    v2Schema,
    streams: prepared.map((s) => ({
      api: s.proxy.api,
      node: node(s.proxy.role, s.proxy.workload).id,
      phase: s.proxy.phase,
      tagsAsLabels: s.proxy.tagsAsLabels,
      messages: s.messages.length,
      families: familiesOf(s.messages),
      samples: samplesOf(s.messages),
    })),
    messages: prepared.reduce((sum, s) => sum + s.messages.length, 0),
    families: prepared.reduce((sum, s) => sum + familiesOf(s.messages), 0),
    samples: prepared.reduce((sum, s) => sum + samplesOf(s.messages), 0),
  };
  process.stdout.write(JSON.stringify(summary) + '\n');
}

await run('metrics-client', main);
