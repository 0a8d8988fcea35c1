/**
 * Answers in the media type the client accepts, as kube-apiserver negotiates them: JSON whenever the
 * Accept header allows it (kubectl and client-go send "application/vnd.kubernetes.protobuf,application/json"
 * and read an answer by its Content-Type), Kubernetes protobuf when it allows protobuf and nothing JSON
 * (objects of the kinds with a message in protobuf/schema.ts, their lists and Status), 406 otherwise.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from './http-io.js';
import { encodeKubernetesProtobuf, hasProtobufMessage, PROTOBUF_MEDIA_TYPE } from './protobuf/codec.js';
import { mediaTypeOf } from './request-body.js';
import { ApiError } from './status.js';

function allowsJson(mediaType: string): boolean {
  return mediaType === '*/*' || mediaType === 'application/*' || mediaType === 'application/json' || mediaType.endsWith('+json');
}

/** True when the Accept header names Kubernetes protobuf and nothing the hub could answer in JSON. */
export function acceptsOnlyProtobuf(accept: string | undefined): boolean {
  if (!accept) return false;
  const types = accept.split(',').map((t) => mediaTypeOf(t)).filter((t) => t !== '');
  return types.includes(PROTOBUF_MEDIA_TYPE) && !types.some(allowsJson);
}

function notAcceptable(accept: string, what: string): ApiError {
  return new ApiError(
    'NotAcceptable',
    `${what} is answered in application/json, which the Accept header "${accept.slice(0, 200)}" does not allow: accept application/json, alone or beside ${PROTOBUF_MEDIA_TYPE}`,
  );
}

/** Before a stream (watch, logs, exec) starts: those are JSON or text only, so a protobuf-only Accept is 406. */
export function checkStreamAcceptable(accept: string | undefined): void {
  if (acceptsOnlyProtobuf(accept)) throw notAcceptable(accept!, 'this stream');
}

/** Send a handler's answer (or an error's Status) as JSON or, when the client accepts only that, protobuf. */
export function sendReply(req: IncomingMessage, res: ServerResponse, code: number, body: unknown): void {
  const accept = req.headers.accept;
  if (!acceptsOnlyProtobuf(accept)) {
    sendJson(res, code, body);
    return;
  }
  if (!hasProtobufMessage(body)) {
    // a Table, a discovery document, a token: JSON only (406, its Status in JSON as kube-apiserver does)
    sendJson(res, 406, notAcceptable(accept!, 'this answer').toStatus());
    return;
  }
  const bytes = encodeKubernetesProtobuf(body as Record<string, unknown>);
  res.writeHead(code, { 'Content-Type': PROTOBUF_MEDIA_TYPE, 'Content-Length': bytes.length, 'Cache-Control': 'no-store' });
  res.end(bytes);
}
