/**
 * An app-only certificate credential from its PEM texts, checked the same way wherever one is configured (a
 * tenant, the Sentinel sink): the certificate parses, the key parses (with its passphrase) and belongs to
 * it. The key is kept as PKCS#8 PEM inside a Secret; the thumbprints are what msal-node signs with.
 */
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import type { Credential } from './load.js';
import { Secret } from './secret.js';

export type CertificateProblem = { file: 'cert_file' | 'key_file'; problem: string };

/**
 * The credential, or which file is wrong and why.
 * @example const c = certificateCredential(certPem, keyPem, undefined); if ('problem' in c) report(c.file, c.problem);
 */
export function certificateCredential(
  certText: string,
  keyText: string,
  passphrase: string | undefined,
): Extract<Credential, { kind: 'certificate' }> | CertificateProblem {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(certText);
  } catch {
    return { file: 'cert_file', problem: 'not a PEM X.509 certificate' };
  }
  let privateKeyPem: string;
  try {
    const key = createPrivateKey({ key: keyText, passphrase });
    if (!x509.checkPrivateKey(key))
      return { file: 'key_file', problem: 'this private key does not belong to cert_file' };
    privateKeyPem = key.export({ type: 'pkcs8', format: 'pem' }).toString();
  } catch {
    return {
      file: 'key_file',
      problem: 'not a readable PEM private key (set key_passphrase if it is encrypted)',
    };
  }
  return {
    kind: 'certificate',
    certificatePem: x509.toString(),
    privateKey: new Secret(privateKeyPem),
    thumbprintSha256: createHash('sha256').update(x509.raw).digest('hex'),
    thumbprintSha1: createHash('sha1').update(x509.raw).digest('hex'),
  };
}
