// Bearer tokens and gateway secrets: made from 32 random bytes, shown once,
// stored only as a hash, compared in constant time.
import { createHash, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const pbkdf2Async = promisify(pbkdf2);

/** 32 random bytes, base64url, with a prefix that says what it is (and lets secret scanners find a leaked one). */
export function newSecret(prefix: string): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

/**
 * SHA-256 of a token, hex. A token is 256 random bits: nobody can guess one
 * or reverse its hash, so a slow password hash (bcrypt, scrypt) would add
 * cost to every request and no safety. Being deterministic, it is also the
 * token's lookup key.
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Whether two strings are equal, in time that does not depend on where they differ. */
export function constantTimeEqual(a: string, b: string): boolean {
  const [x, y] = [createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest()];
  return timingSafeEqual(x, y);
}

/*
 * Gateway secrets are hashed in Mosquitto's own password_file format
 * (`$7$<iterations>$<salt>$<hash>`: PBKDF2-SHA512, 12-byte salt, as
 * mosquitto_passwd writes it), so the same stored hash serves the embedded
 * broker and a production Mosquitto (npm run gateways -- mosquitto-passwd)
 * without the secret ever being kept. The secret being 256 random bits,
 * Mosquitto's default iteration count is plenty.
 */
const MOSQUITTO_ITERATIONS = 101;
const MOSQUITTO_SALT_BYTES = 12;
const MOSQUITTO_HASH_BYTES = 64;

export async function hashGatewaySecret(secret: string): Promise<string> {
  const salt = randomBytes(MOSQUITTO_SALT_BYTES);
  const hash = await pbkdf2Async(secret, salt, MOSQUITTO_ITERATIONS, MOSQUITTO_HASH_BYTES, 'sha512');
  return `$7$${MOSQUITTO_ITERATIONS}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export async function verifyGatewaySecret(secret: string | Buffer, stored: string): Promise<boolean> {
  const match = /^\$7\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(stored);
  if (!match) return false;
  const expected = Buffer.from(match[3]!, 'base64');
  const actual = await pbkdf2Async(secret, Buffer.from(match[2]!, 'base64'), Number(match[1]), expected.length, 'sha512');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
