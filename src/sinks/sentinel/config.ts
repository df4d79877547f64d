/**
 * The `type: sentinel` entry of `sinks:`: where the Logs Ingestion API is
 * (endpoint, DCR immutable id, stream), who sends (an Entra ID app with a
 * secret or a certificate) and for which Azure cloud.
 */
import { z } from 'zod';
import type { Secret } from '../../config/secret.js';
import {
  checkEndpointUrl,
  commonSinkConfig,
  commonSinkShape,
  sinkSecretSchema,
  tlsSchema,
  type CommonSinkConfig,
  type TlsConfig,
} from '../config.js';

/**
 * Azure clouds: the Entra ID authority and the Logs Ingestion audience of each
 * (spec §1.1; the China authority is the one the Azure SDKs use for 21Vianet).
 */
export const AZURE_CLOUDS = {
  'azure-public': {
    authority: 'https://login.microsoftonline.com',
    scope: 'https://monitor.azure.com/.default',
  },
  'azure-us-government': {
    authority: 'https://login.microsoftonline.us',
    scope: 'https://monitor.azure.us/.default',
  },
  'azure-china': { authority: 'https://login.chinacloudapi.cn', scope: 'https://monitor.azure.cn/.default' },
} as const;
export type AzureCloud = keyof typeof AZURE_CLOUDS;
const CLOUD_NAMES = Object.keys(AZURE_CLOUDS) as [AzureCloud, ...AzureCloud[]];

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const guid = (what: string) =>
  z
    .string({ error: `set ${what} to a GUID in quotes` })
    .regex(GUID, `${what} must be a GUID like "00000000-0000-0000-0000-000000000000"`);

/** An https base URL (http only for loopback test servers), without query, fragment or credentials. */
const baseUrl = (what: string, example: string, allowPath: boolean) =>
  z.string({ error: `set ${what} to a URL such as ${example}` }).transform((text, ctx) => {
    const url = checkEndpointUrl(text, ctx, {
      what,
      example,
      credentials: 'the app credential goes in auth:',
    });
    if (url === undefined) return z.NEVER;
    if (!allowPath && url.pathname !== '/') {
      ctx.addIssue({
        code: 'custom',
        message: `${what} is the host only, such as ${example} (no tenant or path)`,
      });
      return z.NEVER;
    }
    return text.replace(/\/+$/, '');
  });

const certificateSchema = z
  .strictObject({
    cert_file: z.string({ error: 'set certificate.cert_file to the PEM certificate path' }).min(1),
    key_file: z.string({ error: 'set certificate.key_file to the PEM private key path' }).min(1),
    key_passphrase: sinkSecretSchema.optional(),
  })
  .transform((c) => ({ certFile: c.cert_file, keyFile: c.key_file, keyPassphrase: c.key_passphrase }));

export interface SentinelSinkConfig extends CommonSinkConfig {
  type: 'sentinel';
  /** DCE or Direct DCR logs ingestion URL, no trailing slash. */
  endpoint: string;
  dcrImmutableId: string;
  stream: string;
  apiVersion: string;
  tenantId: string;
  clientId: string;
  clientSecret: Secret | undefined;
  certificate: { certFile: string; keyFile: string; keyPassphrase: Secret | undefined } | undefined;
  cloud: AzureCloud;
  /** Entra ID authority host, e.g. https://login.microsoftonline.com (no tenant). */
  authority: string;
  /** `<audience>/.default`. */
  scope: string;
  tls: TlsConfig | undefined;
  gzip: boolean;
}

/**
 * @example sentinelConfigSchema.parse({ name: 'sentinel', type: 'sentinel', endpoint: 'https://dce-x.westeurope-1.ingest.monitor.azure.com', ... })
 */
export const sentinelConfigSchema = z
  .strictObject({
    ...commonSinkShape,
    type: z.literal('sentinel'),
    endpoint: baseUrl(
      'endpoint',
      'https://my-dce-abcd.westeurope-1.ingest.monitor.azure.com (the DCE or DCR logs ingestion endpoint)',
      true,
    ),
    dcr_immutable_id: z
      .string({
        error: 'set dcr_immutable_id to the immutableId of the data collection rule, dcr- and 32 hex digits',
      })
      .regex(
        /^dcr-[0-9a-f]{32}$/i,
        'dcr_immutable_id is the rule\'s immutableId ("dcr-" and 32 hex digits, on its JSON view), not its resource id',
      ),
    stream: z
      .string({ error: 'set stream to the DCR input stream, such as Custom-AtpSiemDefender' })
      .regex(
        /^Custom-[A-Za-z][A-Za-z0-9_]*$/,
        'stream is a custom stream of the DCR, "Custom-" and its name, such as Custom-AtpSiemDefender',
      ),
    api_version: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}(-preview)?$/, 'api_version looks like 2023-01-01')
      .default('2023-01-01'),
    tenant_id: guid('tenant_id'),
    client_id: guid('client_id'),
    client_secret: sinkSecretSchema.optional(),
    certificate: certificateSchema.optional(),
    cloud: z
      .enum(CLOUD_NAMES, { error: `set cloud to one of ${CLOUD_NAMES.join(', ')}` })
      .default('azure-public'),
    authority: baseUrl('authority', 'https://login.microsoftonline.com', false).optional(),
    scope: z
      .string()
      .regex(
        /^https?:\/\/\S+\/\.default$/,
        'scope is the audience and /.default, such as https://monitor.azure.com/.default',
      )
      .optional(),
    tls: tlsSchema.optional(),
    gzip: z.boolean({ error: 'set gzip to true or false' }).default(true),
  })
  .superRefine((c, ctx) => {
    if (c.client_secret !== undefined && c.certificate !== undefined)
      ctx.addIssue({ code: 'custom', message: 'set client_secret or certificate, not both' });
    if (c.client_secret === undefined && c.certificate === undefined)
      ctx.addIssue({
        code: 'custom',
        message: 'set client_secret ({ env: VAR } or { file: path }) or certificate',
      });
    if (c.format !== undefined && c.format !== 'sentinel')
      ctx.addIssue({
        code: 'custom',
        path: ['format'],
        message:
          'the sentinel sink sends the sentinel format only (its columns are the ones the DCR declares); remove format',
      });
  })
  .transform((c): SentinelSinkConfig => ({
    ...commonSinkConfig(c, 'sentinel', 'sentinel'),
    type: 'sentinel',
    endpoint: c.endpoint,
    dcrImmutableId: c.dcr_immutable_id.toLowerCase(),
    stream: c.stream,
    apiVersion: c.api_version,
    tenantId: c.tenant_id.toLowerCase(),
    clientId: c.client_id.toLowerCase(),
    clientSecret: c.client_secret,
    certificate: c.certificate,
    cloud: c.cloud,
    authority: c.authority ?? AZURE_CLOUDS[c.cloud].authority,
    scope: c.scope ?? AZURE_CLOUDS[c.cloud].scope,
    tls: c.tls,
    gzip: c.gzip,
  }));
