/**
 * Tokens for the Logs Ingestion API: the client-credentials grant through the
 * same msal-node token source the Management API client uses
 * (src/api/auth.ts), pointed at the sink's authority and Azure Monitor scope
 * and sent through the sink's undici agent, so `tls.ca_file` applies to the
 * login host too. That source caches the token and renews it five minutes
 * before expiry; one acquisition at a time.
 */
import type { Dispatcher } from 'undici';
import { createTokenSource, type TokenSource } from '../../api/auth.js';
import { ConnectorError } from '../../api/errors.js';
import { certificateCredential } from '../../config/certificate.js';
import type { Credential, TenantConfig } from '../../config/index.js';
import type { Logger } from '../../telemetry/logger.js';
import { readSinkFile } from '../tls.js';
import type { SentinelSinkConfig } from './config.js';

/** The app's credential, with a certificate read and checked the way the tenant loader does it. */
export function sinkCredential(config: SentinelSinkConfig, baseDir: string): Credential {
  if (config.clientSecret !== undefined) return { kind: 'secret', secret: config.clientSecret };
  const cert = config.certificate;
  if (cert === undefined)
    throw new ConnectorError('CONFIG_INVALID', `sink ${config.name}: set client_secret or certificate`, {
      stage: 'startup',
    });
  const certText = readSinkFile(baseDir, cert.certFile, 'certificate.cert_file', config.name);
  const keyText = readSinkFile(baseDir, cert.keyFile, 'certificate.key_file', config.name);
  const credential = certificateCredential(certText, keyText, cert.keyPassphrase?.reveal());
  if ('problem' in credential)
    throw new ConnectorError(
      'CONFIG_INVALID',
      `sink ${config.name}: certificate.${credential.file}: ${credential.problem}`,
      {
        stage: 'startup',
      },
    );
  return credential;
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
