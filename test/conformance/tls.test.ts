/**
 * HTTPS: the same login and API served over TLS (`--tls-cert/--tls-key`),
 * for clients such as MSAL that refuse a plain-HTTP authority.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, fetch as undiciFetch } from 'undici';
import { describe, expect, it } from 'vitest';
import { emulator, makeCertificate } from './helpers.js';

describe('HTTPS', () => {
  it('serves login and API over TLS with --tls-cert/--tls-key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'atp-emu-tls-'));
    try {
      const { cert, key } = makeCertificate(dir, 'server');
      const emu = await emulator({ tls: { cert, key } });
      expect(emu.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const dispatcher = new Agent({ connect: { ca: cert } });
      const tokenRes = await undiciFetch(emu.tokenUrl(emu.tenants[0]!), {
        method: 'POST',
        dispatcher,
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: emu.clientId,
          client_secret: emu.clientSecret,
          scope: 'https://manage.office.com/.default',
        }).toString(),
      });
      const { access_token } = (await tokenRes.json()) as { access_token: string };
      const list = await undiciFetch(`${emu.apiRoot(emu.tenants[0]!)}/subscriptions/list`, {
        dispatcher,
        headers: { Authorization: `Bearer ${access_token}` },
      });
      expect(list.status).toBe(200);
      await dispatcher.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
