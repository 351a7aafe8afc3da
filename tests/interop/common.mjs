// What the interop clients (als-client.mjs, metrics-client.mjs) share: where the official Envoy
// protos of @grpc/grpc-js-xds are, the checked serializer, the Bookinfo mesh's workloads and the
// node they identify with, and client streaming over @grpc/grpc-js. Nothing here comes from this
// repository's C# code.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import grpc from '@grpc/grpc-js';

const here = path.dirname(fileURLToPath(import.meta.url));
const packageDir = (name) => path.join(here, 'node_modules', ...name.split('/'));
const versionOf = (name) => JSON.parse(fs.readFileSync(path.join(packageDir(name), 'package.json'), 'utf8')).version;

/** The client packages' exact versions, for the summaries. */
export const clientVersions = () => ({
  '@grpc/grpc-js': versionOf('@grpc/grpc-js'),
  '@grpc/proto-loader': versionOf('@grpc/proto-loader'),
  '@grpc/grpc-js-xds': versionOf('@grpc/grpc-js-xds'),
});

export const CALL_DEADLINE_MS = 30_000;

// ---------------------------------------------------------------------------------------------
// The official protos, as @grpc/grpc-js-xds ships them (deps/envoy-api, deps/xds,
// deps/protoc-gen-validate, deps/googleapis).

/** The package's include directories for the official Envoy API. */
export const envoyIncludeDirs = ['envoy-api', 'xds', 'protoc-gen-validate', 'googleapis']
  .map((dir) => path.join(packageDir('@grpc/grpc-js-xds'), 'deps', dir));

/** proto-loader options over the official protos; `firstIncludeDirs` are searched before the package's. */
export function loaderOptions(firstIncludeDirs = []) {
  return {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
    includeDirs: [...firstIncludeDirs, ...envoyIncludeDirs],
  };
}

/** True when every file is found in one of the include directories. */
export const allFound = (files, includeDirs) => files.every((file) => includeDirs.some((dir) => fs.existsSync(path.join(dir, file))));

/**
 * A service definition with every method moved from one package's path to another's, e.g. the
 * v3 messages served on the v2 path when the package cannot load the official v2 service.
 */
export function onPath(service, fromPackage, toPackage) {
  return Object.fromEntries(
    Object.entries(service).map(([name, method]) => [name, { ...method, path: method.path.replace(`/${fromPackage}.`, `/${toPackage}.`) }]),
  );
}

/**
 * Fails unless every value in `sent` survives a round trip through the official schema: protobufjs
 * silently drops fields it does not know and enum names it cannot map, so a misspelt field would
 * otherwise just go missing on the wire.
 */
