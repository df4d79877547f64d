import { Secret } from '../../config/secret.js';
import type { TenantConfig } from '../../config/index.js';
import type { Emulator } from '../../emulator/index.js';

/** The tenant configuration that points at an emulator's first tenant, with its client secret. */
export function tenantForEmulator(emu: Emulator, overrides: Partial<TenantConfig> = {}): TenantConfig {
  return {
    name: 'emulated',
    tenantId: emu.tenants[0]!,
    cloud: 'custom',
    endpoints: { login: emu.url, api: emu.url, resource: emu.resource, caFile: undefined },
    clientId: emu.clientId,
    credential: { kind: 'secret', secret: new Secret(emu.clientSecret) },
    contentTypes: ['Audit.General'],
    publisherId: emu.publisherId,
    ...overrides,
  };
}
