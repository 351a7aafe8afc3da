#!/usr/bin/env node
// An Envoy Access Log Service client that owes nothing to this repository's code: @grpc/grpc-js
// for the transport, @grpc/proto-loader (protobufjs) for the serializer, and the OFFICIAL Envoy
// protos as shipped in the @grpc/grpc-js-xds package (deps/envoy-api, deps/xds,
// deps/protoc-gen-validate, deps/googleapis).
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

import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';

const here = path.dirname(fileURLToPath(import.meta.url));
const packageDir = (name) => path.join(here, 'node_modules', ...name.split('/'));
const versionOf = (name) => JSON.parse(fs.readFileSync(path.join(packageDir(name), 'package.json'), 'utf8')).version;

const CALL_DEADLINE_MS = 30_000;

// ---------------------------------------------------------------------------------------------
// The official protos, loaded by proto-loader.

const depsDir = path.join(packageDir('@grpc/grpc-js-xds'), 'deps');
const loaderOptions = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: ['envoy-api', 'xds', 'protoc-gen-validate', 'googleapis'].map((dir) => path.join(depsDir, dir)),
};

const v3 = protoLoader.loadSync('envoy/service/accesslog/v3/als.proto', loaderOptions);
const v3Service = v3['envoy.service.accesslog.v3.AccessLogService'];

