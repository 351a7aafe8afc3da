#!/usr/bin/env node
// An Envoy Access Log Service client that owes nothing to this repository's code: @grpc/grpc-js
// for the transport, @grpc/proto-loader (protobufjs) for the serializer, and the OFFICIAL Envoy
// protos as shipped in the @grpc/grpc-js-xds package (deps/envoy-api, deps/xds,
// deps/protoc-gen-validate, deps/googleapis). What it shares with metrics-client.mjs (the checked
// serializer, the mesh's workloads and nodes, streaming) is in common.mjs.
//
// It plays the proxies of a small Istio mesh (Bookinfo behind an ingress gateway) for one
// deterministic scenario and streams what each proxy would log, every proxy on its own
// connection and stream, the identifier on each stream's first message only:
//
//   outside -> istio-system/istio-ingressgateway -> default/productpage   12 GET, one 503
//   default/productpage -> default/reviews (v1 x6, v2 x6)                  12 GET, one 500
//   default/productpage -> default/reviews (v1)                             1 gRPC call
//   default/productpage -> default/details                                 11 GET + one call
//                                                                            that got no response (UF)
//   default/reviews (v2) -> default/ratings                                 6 GET
//   default/productpage -> default/mysql                                    2 TCP connections
//
// Every call is logged by the caller's sidecar (or the gateway) and by the callee's sidecar,
// except the UF call, which never reached details. The details sidecar is an older Envoy that
// streams on the v2 service, envoy.service.accesslog.v2.AccessLogService.
//
// Usage: node als-client.mjs <grpc address>   (or ALS_GRPC_ADDRESS), e.g. http://127.0.0.1:11800
// Prints one JSON line on stdout with what was sent; exits non-zero on any error.

import { randomUUID } from 'node:crypto';
import protoLoader from '@grpc/proto-loader';
import grpc from '@grpc/grpc-js';
import {
  allFound, checkedSerialize, clientVersions, details, gateway, labelsOf, loaderOptions, mysql, node, onPath, open,
  productpage, ratings, reviewsV1, reviewsV2, run, spiffe, streamAll, struct, target,
} from './common.mjs';

// ---------------------------------------------------------------------------------------------
// The official protos, loaded by proto-loader.

const options = loaderOptions();
const v3 = protoLoader.loadSync('envoy/service/accesslog/v3/als.proto', options);
const v3Service = v3['envoy.service.accesslog.v3.AccessLogService'];

// The package ships envoy/service/accesslog/v2/als.proto but not the envoy/api/v2 files it
// imports, so the v2 service usually cannot be loaded. Its messages are wire compatible with v3
// for every field sent here (the v2 entries below use only fields that v2 has), so the v2 path
// is then served with the official v3 message types; should the package ever ship envoy/api/v2,
// the official v2 types are used.
let v2Service;
let v2MessageType;
let v2Schema;
if (allFound(['envoy/api/v2/core/base.proto', 'envoy/api/v2/core/address.proto'], options.includeDirs)) {
  const v2 = protoLoader.loadSync('envoy/service/accesslog/v2/als.proto', options);
  v2Service = v2['envoy.service.accesslog.v2.AccessLogService'];
  v2MessageType = v2['envoy.service.accesslog.v2.StreamAccessLogsMessage'];
  v2Schema = 'envoy.service.accesslog.v2 (official v2 messages)';
} else {
  v2Service = onPath(v3Service, 'envoy.service.accesslog.v3', 'envoy.service.accesslog.v2');
  v2MessageType = v3['envoy.service.accesslog.v3.StreamAccessLogsMessage'];
  v2Schema = 'envoy.service.accesslog.v3 messages on the v2 path (the package ships no envoy/api/v2)';
}

// google.protobuf.Struct, as protobufjs (through proto-loader) defines it, for the peer
// metadata that Istio logs in filter state as an Any.
const structType = v3['google.protobuf.Struct'];
const messageType = v3['envoy.service.accesslog.v3.StreamAccessLogsMessage'];
for (const [name, type] of [['google.protobuf.Struct', structType], ['envoy.service.accesslog.v3.StreamAccessLogsMessage', messageType]]) {
  if (!type || typeof type.serialize !== 'function') {
    throw new Error(`${name} is missing from the loaded package definition`);
  }
}

// ---------------------------------------------------------------------------------------------
// The mesh: the workloads of common.mjs, the address of the outside caller, the service IPs.

const EXTERNAL_CLIENT_IP = '203.0.113.7';
const CLUSTER_IPS = { productpage: '10.96.12.40', reviews: '10.96.12.41', details: '10.96.12.42', ratings: '10.96.12.43', mysql: '10.96.12.44' };

