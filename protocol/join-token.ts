/**
 * The join token as handed to a device, K3s-style: `K10<ca-hash>::drover-join.<id>.<secret>`, where
 * <ca-hash> is the hex SHA-256 of the hub CA certificate's DER. The agent uses the hash to check the
 * hub it reaches before sending it anything; the hub checks the hash is its own. The bare form
 * `drover-join.<id>.<secret>` (no CA hash) is accepted only over plain MQTT on loopback.
 * Shared by the hub (hub/auth) and the agent, so it lives in the contract.
 */
export const JOIN_TOKEN_CA_PREFIX = 'K10';

export interface ParsedJoinToken {
  /** Lowercase hex SHA-256 of the hub CA certificate (DER), when the token carries one. */
  caHash?: string;
  /** The `drover-join.<id>.<secret>` part (what the hub's token store knows). */
  bare: string;
}

const PINNED = /^K10([0-9a-fA-F]{64})::(.+)$/;

/** Split a join token into its CA hash (if any) and bare part. Never throws; the bare part is not validated here. */
export function parseJoinTokenString(token: string): ParsedJoinToken {
  const trimmed = token.trim();
  const m = PINNED.exec(trimmed);
  if (!m) return { bare: trimmed };
  return { caHash: m[1]!.toLowerCase(), bare: m[2]! };
}

/** `K10<caHash>::<bare>` */
export function formatJoinTokenWithCa(caHash: string, bare: string): string {
  return `${JOIN_TOKEN_CA_PREFIX}${caHash.toLowerCase()}::${bare}`;
}

/** True for hosts that are this machine's loopback: localhost, 127.0.0.0/8, ::1. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || /^::ffff:127\./.test(h);
}