// The package ships envoy/service/accesslog/v2/als.proto but not the envoy/api/v2 files it
// imports, so the v2 service usually cannot be loaded. Its messages are wire compatible with v3
// for every field sent here (the v2 entries below use only fields that v2 has), so the v2 path
// is then served with the official v3 message types; should the package ever ship envoy/api/v2,
// the official v2 types are used.
let v2Service;
let v2MessageType;
let v2Schema;
const v2Imports = ['envoy/api/v2/core/base.proto', 'envoy/api/v2/core/address.proto'];
if (v2Imports.every((file) => loaderOptions.includeDirs.some((dir) => fs.existsSync(path.join(dir, file))))) {
  const v2 = protoLoader.loadSync('envoy/service/accesslog/v2/als.proto', loaderOptions);
  v2Service = v2['envoy.service.accesslog.v2.AccessLogService'];
  v2MessageType = v2['envoy.service.accesslog.v2.StreamAccessLogsMessage'];
  v2Schema = 'envoy.service.accesslog.v2 (official v2 messages)';
} else {
  v2Service = Object.fromEntries(
    Object.entries(v3Service).map(([name, method]) => [
      name,
      { ...method, path: method.path.replace('envoy.service.accesslog.v3.', 'envoy.service.accesslog.v2.') },
    ]),
  );
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

/**
 * Fails unless every value in `sent` survives a round trip through the official schema: protobufjs
 * silently drops fields it does not know and enum names it cannot map, so a misspelt field would
 * otherwise just go missing on the wire.
 */
function assertKept(sent, decoded, where) {
  if (sent === undefined || sent === null) {
    return;
  }
  if (sent instanceof Uint8Array) {
    if (!(decoded instanceof Uint8Array) || Buffer.compare(Buffer.from(sent), Buffer.from(decoded)) !== 0) {
      throw new Error(`${where}: bytes not kept by the official schema`);
    }
  } else if (Array.isArray(sent)) {
    if (!Array.isArray(decoded) || decoded.length !== sent.length) {
      throw new Error(`${where}: ${sent.length} items sent, ${decoded?.length} kept by the official schema`);
    }
    sent.forEach((item, i) => assertKept(item, decoded[i], `${where}[${i}]`));
  } else if (typeof sent === 'object') {
    if (typeof decoded !== 'object' || decoded === null) {
      throw new Error(`${where}: not kept by the official schema`);
    }
    for (const [key, value] of Object.entries(sent)) {
      assertKept(value, decoded[key], `${where}.${key}`);
    }
  } else if (String(sent) !== String(decoded)) {
    throw new Error(`${where}: sent ${JSON.stringify(sent)}, the official schema kept ${JSON.stringify(decoded)}`);
  }
}

/** Serializes with proto-loader's serializer after checking that nothing is lost on the way. */
function checkedSerialize(type, object, where) {
  const bytes = type.serialize(object);
  assertKept(object, type.deserialize(bytes), where);
  return bytes;
}

// ---------------------------------------------------------------------------------------------
// The mesh.

/** A workload: the pod a proxy runs in, or the peer a proxy logs. */
function workload(ns, service, version, pod, ip, serviceAccount, extraLabels = {}, workloadName = `${service}-${version}`) {
  return { ns, service, version, pod, ip, serviceAccount, workloadName, extraLabels };
}

const gateway = workload(
  'istio-system', 'istio-ingressgateway', 'latest', 'istio-ingressgateway-5c8d9f6b7d-x2k4p', '10.244.0.5',
  'istio-ingressgateway-service-account', { istio: 'ingressgateway' }, 'istio-ingressgateway');
const productpage = workload('default', 'productpage', 'v1', 'productpage-v1-7f99cc4496-abcde', '10.244.1.10', 'bookinfo-productpage');
const reviewsV1 = workload('default', 'reviews', 'v1', 'reviews-v1-5b5d6494f4-k8s2m', '10.244.1.11', 'bookinfo-reviews');
const reviewsV2 = workload('default', 'reviews', 'v2', 'reviews-v2-7d79d5bd5d-q9wlz', '10.244.1.12', 'bookinfo-reviews');
const details = workload('default', 'details', 'v1', 'details-v1-65cfcf56f9-7xq2n', '10.244.1.13', 'bookinfo-details');
const ratings = workload('default', 'ratings', 'v1', 'ratings-v1-7dc98c7588-m4dlr', '10.244.1.14', 'bookinfo-ratings');
const mysql = workload('default', 'mysql', 'v1', 'mysql-v1-6b9b8c7f5d-r2d2x', '10.244.1.15', 'bookinfo-mysql');

const EXTERNAL_CLIENT_IP = '203.0.113.7';
const CLUSTER_IPS = { productpage: '10.96.12.40', reviews: '10.96.12.41', details: '10.96.12.42', ratings: '10.96.12.43', mysql: '10.96.12.44' };

const labelsOf = (w) => ({
  app: w.service,
  version: w.version,
  'service.istio.io/canonical-name': w.service,
  'service.istio.io/canonical-revision': w.version,
  'pod-template-hash': w.pod.split('-').at(-2),
  ...w.extraLabels,
});

/**
 * A google.protobuf.Struct as a plain object. protobufjs answers the import of
 * google/protobuf/struct.proto with its bundled definition of it (same messages and field
 * numbers), whose Value fields are named in camelCase (stringValue, structValue) whatever keepCase
 * says: snake_case names would be dropped without a word. checkedSerialize below catches that.
 */
function struct(object) {
  const fields = {};
  for (const [key, value] of Object.entries(object)) {
    fields[key] = typeof value === 'string' ? { stringValue: value } : { structValue: struct(value) };
  }
  return { fields };
}

const spiffe = (w) => `spiffe://cluster.local/ns/${w.ns}/sa/${w.serviceAccount}`;

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

/** The node a proxy identifies itself with: Istio's node id and upper-case metadata. */
function node(role, w) {
  return {
    id: `${role}~${w.ip}~${w.pod}.${w.ns}~${w.ns}.svc.cluster.local`,
    cluster: `${w.service}.${w.ns}`,
    metadata: struct({
      NAME: w.pod,
      NAMESPACE: w.ns,
      WORKLOAD_NAME: w.workloadName,
      OWNER: `kubernetes://apis/apps/v1/namespaces/${w.ns}/deployments/${w.workloadName}`,
      INSTANCE_IPS: `${w.ip},fe80::1`,
      CLUSTER_ID: 'Kubernetes',
      MESH_ID: 'cluster.local',
      ISTIO_VERSION: '1.24.2',
      SERVICE_ACCOUNT: w.serviceAccount,
      LABELS: labelsOf(w),
    }),
    user_agent_name: 'envoy',
  };
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

function target(address) {
  const text = (address ?? '').trim();
  if (text.length === 0) {
    throw new Error('usage: node als-client.mjs <grpc address> (or set ALS_GRPC_ADDRESS), e.g. http://127.0.0.1:11800');
  }
  return text.replace(/^https?:\/\//, '').replace(/\/+$/, '');
}

const serverTarget = target(process.argv[2] ?? process.env.ALS_GRPC_ADDRESS);
const V3Client = grpc.makeGenericClientConstructor(v3Service, 'AccessLogService');
const V2Client = grpc.makeGenericClientConstructor(v2Service, 'AccessLogService');

/** Opens a proxy's stream on a connection of its own. */
function open(proxy) {
  const Client = proxy.api === 'v2' ? V2Client : V3Client;
  const client = new Client(serverTarget, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
  let call;
  const response = new Promise((resolve, reject) => {
    call = client.StreamAccessLogs({ deadline: Date.now() + CALL_DEADLINE_MS }, (error, value) => {
      client.close();
      if (error) {
        reject(new Error(`${proxy.api} stream of ${proxy.workload.ns}/${proxy.workload.pod}: ${error.code} ${error.details ?? error.message}`));
      } else {
        resolve(value);
      }
    });
  });
  // Awaited after the writes; marked handled now so that an early failure is not reported as an
  // unhandled rejection before then.
  response.catch(() => {});
  return { call, response };
}

/** Writes one message; fails as soon as the stream has ended, whether the write completed or not. */
function write(stream, message) {
  const written = new Promise((resolve, reject) => {
    stream.call.write(message, (error) => (error ? reject(error) : resolve()));
  });
  const ended = stream.response.then(() => {
    throw new Error('the server answered before the stream was half-closed');
  });
  return Promise.race([written, ended]);
}

async function main() {
  const streams = proxies.map((proxy) => {
    const messages = messagesOf(proxy);
    const type = proxy.api === 'v2' ? v2MessageType : messageType;
    messages.forEach((message, i) => checkedSerialize(type, message, `${proxy.workload.pod} message ${i}`));
    return { proxy, messages, ...open(proxy) };
  });

  // Like real proxies, every stream is open at once: the messages go out interleaved across
  // streams, round by round, and each stream is half-closed after its last message.
  const rounds = Math.max(...streams.map((s) => s.messages.length));
  for (let round = 0; round < rounds; round++) {
    await Promise.all(streams.filter((s) => round < s.messages.length).map((s) => write(s, s.messages[round])));
  }
  for (const s of streams) {
    s.call.end();
  }
  await Promise.all(streams.map((s) => s.response));

  const summary = {
    client: {
      '@grpc/grpc-js': versionOf('@grpc/grpc-js'),
      '@grpc/proto-loader': versionOf('@grpc/proto-loader'),
      '@grpc/grpc-js-xds': versionOf('@grpc/grpc-js-xds'),
    },
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

// A last resort against a hang: the deadlines of the calls end them well before this.
setTimeout(() => {
  process.stderr.write('als-client: still running after 90 s, giving up\n');
  process.exit(2);
}, 90_000).unref();

try {
  await main();
} catch (error) {
  process.stderr.write(`als-client: ${error?.stack ?? error}\n`);
  process.exit(1);
}
