// Webhook secrets at rest. Unlike operators' tokens and gateways' secrets,
// which are checked against a hash, a webhook secret is needed itself: every
// delivery is signed with it (HMAC-SHA256). So it is sealed — AES-256-GCM
// with a key that is not in the database (WEBHOOK_SECRET_KEY, or a key file
// in DATA_DIR, as n8n does with N8N_ENCRYPTION_KEY) — and a copy of the
// database or of a backup alone does not let anyone forge alerts.
// Sealed: `v1.<key id>.<iv>.<tag>.<ciphertext>`, base64url; the key id (the
// first 8 bytes of the key's SHA-256) tells a secret sealed under another key
// apart from a damaged one.
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const WEBHOOK_KEY_FILE = 'webhook-secret.key';

export interface WebhookSecretsOptions {
  /** WEBHOOK_SECRET_KEY: any string of 32 characters or more, the same on every instance. */
  key?: string | undefined;
  /** Where the key file is kept when no key is given (DATA_DIR). */
  dataDir: string;
}

/** A secret sealed under another key than this instance's, or damaged. */
export class SealedSecretError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SealedSecretError';
  }
}

const b64 = (buffer: Buffer) => buffer.toString('base64url');

export class WebhookSecrets {
  private key: Buffer | undefined;
  /** Where the key came from, for the log. */
  source: 'WEBHOOK_SECRET_KEY' | 'key file' | undefined;

  constructor(private readonly options: WebhookSecretsOptions) {}

  /** The key: derived from WEBHOOK_SECRET_KEY, else read from (or, the first time, written to) the key file. */
  private keyOf(create: boolean): Buffer {
    if (this.key) return this.key;
    if (this.options.key !== undefined) {
      this.key = Buffer.from(hkdfSync('sha256', this.options.key, 'kongwei', 'webhook secrets v1', 32));
      this.source = 'WEBHOOK_SECRET_KEY';
      return this.key;
    }
    const path = join(this.options.dataDir, WEBHOOK_KEY_FILE);
    try {
      this.key = Buffer.from(readFileSync(path, 'utf8').trim(), 'base64url');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || !create) {
        throw new SealedSecretError(`cannot read the webhook key file ${path} (${(err as Error).message}); set WEBHOOK_SECRET_KEY or restore the file`);
      }
      const fresh = randomBytes(32);
      try {
        // 'wx': two processes on one DATA_DIR making it at once — the second reads the first's.
        writeFileSync(path, `${b64(fresh)}\n`, { flag: 'wx', mode: 0o600 });
        chmodSync(path, 0o600);
        this.key = fresh;
      } catch (raced) {
        if ((raced as NodeJS.ErrnoException).code !== 'EEXIST') throw raced;
        this.key = Buffer.from(readFileSync(path, 'utf8').trim(), 'base64url');
      }
    }
    if (this.key.length !== 32) throw new SealedSecretError(`the webhook key file ${path} does not hold a 32-byte key`);
    this.source = 'key file';
    return this.key;
  }

  private keyId(key: Buffer): string {
    return b64(createHash('sha256').update(key).digest().subarray(0, 8));
  }

  seal(secret: string): string {
    const key = this.keyOf(true);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    const sealed = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return ['v1', this.keyId(key), b64(iv), b64(cipher.getAuthTag()), b64(sealed)].join('.');
  }

  open(sealed: string): string {
    const [version, keyId, iv, tag, data] = sealed.split('.');
    if (version !== 'v1' || !keyId || !iv || !tag || data === undefined) throw new SealedSecretError('the stored webhook secret is damaged');
    const key = this.keyOf(false);
    if (keyId !== this.keyId(key)) {
      throw new SealedSecretError('the webhook secret was sealed with another key: set WEBHOOK_SECRET_KEY to the same value on every instance (or restore the key file)');
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new SealedSecretError('the stored webhook secret is damaged (it does not authenticate)');
    }
  }
}
