/**
 * What devices fetch from the hub's HTTPS listener before they have any credential, so without auth (what
 * they install is signed by the hub CA, and the CA itself is checked against the join token's hash):
 *   GET /install.sh               install/install.sh, its defaults (this hub's address as the device reached
 *                                 it, the MQTT port) filled in
 *   GET /ca.crt                   the hub CA certificate (PEM)
 *   GET /bundles/index.json       [{version, arch, file, size, sha256, signature}], newest first (`?arch=X` for one architecture)
 *   GET /bundles/<file>           a bundle, with Range (206/416), ETag (= "<sha256>"), If-Range, HEAD
 * Only bundle file names are served (drover-agent-<version>-linux-<arch>.tar.gz, looked up in the catalogue,
 * never joined to a path as given), so no request reaches another file.
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../protocol/logger.js';
import { BundleNotFoundError, BadBundleNameError, type BundleCatalogue } from '../bundles/index.js';
import { sendJson, sendText } from './http-io.js';
import { sendRangedFile } from './ranged-file.js';
import { failureStatus } from './status.js';

export const INSTALL_SCRIPT_PATH = '/install.sh';
export const CA_CERT_PATH = '/ca.crt';
export const BUNDLES_PATH = '/bundles/';
export const BUNDLE_INDEX_PATH = '/bundles/index.json';

export interface DeviceEndpointsOptions {
  bundles: BundleCatalogue;
  caCertPem: string;
  /** install/install.sh (read at every request). */
  installScript: string;
  /** Whether the listener is HTTPS (the script's default server is https://HOST, else http://HOST). */
  https: boolean;
  /** The broker's port and scheme devices should use, for the script's default MQTT address; none = the script asks for --hub. */
  mqtt?: () => { port: number; tls: boolean } | undefined;
  logger: Logger;
}

export interface DeviceEndpoints {
  matches(pathname: string): boolean;
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void>;
}

/** A Host header that is a plain host name or address, with an optional port: safe to put in a shell script. */
const SAFE_HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]{2,45}\])(?::(\d{1,5}))?$/;

/** Fill in the script's `DROVER_..._DEFAULT=""` lines. */
export function fillInstallScript(script: string, defaults: { server?: string; mqtt?: string }): string {
  let out = script;
  if (defaults.server) out = out.replace(/^DROVER_SERVER_DEFAULT=""/m, `DROVER_SERVER_DEFAULT="${defaults.server}"`);
  if (defaults.mqtt) out = out.replace(/^DROVER_MQTT_DEFAULT=""/m, `DROVER_MQTT_DEFAULT="${defaults.mqtt}"`);
  return out;
}

export function createDeviceEndpoints(opts: DeviceEndpointsOptions): DeviceEndpoints {
  const log = opts.logger.child({ component: 'device-files' });

  function scriptDefaults(req: IncomingMessage): { server?: string; mqtt?: string } {
    const host = req.headers.host ?? '';
    const m = SAFE_HOST.exec(host);
    if (!m) return {};
    const hostname = m[1] === undefined ? host : host.slice(0, host.length - m[1].length - 1);
    const mqtt = opts.mqtt?.();
    return {
      server: `${opts.https ? 'https' : 'http'}://${host}`,
      ...(mqtt ? { mqtt: `${mqtt.tls ? 'mqtts' : 'mqtt'}://${hostname}:${mqtt.port}` } : {}),
    };
  }

  async function serve(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const path = url.pathname;
    if (path === INSTALL_SCRIPT_PATH) {
      const script = await readFile(opts.installScript, 'utf8');
      sendText(res, 200, fillInstallScript(script, scriptDefaults(req)), 'text/x-shellscript; charset=utf-8');
      return;
    }
    if (path === CA_CERT_PATH) {
      sendText(res, 200, opts.caCertPem, 'application/x-pem-file');
      return;
    }
    if (path === BUNDLE_INDEX_PATH) {
      const arch = url.searchParams.get('arch');
      const entries = arch === null ? await opts.bundles.list() : await opts.bundles.forArch(arch);
      sendJson(res, 200, entries.map(({ path: _path, ...entry }) => entry));
      return;
    }
    const bundle = await opts.bundles.locate(path.slice(BUNDLES_PATH.length));
    log.debug({ file: bundle.file, range: req.headers.range, remote: req.socket.remoteAddress }, 'bundle download');
    await sendRangedFile(req, res, {
      path: bundle.path,
      size: bundle.size,
      etag: `"${bundle.sha256}"`,
      headers: { 'content-type': 'application/gzip', 'cache-control': 'no-cache' },
    });
  }

  return {
    matches: (pathname) => pathname === INSTALL_SCRIPT_PATH || pathname === CA_CERT_PATH || pathname.startsWith(BUNDLES_PATH),
    async handle(req, res, url) {
      const method = req.method ?? 'GET';
      if (method !== 'GET' && method !== 'HEAD') {
        res.setHeader('Allow', 'GET, HEAD');
        sendJson(res, 405, failureStatus('MethodNotAllowed', `${url.pathname} is read-only: GET or HEAD, not ${method}`));
        return;
      }
      try {
        await serve(req, res, url);
      } catch (err) {
        if (res.headersSent) {
          log.warn({ err, path: url.pathname }, 'device download failed halfway');
          res.destroy();
          return;
        }
        if (err instanceof BundleNotFoundError) {
          sendJson(res, 404, failureStatus('NotFound', err.message));
          return;
        }
        if (err instanceof BadBundleNameError) {
          log.info({ path: url.pathname.slice(0, 200), remote: req.socket.remoteAddress }, 'refused a request for a file that is not a bundle');
          sendJson(res, 404, failureStatus('NotFound', err.message));
          return;
        }
        log.error({ err, path: url.pathname }, 'device file request failed');
        sendJson(res, 500, failureStatus('InternalError', `serving ${url.pathname} failed`));
      }
    },
  };
}