export function assertKept(sent, decoded, where) {
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
export function checkedSerialize(type, object, where) {
  if (!type || typeof type.serialize !== 'function') {
    throw new Error(`${where}: no message type to serialize with`);
  }
  const bytes = type.serialize(object);
  assertKept(object, type.deserialize(bytes), where);
  return bytes;
}

// ---------------------------------------------------------------------------------------------
// The mesh.

/** A workload: the pod a proxy runs in, or the peer a proxy logs. */
export function workload(ns, service, version, pod, ip, serviceAccount, extraLabels = {}, workloadName = `${service}-${version}`) {
  return { ns, service, version, pod, ip, serviceAccount, workloadName, extraLabels };
}

export const gateway = workload(
  'istio-system', 'istio-ingressgateway', 'latest', 'istio-ingressgateway-5c8d9f6b7d-x2k4p', '10.244.0.5',
  'istio-ingressgateway-service-account', { istio: 'ingressgateway' }, 'istio-ingressgateway');
export const productpage = workload('default', 'productpage', 'v1', 'productpage-v1-7f99cc4496-abcde', '10.244.1.10', 'bookinfo-productpage');
export const reviewsV1 = workload('default', 'reviews', 'v1', 'reviews-v1-5b5d6494f4-k8s2m', '10.244.1.11', 'bookinfo-reviews');
export const reviewsV2 = workload('default', 'reviews', 'v2', 'reviews-v2-7d79d5bd5d-q9wlz', '10.244.1.12', 'bookinfo-reviews');
export const details = workload('default', 'details', 'v1', 'details-v1-65cfcf56f9-7xq2n', '10.244.1.13', 'bookinfo-details');
export const ratings = workload('default', 'ratings', 'v1', 'ratings-v1-7dc98c7588-m4dlr', '10.244.1.14', 'bookinfo-ratings');
export const mysql = workload('default', 'mysql', 'v1', 'mysql-v1-6b9b8c7f5d-r2d2x', '10.244.1.15', 'bookinfo-mysql');

export const labelsOf = (w) => ({
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
 * says: snake_case names would be dropped without a word. checkedSerialize catches that.
 */
export function struct(object) {
  const fields = {};
  for (const [key, value] of Object.entries(object)) {
    fields[key] = typeof value === 'string' ? { stringValue: value } : { structValue: struct(value) };
  }
  return { fields };
}

export const spiffe = (w) => `spiffe://cluster.local/ns/${w.ns}/sa/${w.serviceAccount}`;

/** The node a proxy identifies itself with: Istio's node id and upper-case metadata. */
export function node(role, w) {
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
// Streaming.

/** host:port for grpc-js from an address such as http://127.0.0.1:11800. */
export function target(address, usage) {
  const text = (address ?? '').trim();
  if (text.length === 0) {
    throw new Error(usage);
  }
  return text.replace(/^https?:\/\//, '').replace(/\/+$/, '');
}

/**
 * Cleartext by default; TLS when ALS_TLS_CA names the CA to trust, with a client certificate
 * when ALS_TLS_CERT and ALS_TLS_KEY name one (PEM files).
 */
function credentials() {
  const ca = process.env.ALS_TLS_CA;
  if (!ca) {
    return grpc.credentials.createInsecure();
  }
  const cert = process.env.ALS_TLS_CERT;
  const key = process.env.ALS_TLS_KEY;
  return grpc.credentials.createSsl(
    fs.readFileSync(ca),
    key ? fs.readFileSync(key) : null,
    cert ? fs.readFileSync(cert) : null);
}

/**
 * Opens a client-streaming call `methodName` on a connection of its own (a fresh subchannel
 * pool, as every proxy has its own connection). `what` names the stream in errors.
 */
export function open(Client, methodName, serverTarget, what) {
  const client = new Client(serverTarget, credentials(), { 'grpc.use_local_subchannel_pool': 1 });
  let call;
  const response = new Promise((resolve, reject) => {
    call = client[methodName]({ deadline: Date.now() + CALL_DEADLINE_MS }, (error, value) => {
      client.close();
      if (error) {
        reject(new Error(`${what}: ${error.code} ${error.details ?? error.message}`));
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
export function write(stream, message) {
  const written = new Promise((resolve, reject) => {
    stream.call.write(message, (error) => (error ? reject(error) : resolve()));
  });
  const ended = stream.response.then(() => {
    throw new Error('the server answered before the stream was half-closed');
  });
  return Promise.race([written, ended]);
}

/**
 * Like real proxies, every stream is open at once: the messages go out interleaved across
 * streams, round by round, and each stream is half-closed after its last message. Resolves when
 * the server has answered every stream.
 */
export async function streamAll(streams) {
  const rounds = Math.max(...streams.map((s) => s.messages.length));
  for (let round = 0; round < rounds; round++) {
    await Promise.all(streams.filter((s) => round < s.messages.length).map((s) => write(s, s.messages[round])));
  }
  for (const s of streams) {
    s.call.end();
  }
  await Promise.all(streams.map((s) => s.response));
}

/** Runs `main`; exits non-zero on any error, or after 90 s as a last resort against a hang. */
export async function run(name, main) {
  // The deadlines of the calls end them well before this.
  setTimeout(() => {
    process.stderr.write(`${name}: still running after 90 s, giving up\n`);
    process.exit(2);
  }, 90_000).unref();

  try {
    await main();
  } catch (error) {
    process.stderr.write(`${name}: ${error?.stack ?? error}\n`);
    process.exit(1);
  }
}
