/**
 * Test certificates made with the openssl CLI: a CA, a server certificate
 * for 127.0.0.1 signed by it, and a self-signed client certificate (the app's
 * credential). File names are relative to `dir`.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

export interface TestPki {
  caCert: 'ca.pem';
  caKey: 'ca.key';
  serverCert: 'server.pem';
  serverKey: 'server.key';
  clientCert: 'client.pem';
  clientKey: 'client.key';
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}

/** A self-signed RSA-2048 certificate and its unencrypted key. */
export function selfSigned(dir: string, cert: string, key: string, subject: string): void {
  openssl(dir, [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    key,
    '-out',
    cert,
    '-days',
    '2',
    '-subj',
    subject,
  ]);
}

/** Creates the CA, the 127.0.0.1 server certificate and the client certificate in `dir`. */
export function makeTestPki(dir: string, parts: { server?: boolean; client?: boolean } = {}): TestPki {
  selfSigned(dir, 'ca.pem', 'ca.key', '/CN=atp-siem test CA');
  if (parts.server ?? true) {
    openssl(dir, [
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'server.key',
      '-out',
      'server.csr',
      '-subj',
      '/CN=127.0.0.1',
    ]);
    writeFileSync(path.join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
    openssl(dir, [
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'server.pem',
      '-days',
      '2',
      '-extfile',
      'san.ext',
    ]);
  }
  if (parts.client ?? true) selfSigned(dir, 'client.pem', 'client.key', '/CN=atp-siem client');
  return {
    caCert: 'ca.pem',
    caKey: 'ca.key',
    serverCert: 'server.pem',
    serverKey: 'server.key',
    clientCert: 'client.pem',
    clientKey: 'client.key',
  };
}
