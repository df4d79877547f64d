/**
 * Tokens for the Logs Ingestion API: the client-credentials grant through the
 * same msal-node token source the Management API client uses
 * (src/api/auth.ts), pointed at the sink's authority and Azure Monitor scope
 * and sent through the sink's undici agent, so `tls.ca_file` applies to the
 * login host too. That source caches the token and renews it five minutes
 * before expiry; one acquisition at a time.
 */
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Dispatcher } from 'undici';
import { createTokenSource, type TokenSource } from '../../api/auth.js';
import { ConnectorError } from '../../api/errors.js';
import type { Credential, TenantConfig } from '../../config/index.js';
import { Secret } from '../../config/secret.js';
import type { Logger } from '../../telemetry/logger.js';
import type { SentinelSinkConfig } from './config.js';

function readFile(baseDir: string, file: string, key: string, sink: string): string {
  const full = path.resolve(baseDir, file);
  try {
    return readFileSync(full, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new ConnectorError(
      'CONFIG_INVALID',
      `sink ${sink}: cannot read certificate.${key} ${full} (${code}); check the path, relative to the config file`,
      { stage: 'startup' },
    );
  }
}

/** The app's credential, with a certificate read and checked the way the tenant loader does it. */
export function sinkCredential(config: SentinelSinkConfig, baseDir: string): Credential {
  if (config.clientSecret !== undefined) return { kind: 'secret', secret: config.clientSecret };
  const cert = config.certificate;
  if (cert === undefined)
    throw new ConnectorError('CONFIG_INVALID', `sink ${config.name}: set client_secret or certificate`, {
      stage: 'startup',
    });
  const bad = (message: string) =>
    new ConnectorError('CONFIG_INVALID', `sink ${config.name}: ${message}`, { stage: 'startup' });
  const certText = readFile(baseDir, cert.certFile, 'cert_file', config.name);
  const keyText = readFile(baseDir, cert.keyFile, 'key_file', config.name);
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(certText);
  } catch {
    throw bad('certificate.cert_file is not a PEM X.509 certificate');
  }
  let privateKeyPem: string;
  try {
    const key = createPrivateKey({ key: keyText, passphrase: cert.keyPassphrase?.reveal() });
    if (!x509.checkPrivateKey(key))
      throw bad('certificate.key_file does not belong to certificate.cert_file');
    privateKeyPem = key.export({ type: 'pkcs8', format: 'pem' }).toString();
  } catch (err) {
    if (err instanceof ConnectorError) throw err;
    throw bad(
      'certificate.key_file is not a readable PEM private key (set key_passphrase if it is encrypted)',
    );
  }
  return {
    kind: 'certificate',
    certificatePem: x509.toString(),
    privateKey: new Secret(privateKeyPem),
    thumbprintSha256: createHash('sha256').update(x509.raw).digest('hex'),
    thumbprintSha1: createHash('sha1').update(x509.raw).digest('hex'),
  };
}

/**
 * The sink's token source.
 * @example const tokens = createSinkTokenSource(config, credential, { dispatcher: agent, logger }); await tokens.getToken();
 */
export function createSinkTokenSource(
  config: SentinelSinkConfig,
  credential: Credential,
  deps: { dispatcher: Dispatcher; logger: Logger },
): TokenSource {
  // The tenant token source asks for `${resource}/.default`; the scope was checked to end so.
  const resource = config.scope.slice(0, -'/.default'.length);
  const tenant: TenantConfig = {
    name: `sink ${config.name}`,
    tenantId: config.tenantId,
    cloud: 'custom',
    endpoints: { login: config.authority, api: config.endpoint, resource, caFile: undefined },
    clientId: config.clientId,
    contentTypes: [],
    publisherId: config.tenantId,
    credential,
  };
  return createTokenSource(tenant, deps);
}
