/**
 * The emulated Entra ID directory: tenants (GUID plus a verified domain, with a
 * switchable state) and the client applications consented in all of them
 * (secrets, certificates, application roles).
 */
import { createHash, X509Certificate, type KeyObject } from 'node:crypto';
import { GUID_RE } from './random.js';

/**
 * `active` answers normally; `missing` → AF20011, `misconfigured` → AF20012,
 * `audit-disabled` → the DataServiceException error seen when unified audit
 * logging is switched off.
 */
export type TenantState = 'active' | 'missing' | 'misconfigured' | 'audit-disabled';
export const TENANT_STATES: readonly TenantState[] = ['active', 'missing', 'misconfigured', 'audit-disabled'];

export interface Tenant {
  id: string;
  domain: string;
  state: TenantState;
}

export interface RegisteredCertificate {
  /** base64url SHA-1 of the DER certificate (`x5t`). */
  sha1: string;
  /** base64url SHA-256 of the DER certificate (`x5t#S256`). */
  sha256: string;
  publicKey: KeyObject;
}

export interface ClientApp {
  clientId: string;
  secrets: string[];
  certificates: RegisteredCertificate[];
  /** Application roles granted on "Office 365 Management APIs". */
  roles: string[];
}

export const DEFAULT_ROLES = ['ActivityFeed.Read', 'ActivityFeed.ReadDlp', 'ServiceHealth.Read'];

export function registerCertificate(pem: string): RegisteredCertificate {
  const cert = new X509Certificate(pem);
  return {
    sha1: createHash('sha1').update(cert.raw).digest('base64url'),
    sha256: createHash('sha256').update(cert.raw).digest('base64url'),
    publicKey: cert.publicKey,
  };
}

export class Directory {
  private readonly tenants = new Map<string, Tenant>();
  private readonly clients = new Map<string, ClientApp>();

  addTenant(tenant: Tenant): void {
    if (!GUID_RE.test(tenant.id)) throw new Error(`tenant id must be a GUID, got "${tenant.id}"`);
    this.tenants.set(tenant.id.toLowerCase(), tenant);
  }

  addClient(client: ClientApp): void {
    this.clients.set(client.clientId.toLowerCase(), client);
  }

  allTenants(): Tenant[] {
    return [...this.tenants.values()];
  }

  tenant(id: string): Tenant | undefined {
    return this.tenants.get(id.toLowerCase());
  }

  /** `{tenant}` in a token URL may be the GUID or a verified domain. */
  resolveTenant(idOrDomain: string): Tenant | undefined {
    const key = idOrDomain.toLowerCase();
    return this.tenants.get(key) ?? [...this.tenants.values()].find((t) => t.domain.toLowerCase() === key);
  }

  client(clientId: string): ClientApp | undefined {
    return this.clients.get(clientId.toLowerCase());
  }
}
