/**
 * A sink's `tls:` options as Node TLS connect options (syslog over TLS, and the HTTPS agent of every HTTP
 * sink): extra CA, client certificate, verification (on unless the operator turns it off), server name.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { rootCertificates, type ConnectionOptions } from 'node:tls';
import { ConnectorError } from '../api/errors.js';
import type { TlsConfig } from './config.js';

/**
 * Reads a file a sink's configuration names (relative to the config file), or throws a config error naming
 * the key (`tls.ca_file`, `certificate.key_file`) and the fix.
 */
export function readSinkFile(baseDir: string, file: string, key: string, sink: string): string {
  const full = path.resolve(baseDir, file);
  try {
    return readFileSync(full, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new ConnectorError(
      'CONFIG_INVALID',
      `sink ${sink}: cannot read ${key} ${full} (${code}); check the path, relative to the config file`,
      { stage: 'startup' },
    );
  }
}

/**
 * Connect options for `tls` (undefined: defaults, system CAs, verification on).
 * @example tls.connect({ host, port, ...tlsConnectOptions(config.tls, ctx.baseDir, config.name) })
 */
export function tlsConnectOptions(
  tls: TlsConfig | undefined,
  baseDir: string,
  sink: string,
): ConnectionOptions {
  if (tls === undefined) return {};
  const options: ConnectionOptions = { rejectUnauthorized: tls.verify };
  if (tls.caFile !== undefined)
    options.ca = [...rootCertificates, readSinkFile(baseDir, tls.caFile, 'tls.ca_file', sink)];
  if (tls.certFile !== undefined) options.cert = readSinkFile(baseDir, tls.certFile, 'tls.cert_file', sink);
  if (tls.keyFile !== undefined) options.key = readSinkFile(baseDir, tls.keyFile, 'tls.key_file', sink);
  if (tls.keyPassphrase !== undefined) options.passphrase = tls.keyPassphrase.reveal();
  if (tls.serverName !== undefined) options.servername = tls.serverName;
  return options;
}