/** Istio >= 1.24 peer metadata: a Struct with lower-case keys, packed in an Any. */
function peerAny(w) {
  const peer = struct({
    type: 'deployment',
    workload: w.workloadName,
    name: w.pod,
    cluster: 'Kubernetes',
    namespace: w.ns,
    service: w.service,
    revision: w.version,
    app: w.service,
    version: w.version,
    identity: spiffe(w),
    labels: labelsOf(w),
  });
  return { type_url: 'type.googleapis.com/google.protobuf.Struct', value: checkedSerialize(structType, peer, `peer ${w.ns}/${w.pod}`) };
}

// ---------------------------------------------------------------------------------------------
// Access log entries, as Istio's proxies write them.

const startMillis = Date.now();
let ephemeralPort = 40000;

const socket = (ip, port) => ({ socket_address: { address: ip, port_value: port } });
const timestamp = (millis) => ({ seconds: String(Math.floor(millis / 1000)), nanos: (millis % 1000) * 1_000_000 });
const duration = (micros) => ({ seconds: String(Math.floor(micros / 1_000_000)), nanos: (micros % 1_000_000) * 1000 });

/** Server side TLS: Istio's mutual TLS, our certificate and the caller's, both with a SPIFFE URI SAN. */
function mutualTls(source, destination, port) {
  return {
    tls_version: 'TLSv1_3',
    tls_cipher_suite: { value: 0x1301 },
    tls_sni_hostname: `outbound_.${port}_._.${destination.service}.${destination.ns}.svc.cluster.local`,
    local_certificate_properties: { subject_alt_name: [{ uri: spiffe(destination) }] },
    peer_certificate_properties: { subject_alt_name: [{ uri: spiffe(source) }] },
  };
}

/**
 * One HTTP call as one proxy logged it.
 * side: 'client' (the caller's sidecar), 'server' (the callee's sidecar) or 'gateway' (a router:
 * downstream is the outside caller, upstream the destination).
 */
function httpEntry(side, call, { v2 = false } = {}) {
  const { source, destination, port, method, path: requestPath, status, grpcCall } = call;
  const latencyMicros = side === 'server' ? call.serverLatencyMicros : call.clientLatencyMicros;
  const callerIp = side === 'gateway' ? EXTERNAL_CLIENT_IP : source.ip;
  const callerPort = ephemeralPort++;
  const common = {
    sample_rate: 1,
    start_time: timestamp(startMillis),
    time_to_last_rx_byte: duration(Math.floor(latencyMicros / 10)),
    time_to_first_upstream_tx_byte: duration(Math.floor(latencyMicros / 8)),
    time_to_last_downstream_tx_byte: duration(latencyMicros),
    downstream_remote_address: socket(callerIp, callerPort),
    downstream_direct_remote_address: socket(callerIp, callerPort),
    upstream_remote_address: socket(destination.ip, port),
    route_name: 'default',
    filter_state_objects: {},
  };
  if (!v2) {
    // AccessLogCommon.duration is v3 only.
    common.duration = duration(latencyMicros);
  }

  if (side === 'server') {
    common.upstream_cluster = `inbound|${port}||`;
    common.downstream_local_address = socket(destination.ip, port);
    common.upstream_local_address = socket('127.0.0.6', ephemeralPort++);
    common.filter_state_objects.downstream_peer = peerAny(source);
    common.tls_properties = mutualTls(source, destination, port);
  } else {
    common.upstream_cluster = `outbound|${port}||${destination.service}.${destination.ns}.svc.cluster.local`;
    common.downstream_local_address = side === 'gateway' ? socket(gateway.ip, 8080) : socket(CLUSTER_IPS[destination.service], port);
    common.upstream_local_address = socket(side === 'gateway' ? gateway.ip : source.ip, ephemeralPort++);
    common.filter_state_objects.upstream_peer = peerAny(destination);
  }

  if (call.flags) {
    common.response_flags = call.flags;
    common.upstream_transport_failure_reason = 'delayed connect error: 111';
  }

  const responded = status !== 0;
  const ok = status >= 200 && status < 400;
  const entry = {
    common_properties: common,
    protocol_version: grpcCall ? 'HTTP2' : 'HTTP11',
    request: {
      request_method: method,
      scheme: 'http',
      authority: side === 'gateway' ? 'bookinfo.example.com' : `${destination.service}:${port}`,
      path: requestPath,
      user_agent: grpcCall ? 'grpc-python/1.62.1' : side === 'gateway' ? 'Mozilla/5.0' : 'python-requests/2.31.0',
      request_id: randomUUID(),
      request_headers_bytes: call.requestHeadersBytes,
      request_body_bytes: call.requestBodyBytes,
      ...(side === 'gateway' ? { forwarded_for: EXTERNAL_CLIENT_IP } : {}),
    },
    response: {
      response_headers_bytes: responded ? (ok ? 200 : 120) : 0,
      response_body_bytes: responded ? (ok ? call.responseBodyBytes : 30) : 0,
      response_code_details: responded ? 'via_upstream' : 'upstream_reset_before_response_started{connection_failure}',
    },
  };
  if (responded) {
    entry.response.response_code = { value: status };
  }

  return entry;
}

