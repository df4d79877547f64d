/**
 * How the Activity API treats tokens and tenants (spec §2.6, §10 "Transport /
 * auth"): the ASP.NET 401, AF10001, AF20010, AF20013, AF20011/AF20012 and the
 * audit-disabled error.
 */
import { describe, expect, it } from 'vitest';
import { api, emulator, eventually, startSubscription, token } from './helpers.js';

const DENIED = { Message: 'Authorization has been denied for this request.' };
const TENANT_A = '0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d';
const TENANT_B = '1b2c3d4e-5f6a-4b7c-9d8e-9f0a1b2c3d4e';

describe('401 for unusable bearer tokens', () => {
  it('answers a call without a token with 401, WWW-Authenticate: Bearer and the ASP.NET message', async () => {
    const emu = await emulator();
    const res = await api(emu, 'subscriptions/list', { token: null });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect(res.json()).toEqual(DENIED);
  });

  it('answers a malformed token with 401', async () => {
    const emu = await emulator();
    const res = await api(emu, 'subscriptions/list', { token: 'not-a-jwt' });
    expect(res.status).toBe(401);
    expect(res.json()).toEqual(DENIED);
  });

  it('answers a token with a forged signature with 401', async () => {
    const emu = await emulator();
    const good = await token(emu);
    const [h, c] = good.split('.');
    const res = await api(emu, 'subscriptions/list', {
      token: `${h}.${c}.${Buffer.from('forged').toString('base64url')}`,
    });
    expect(res.status).toBe(401);
  });

  it('answers a token for another audience (Graph) with 401', async () => {
    const emu = await emulator();
    const graph = await token(emu, { scope: 'https://graph.microsoft.com/.default' });
    const res = await api(emu, 'subscriptions/list', { token: graph });
    expect(res.status).toBe(401);
    expect(res.json()).toEqual(DENIED);
  });

  it('answers 401 once the token expires mid-run, and a fresh token works again', async () => {
    const emu = await emulator({ tokenLifetimeSec: 1 });
    const short = await token(emu);
    await eventually(
      async () =>
        (await api(emu, 'subscriptions/list', { token: short })).status === 401 ? true : undefined,
      5000,
    );
    const res = await api(emu, 'subscriptions/list', { token: await token(emu) });
    expect(res.status).toBe(200);
  });
});

describe('permissions (AF10001)', () => {
  it('answers AF10001 with HTTP 401 when the token lacks ActivityFeed.Read', async () => {
    const emu = await emulator({
      extraClients: [
        {
          clientId: '22222222-3333-4444-8555-666666666666',
          clientSecret: 's',
          roles: ['ServiceHealth.Read'],
        },
      ],
    });
    const bearer = await token(emu, { clientId: '22222222-3333-4444-8555-666666666666', clientSecret: 's' });
    const res = await api(emu, 'subscriptions/list', { token: bearer });
    expect(res.status).toBe(401);
    expect(res.code()).toBe('AF10001');
    expect(res.text).toContain('ServiceHealth.Read');
  });

  it('answers AF10001 for DLP.All when the token lacks ActivityFeed.ReadDlp, other content types still work', async () => {
    const emu = await emulator({
      extraClients: [
        { clientId: '33333333-3333-4444-8555-666666666666', clientSecret: 's', roles: ['ActivityFeed.Read'] },
      ],
    });
    const bearer = await token(emu, { clientId: '33333333-3333-4444-8555-666666666666', clientSecret: 's' });
    const dlp = await startSubscription(emu, 'DLP.All', undefined, bearer);
    expect(dlp.status).toBe(401);
    expect(dlp.code()).toBe('AF10001');
    expect((await startSubscription(emu, 'Audit.General', undefined, bearer)).status).toBe(200);
  });
});

describe('tenant checks', () => {
  it('answers AF20010 when the URL tenant differs from the token tid', async () => {
    const emu = await emulator({ tenants: [TENANT_A, TENANT_B] });
    const bearerA = await token(emu, { tenant: TENANT_A });
    const res = await api(emu, 'subscriptions/list', { tenant: TENANT_B, token: bearerA });
    expect(res.code()).toBe('AF20010');
    expect(res.text).toContain(TENANT_B);
    expect(res.text).toContain(TENANT_A);
  });

  it('answers AF20013 when the URL tenant is not a GUID', async () => {
    const emu = await emulator();
    const res = await api(emu, 'subscriptions/list', {
      tenant: 'contoso.onmicrosoft.com',
      token: await token(emu),
    });
    expect(res.status).toBe(400);
    expect(res.code()).toBe('AF20013');
  });

  it('switches a tenant to AF20011 (missing), AF20012 (misconfigured), audit-disabled, and back', async () => {
    const emu = await emulator();
    const bearer = await token(emu);
    emu.setTenantState(emu.tenants[0]!, 'missing');
    expect((await api(emu, 'subscriptions/list', { token: bearer })).code()).toBe('AF20011');
    emu.setTenantState(emu.tenants[0]!, 'misconfigured');
    const misconfigured = await api(emu, 'subscriptions/list', { token: bearer });
    expect(misconfigured.status).toBe(400);
    expect(misconfigured.code()).toBe('AF20012');
    emu.setTenantState(emu.tenants[0]!, 'audit-disabled');
    const off = await api(emu, 'subscriptions/list', { token: bearer });
    expect(off.text).toContain(
      `Microsoft.Office.Compliance.Audit.DataServiceException: Tenant ${emu.tenants[0]} does not exist.`,
    );
    emu.setTenantState(emu.tenants[0]!, 'active');
    expect((await api(emu, 'subscriptions/list', { token: bearer })).status).toBe(200);
  });

  it('serves many tenants at once, each with its own subscriptions', async () => {
    const emu = await emulator({ tenants: [TENANT_A, TENANT_B] });
    expect((await startSubscription(emu, 'Audit.General', TENANT_A)).status).toBe(200);
    const listB = await api(emu, 'subscriptions/list', { tenant: TENANT_B });
    expect(listB.json()).toEqual([]);
    const listA = await api(emu, 'subscriptions/list', { tenant: TENANT_A });
    expect(listA.json()).toEqual([{ contentType: 'Audit.General', status: 'enabled', webhook: null }]);
  });

  it('accepts /api/v1/ as well as /api/v1.0/', async () => {
    const emu = await emulator();
    const res = await api(emu, `${emu.url}/api/v1/${emu.tenants[0]}/activity/feed/subscriptions/list`);
    expect(res.status).toBe(200);
  });
});
