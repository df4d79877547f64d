/**
 * `--write-config FILE`: a ready collector configuration (YAML) for the
 * emulated tenants, with the client secret in a separate 0600 file beside it,
 * referenced as `{ file: ./NAME.secret }` (secrets by reference).
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { stringify } from 'yaml';
import type { ContentType } from './content-types.js';

export interface CollectorConfigInput {
  url: string;
  tenants: readonly string[];
  clientId: string;
  clientSecret: string;
  resource: string;
  publisherId: string;
  contentTypes: readonly ContentType[];
}

/** Writes FILE and FILE's `.secret` sibling; returns the secret file's path. */
export async function writeCollectorConfig(
  file: string,
  input: CollectorConfigInput,
): Promise<{ secretFile: string }> {
  const dir = dirname(file);
  await mkdir(dir, { recursive: true });
  const secretName = `${basename(file, extname(file))}.secret`;
  const secretFile = join(dir, secretName);
  await writeFile(secretFile, `${input.clientSecret}\n`, { mode: 0o600 });
  await chmod(secretFile, 0o600);
  const config = {
    data_dir: './data',
    retention_days: 30,
    listen: '127.0.0.1:9464',
    tenants: input.tenants.map((tenantId, i) => ({
      name: `emulated-${i + 1}`,
      tenant_id: tenantId,
      endpoints: { login: input.url, api: input.url, resource: input.resource },
      client_id: input.clientId,
      client_secret: { file: `./${secretName}` },
      content_types: [...input.contentTypes],
      publisher_id: input.publisherId,
    })),
  };
  const header =
    '# Written by `atp-siem emulator --write-config`: collector settings for the emulated tenants.\n';
  await writeFile(file, header + stringify(config), 'utf8');
  return { secretFile };
}