/** One TCP connection as one sidecar logged it (access_log_type says which log of the connection). */
function tcpEntry(side, connection, accessLogType, received, sent) {
  const { source, destination, port } = connection;
  const common = {
    sample_rate: 1,
    start_time: timestamp(startMillis - connection.durationMicros / 1000),
    duration: duration(connection.durationMicros),
    downstream_remote_address: socket(source.ip, connection.sourcePort),
    downstream_direct_remote_address: socket(source.ip, connection.sourcePort),
    upstream_remote_address: socket(destination.ip, port),
    access_log_type: accessLogType,
    intermediate_log_entry: accessLogType !== 'TcpConnectionEnd',
    filter_state_objects: {},
  };
  if (side === 'server') {
    common.upstream_cluster = `inbound|${port}||`;
    common.downstream_local_address = socket(destination.ip, port);
    common.upstream_local_address = socket('127.0.0.6', connection.sourcePort + 1);
    common.filter_state_objects.downstream_peer = peerAny(source);
    common.tls_properties = mutualTls(source, destination, port);
  } else {
    common.upstream_cluster = `outbound|${port}||${destination.service}.${destination.ns}.svc.cluster.local`;
    common.downstream_local_address = socket(CLUSTER_IPS[destination.service], port);
    common.upstream_local_address = socket(source.ip, connection.sourcePort + 2);
    common.filter_state_objects.upstream_peer = peerAny(destination);
  }

  // received_bytes: from the downstream (the caller); sent_bytes: back to it.
  return { common_properties: common, connection_properties: { received_bytes: String(received), sent_bytes: String(sent) } };
}

// ---------------------------------------------------------------------------------------------
// The scenario.

const ms = (n) => n * 1000;

function calls(count, template, statusAt = () => 200) {
  return Array.from({ length: count }, (_, i) => ({
    port: 9080,
    method: 'GET',
    requestHeadersBytes: 300,
    requestBodyBytes: 0,
    ...template,
    status: statusAt(i),
  }));
}

const ingress = calls(12, { source: gateway, destination: productpage, path: '/productpage', responseBodyBytes: 5000, clientLatencyMicros: ms(22), serverLatencyMicros: ms(20) },
  (i) => (i === 7 ? 503 : 200));
const toReviewsV1 = calls(6, { source: productpage, destination: reviewsV1, path: '/reviews/0', responseBodyBytes: 400, clientLatencyMicros: ms(9), serverLatencyMicros: ms(8) });
const toReviewsV2 = calls(6, { source: productpage, destination: reviewsV2, path: '/reviews/0', responseBodyBytes: 400, clientLatencyMicros: ms(9), serverLatencyMicros: ms(8) },
  (i) => (i === 3 ? 500 : 200));
const grpcToReviews = calls(1, {
  source: productpage, destination: reviewsV1, method: 'POST', path: '/reviews.Reviews/Get', grpcCall: true,
  requestHeadersBytes: 250, requestBodyBytes: 12, responseBodyBytes: 45, clientLatencyMicros: ms(6), serverLatencyMicros: ms(5),
});
const toDetails = calls(11, { source: productpage, destination: details, path: '/details/0', responseBodyBytes: 180, clientLatencyMicros: ms(4), serverLatencyMicros: ms(3) });
const toDetailsFailed = calls(1, {
  source: productpage, destination: details, path: '/details/0', responseBodyBytes: 0, clientLatencyMicros: ms(1),
  flags: { upstream_connection_failure: true },
}, () => 0);
const toRatings = calls(6, { source: reviewsV2, destination: ratings, path: '/ratings/0', responseBodyBytes: 60, clientLatencyMicros: ms(3), serverLatencyMicros: ms(2) });
const toMysql = [
  { source: productpage, destination: mysql, port: 3306, sourcePort: 51000, durationMicros: ms(2000), received: 5000, sent: 700 },
  { source: productpage, destination: mysql, port: 3306, sourcePort: 51010, durationMicros: ms(1500), received: 3000, sent: 400 },
];

