/**
 * containerd's Containers service over its gRPC socket, for the one thing ctr 1.6 cannot do: replace a
 * container's OCI spec (`containerd.services.containers.v1.Containers/Update`, field mask `spec` and the
 * labels named). The adapter uses it to put the environment (which may hold Secrets, multi-line ones
 * included) and the user into the spec ctr made: those values go to containerd over its socket, never on a
 * command line. gRPC is HTTP/2 with prior knowledge over the unix socket (node:http2); the messages are
 * encoded with protobufjs from the few fields used (containerd's api/services/containers/v1/containers.proto).
 */
import { connect as http2Connect, constants as h2 } from 'node:http2';
import { connect as netConnect } from 'node:net';
import protobuf from 'protobufjs/light.js';
import { RuntimeCommandError, RuntimeUnavailableError } from '../errors.js';
import { RUNTIME } from './ctr.js';

/** The type URL containerd stores an OCI spec under (typeurl of specs.Spec; the value is its JSON). */
export const OCI_SPEC_TYPE_URL = 'types.containerd.io/opencontainers/runtime-spec/1/Spec';
const UPDATE_PATH = '/containerd.services.containers.v1.Containers/Update';
const DEFAULT_SOCKET = '/run/containerd/containerd.sock';

const root = protobuf.Root.fromJSON({
  nested: {
    containerd: {
      nested: {
        Any: { fields: { typeUrl: { type: 'string', id: 1 }, value: { type: 'bytes', id: 2 } } },
        FieldMask: { fields: { paths: { rule: 'repeated', type: 'string', id: 1 } } },
        Container: {
          fields: { id: { type: 'string', id: 1 }, labels: { keyType: 'string', type: 'string', id: 2 } as protobuf.IField, spec: { type: 'Any', id: 5 } },
        },
        UpdateContainerRequest: { fields: { container: { type: 'Container', id: 1 }, updateMask: { type: 'FieldMask', id: 2 } } },
      },
    },
  },
});
const UpdateContainerRequest = root.lookupType('containerd.UpdateContainerRequest');

export interface ContainersApi {
  /** Replace the container's spec and set the labels given (others are kept). */
  updateSpec(id: string, spec: unknown, labels: Record<string, string>): Promise<void>;
}

export function createContainersApi(opts: { namespace: string; address?: string; timeoutMs?: number }): ContainersApi {
  // ctr's --address is a path, or unix://PATH
  const socket = (opts.address ?? DEFAULT_SOCKET).replace(/^unix:\/\//, '');
  return {
    async updateSpec(id, spec, labels) {
      const message = UpdateContainerRequest.create({
        container: { id, labels, spec: { typeUrl: OCI_SPEC_TYPE_URL, value: Buffer.from(JSON.stringify(spec)) } },
        updateMask: { paths: ['spec', ...Object.keys(labels).map((k) => `labels.${k}`)] },
      });
      await unaryCall(socket, UPDATE_PATH, UpdateContainerRequest.encode(message).finish(), opts.namespace, opts.timeoutMs ?? 30_000);
    },
  };
}

/** One unary gRPC call; resolves with the response message's bytes, throws with grpc-message on a non-OK status. */
export async function unaryCall(socket: string, path: string, body: Uint8Array, namespace: string, timeoutMs: number): Promise<Buffer> {
  const frame = Buffer.alloc(5 + body.length);
  frame.writeUInt32BE(body.length, 1);
  frame.set(body, 5);
  return new Promise<Buffer>((resolve, reject) => {
    const session = http2Connect('http://localhost', { createConnection: () => netConnect(socket) });
    let settled = false;
    const finish = (err: Error | undefined, value?: Buffer): void => {
      if (settled) return;
      settled = true;
      session.close();
      if (err) reject(err);
      else resolve(value!);
    };
    session.on('error', (err) =>
      finish(new RuntimeUnavailableError(RUNTIME, `cannot reach containerd at ${socket}: ${err.message}`, { cause: err })),
    );
    const req = session.request({
      [h2.HTTP2_HEADER_METHOD]: 'POST',
      [h2.HTTP2_HEADER_PATH]: path,
      'content-type': 'application/grpc',
      te: 'trailers',
      'containerd-namespace': namespace,
      'grpc-timeout': `${timeoutMs}m`,
    });
    req.setTimeout(timeoutMs, () => {
      req.close(h2.NGHTTP2_CANCEL);
      finish(new RuntimeCommandError(RUNTIME, `${path} timed out after ${timeoutMs} ms`, undefined));
    });
    const chunks: Buffer[] = [];
    let status: string | undefined;
    let grpcMessage = '';
    const readStatus = (h: Record<string, unknown>): void => {
      if (h['grpc-status'] !== undefined) status = String(h['grpc-status']);
      if (h['grpc-message'] !== undefined) grpcMessage = decodeURIComponent(String(h['grpc-message']));
    };
    req.on('response', readStatus); // a trailers-only answer (an error) carries the status in its headers
    req.on('trailers', readStatus);
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('error', (err) => finish(new RuntimeCommandError(RUNTIME, `${path}: ${err.message}`, undefined, { cause: err })));
    req.on('end', () => {
      if (status === '0') finish(undefined, Buffer.concat(chunks).subarray(5));
      else finish(new RuntimeCommandError(RUNTIME, `${path}: ${grpcMessage || `gRPC status ${status ?? 'missing'}`}`, undefined));
    });
    req.end(frame);
  });
}
