/**
 * Entra ID token endpoints (spec §2.2–2.4): v1 and v2 client-credentials with
 * a client secret (form or Basic) or a certificate assertion (RS256/x5t,
 * PS256/x5t#S256), and Entra-style OAuth errors.
 */
import { constants, createHash, createPrivateKey, randomUUID, sign, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emulator, makeCertificate, postForm } from './helpers.js';

let dir: string;
let certPem: string;
let keyPem: string;
let otherCertPem: string;
let otherKeyPem: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'atp-emu-cert-'));
  ({ cert: certPem, key: keyPem } = makeCertificate(dir, 'collector'));
  ({ cert: otherCertPem, key: otherKeyPem } = makeCertificate(dir, 'stranger'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function thumbprint(pem: string, alg: 'sha1' | 'sha256'): string {
  return createHash(alg).update(new X509Certificate(pem).raw).digest('base64url');
}

function assertion(options: {
  clientId: string;
  aud: string;
  alg: 'RS256' | 'PS256';
  key?: string;
  cert?: string;
  nbf?: number;
  exp?: number;
}): string {
  const now = Math.floor(Date.now() / 1000);
  const cert = options.cert ?? certPem;
  const header =
    options.alg === 'RS256'
      ? { alg: 'RS256', typ: 'JWT', x5t: thumbprint(cert, 'sha1') }
      : { alg: 'PS256', typ: 'JWT', 'x5t#S256': thumbprint(cert, 'sha256') };
  const claims = {
    aud: options.aud,
    iss: options.clientId,
    sub: options.clientId,
    jti: randomUUID(),
    nbf: options.nbf ?? now,
    exp: options.exp ?? now + 600,
  };
  const enc = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
  const input = `${enc(header)}.${enc(claims)}`;
  const key = createPrivateKey(options.key ?? keyPem);
  const signature =
    options.alg === 'RS256'
      ? sign('sha256', Buffer.from(input), key)
      : sign('sha256', Buffer.from(input), { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
  return `${input}.${signature.toString('base64url')}`;
}

function claimsOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

describe('token endpoint, client secret', () => {
  it('v1 answers expires_in as a string with expires_on, not_before and resource', async () => {
    const emu = await emulator();
    const { status, body } = await postForm(emu.tokenUrl(emu.tenants[0]!, 'v1'), {
      grant_type: 'client_credentials',
      client_id: emu.clientId,
      client_secret: emu.clientSecret,
      resource: 'https://manage.office.com',
    });
    expect(status).toBe(200);
    expect(body.token_type).toBe('Bearer');
    expect(body.expires_in).toBe('3599');
    expect(typeof body.expires_on).toBe('string');
    expect(Number(body.expires_on) - Number(body.not_before)).toBe(3599);
    expect(body.resource).toBe('https://manage.office.com');
    expect(typeof body.access_token).toBe('string');
  });

  it('v2 answers numeric expires_in and ext_expires_in for scope {resource}/.default', async () => {
    const emu = await emulator({ tokenLifetimeSec: 1800 });
    const { status, body } = await postForm(emu.tokenUrl(emu.tenants[0]!, 'v2'), {
      grant_type: 'client_credentials',
      client_id: emu.clientId,
      client_secret: emu.clientSecret,
      scope: 'https://manage.office.com/.default',
    });
    expect(status).toBe(200);
    expect(body.expires_in).toBe(1800);
    expect(body.ext_expires_in).toBe(1800);
    expect(body).not.toHaveProperty('resource');
  });

  it('issues a JWT with the app-only claims: aud, iss, tid, appid, roles with ActivityFeed.Read, exp', async () => {
    const emu = await emulator();
    const tenant = emu.tenants[0]!;
    const { body } = await postForm(emu.tokenUrl(tenant, 'v2'), {
      grant_type: 'client_credentials',
      client_id: emu.clientId,
      client_secret: emu.clientSecret,
      scope: 'https://manage.office.com/.default',
    });
    const claims = claimsOf(body.access_token as string);
    expect(claims.aud).toBe('https://manage.office.com');
    expect(claims.iss).toBe(`https://sts.windows.net/${tenant}/`);
    expect(claims.tid).toBe(tenant);
    expect(claims.appid).toBe(emu.clientId);
    expect(claims.roles).toContain('ActivityFeed.Read');
    expect(claims.ver).toBe('1.0');
    expect((claims.exp as number) - (claims.iat as number)).toBe(3599);
  });

  it('accepts a verified domain in place of the tenant GUID', async () => {
    const emu = await emulator({
      tenants: [{ id: '6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b', domain: 'contoso.onmicrosoft.com' }],
    });
    const { status, body } = await postForm(emu.tokenUrl('contoso.onmicrosoft.com', 'v2'), {
      grant_type: 'client_credentials',
      client_id: emu.clientId,
      client_secret: emu.clientSecret,
      scope: 'https://manage.office.com/.default',
    });
    expect(status).toBe(200);
    expect(claimsOf(body.access_token as string).tid).toBe('6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b');
  });

  it('accepts the client secret through HTTP Basic', async () => {
    const emu = await emulator({ clientSecret: 'p@ss word+/=' });
    const basic = Buffer.from(
      `${encodeURIComponent(emu.clientId)}:${encodeURIComponent('p@ss word+/=')}`,
    ).toString('base64');
    const { status } = await postForm(
      emu.tokenUrl(emu.tenants[0]!, 'v2'),
      { grant_type: 'client_credentials', scope: 'https://manage.office.com/.default' },
      { Authorization: `Basic ${basic}` },
    );
    expect(status).toBe(200);
  });

  it('rejects a wrong secret with 401 invalid_client AADSTS7000215', async () => {
    const emu = await emulator();
    const { status, body } = await postForm(emu.tokenUrl(emu.tenants[0]!, 'v2'), {
      grant_type: 'client_credentials',
      client_id: emu.clientId,
      client_secret: 'wrong',
      scope: 'https://manage.office.com/.default',
    });
    expect(status).toBe(401);
    expect(body.error).toBe('invalid_client');
    expect(String(body.error_description)).toMatch(/^AADSTS7000215: /);
    expect(body.error_codes).toEqual([7000215]);
    expect(JSON.stringify(body)).not.toContain('wrong');
  });

  it('rejects an unknown client with 400 unauthorized_client AADSTS700016', async () => {
    const emu = await emulator();
    const { status, body } = await postForm(emu.tokenUrl(emu.tenants[0]!, 'v1'), {
      grant_type: 'client_credentials',
      client_id: '11111111-2222-4333-8444-555555555555',
      client_secret: emu.clientSecret,
      resource: 'https://manage.office.com',
    });
    expect(status).toBe(400);
    expect(body.error).toBe('unauthorized_client');
    expect(String(body.error_description)).toMatch(/^AADSTS700016: /);
  });

  it('rejects an unknown tenant with 400 AADSTS90002', async () => {
    const emu = await emulator();
    const { status, body } = await postForm(emu.tokenUrl('nowhere.onmicrosoft.com', 'v2'), {
      grant_type: 'client_credentials',
      client_id: emu.clientId,
      client_secret: emu.clientSecret,
      scope: 'https://manage.office.com/.default',
    });
    expect(status).toBe(400);
    expect(String(body.error_description)).toMatch(/^AADSTS90002: /);
  });

  it('rejects a v2 scope without /.default with 400 invalid_scope', async () => {
    const emu = await emulator();
    const { status, body } = await postForm(emu.tokenUrl(emu.tenants[0]!, 'v2'), {
      grant_type: 'client_credentials',
      client_id: emu.clientId,
      client_secret: emu.clientSecret,
      scope: 'https://manage.office.com/ActivityFeed.Read',
    });
    expect(status).toBe(400);
    expect(body.error).toBe('invalid_scope');
  });

  it('rejects a grant other than client_credentials with unsupported_grant_type', async () => {
    const emu = await emulator();
    const { status, body } = await postForm(emu.tokenUrl(emu.tenants[0]!, 'v2'), {
      grant_type: 'password',
      client_id: emu.clientId,
      client_secret: emu.clientSecret,
      scope: 'https://manage.office.com/.default',
    });
    expect(status).toBe(400);
    expect(body.error).toBe('unsupported_grant_type');
  });
});

describe('token endpoint, certificate assertion', () => {
  it('accepts an RS256 assertion identified by x5t (v1, aud = v1 token URL)', async () => {
    const emu = await emulator({ clientCertificates: [certPem] });
    const url = emu.tokenUrl(emu.tenants[0]!, 'v1');
    const { status, body } = await postForm(url, {
      grant_type: 'client_credentials',
      client_id: emu.clientId,
      resource: 'https://manage.office.com',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion({ clientId: emu.clientId, aud: url, alg: 'RS256' }),
    });
    expect(status).toBe(200);
    expect(claimsOf(body.access_token as string).appidacr).toBe('2');
  });

  it('accepts a PS256 assertion identified by x5t#S256 (v2, aud = v2 token URL)', async () => {
    const emu = await emulator({ clientCertificates: [certPem] });
    const url = emu.tokenUrl(emu.tenants[0]!, 'v2');
    const { status } = await postForm(url, {
      grant_type: 'client_credentials',
      client_id: emu.clientId,
      scope: 'https://manage.office.com/.default',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion({ clientId: emu.clientId, aud: url, alg: 'PS256' }),
    });
    expect(status).toBe(200);
  });

  it('rejects an assertion signed by an unregistered certificate (AADSTS700027)', async () => {
    const emu = await emulator({ clientCertificates: [certPem] });
    const url = emu.tokenUrl(emu.tenants[0]!, 'v2');
    const { status, body } = await postForm(url, {
      grant_type: 'client_credentials',
      client_id: emu.clientId,
      scope: 'https://manage.office.com/.default',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion({
        clientId: emu.clientId,
        aud: url,
        alg: 'RS256',
        cert: otherCertPem,
        key: otherKeyPem,
      }),
    });
    expect(status).toBe(401);
    expect(String(body.error_description)).toMatch(/^AADSTS700027: /);
  });

  it('rejects an assertion whose signature does not match the registered certificate', async () => {
    const emu = await emulator({ clientCertificates: [certPem] });
    const url = emu.tokenUrl(emu.tenants[0]!, 'v2');
    const { status, body } = await postForm(url, {
      grant_type: 'client_credentials',
      client_id: emu.clientId,
      scope: 'https://manage.office.com/.default',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      // Claims the registered thumbprint but is signed with another key.
      client_assertion: assertion({ clientId: emu.clientId, aud: url, alg: 'RS256', key: otherKeyPem }),
    });
    expect(status).toBe(401);
    expect(body.error).toBe('invalid_client');
    expect(String(body.error_description)).toMatch(/signature validation/);
  });

  it('rejects an assertion for another audience', async () => {
    const emu = await emulator({ clientCertificates: [certPem] });
    const { status, body } = await postForm(emu.tokenUrl(emu.tenants[0]!, 'v2'), {
      grant_type: 'client_credentials',
      client_id: emu.clientId,
      scope: 'https://manage.office.com/.default',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion({
        clientId: emu.clientId,
        aud: 'https://login.example.com/x/oauth2/v2.0/token',
        alg: 'RS256',
      }),
    });
    expect(status).toBe(401);
    expect(body.error).toBe('invalid_client');
  });

  it('rejects an expired assertion (AADSTS700024)', async () => {
    const emu = await emulator({ clientCertificates: [certPem] });
    const url = emu.tokenUrl(emu.tenants[0]!, 'v2');
    const past = Math.floor(Date.now() / 1000) - 3600;
    const { status, body } = await postForm(url, {
      grant_type: 'client_credentials',
      client_id: emu.clientId,
      scope: 'https://manage.office.com/.default',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion({
        clientId: emu.clientId,
        aud: url,
        alg: 'RS256',
        nbf: past - 600,
        exp: past,
      }),
    });
    expect(status).toBe(401);
    expect(String(body.error_description)).toMatch(/^AADSTS700024: /);
  });

  it('rejects an assertion whose iss/sub is another client (AADSTS700021)', async () => {
    const emu = await emulator({ clientCertificates: [certPem] });
    const url = emu.tokenUrl(emu.tenants[0]!, 'v2');
    const { status, body } = await postForm(url, {
      grant_type: 'client_credentials',
      client_id: emu.clientId,
      scope: 'https://manage.office.com/.default',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion({
        clientId: '99999999-2222-4333-8444-555555555555',
        aud: url,
        alg: 'RS256',
      }),
    });
    expect(status).toBe(401);
    expect(String(body.error_description)).toMatch(/^AADSTS700021: /);
  });
});