/** One proxy: its identity, the service path it streams on, and the entries it logged. */
const proxies = [
  {
    role: 'router', workload: gateway, api: 'v3',
    http: ingress.map((c) => httpEntry('gateway', c)),
    tcp: [],
  },
  {
    role: 'sidecar', workload: productpage, api: 'v3',
    http: [
      ...ingress.map((c) => httpEntry('server', c)),
      ...[...toReviewsV1, ...toReviewsV2, ...grpcToReviews, ...toDetails, ...toDetailsFailed].map((c) => httpEntry('client', c)),
    ],
    tcp: toMysql.map((c) => tcpEntry('client', c, 'TcpConnectionEnd', c.received, c.sent)),
  },
  {
    role: 'sidecar', workload: reviewsV1, api: 'v3',
    http: [...toReviewsV1, ...grpcToReviews].map((c) => httpEntry('server', c)),
    tcp: [],
  },
  {
    role: 'sidecar', workload: reviewsV2, api: 'v3',
    http: [...toReviewsV2.map((c) => httpEntry('server', c)), ...toRatings.map((c) => httpEntry('client', c))],
    tcp: [],
  },
  {
    role: 'sidecar', workload: ratings, api: 'v3',
    http: toRatings.map((c) => httpEntry('server', c)),
    tcp: [],
  },
  {
    role: 'sidecar', workload: mysql, api: 'v3',
    http: [],
    tcp: [
      // A periodic log of the first connection (cumulative bytes so far), then both ends.
      tcpEntry('server', toMysql[0], 'TcpPeriodic', 2000, 300),
      ...toMysql.map((c) => tcpEntry('server', c, 'TcpConnectionEnd', c.received, c.sent)),
    ],
  },
  {
    role: 'sidecar', workload: details, api: 'v2',
    http: toDetails.map((c) => httpEntry('server', c, { v2: true })),
    tcp: [],
  },
];

/** Splits entries into at least two batches of at most eight. */
function batches(entries) {
  if (entries.length === 0) {
    return [];
  }
  const count = Math.max(2, Math.ceil(entries.length / 8));
  const size = Math.ceil(entries.length / count);
  const result = [];
  for (let i = 0; i < entries.length; i += size) {
    result.push(entries.slice(i, i + size));
  }
  return result;
}

/** The messages of one proxy's stream: the identifier on the first message only. */
function messagesOf(proxy) {
  const messages = [
    ...batches(proxy.http).map((entries) => ({ http_logs: { log_entry: entries } })),
    ...batches(proxy.tcp).map((entries) => ({ tcp_logs: { log_entry: entries } })),
  ];
  messages[0].identifier = { node: node(proxy.role, proxy.workload), log_name: 'envoy_accesslog_service' };
  return messages;
}

// ---------------------------------------------------------------------------------------------
// Streaming.

const serverTarget = target(
  process.argv[2] ?? process.env.ALS_GRPC_ADDRESS,
  'usage: node als-client.mjs <grpc address> (or set ALS_GRPC_ADDRESS), e.g. http://127.0.0.1:11800');
const V3Client = grpc.makeGenericClientConstructor(v3Service, 'AccessLogService');
const V2Client = grpc.makeGenericClientConstructor(v2Service, 'AccessLogService');

async function main() {
  const streams = proxies.map((proxy) => {
    const messages = messagesOf(proxy);
    const type = proxy.api === 'v2' ? v2MessageType : messageType;
    messages.forEach((message, i) => checkedSerialize(type, message, `${proxy.workload.pod} message ${i}`));
    const what = `${proxy.api} stream of ${proxy.workload.ns}/${proxy.workload.pod}`;
    return { proxy, messages, ...open(proxy.api === 'v2' ? V2Client : V3Client, 'StreamAccessLogs', serverTarget, what) };
  });

  await streamAll(streams);

  const summary = {
    client: clientVersions(),
    v2Schema,
    streams: streams.map((s) => ({
      api: s.proxy.api,
      node: node(s.proxy.role, s.proxy.workload).id,
      messages: s.messages.length,
      httpEntries: s.proxy.http.length,
      tcpEntries: s.proxy.tcp.length,
    })),
    messages: streams.reduce((sum, s) => sum + s.messages.length, 0),
    entries: streams.reduce((sum, s) => sum + s.proxy.http.length + s.proxy.tcp.length, 0),
  };
  process.stdout.write(JSON.stringify(summary) + '\n');
}

await run('als-client', main);
