import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * SASL for the Kafka protocol, both sides, one implementation: PLAIN (RFC 4616) and SCRAM-SHA-256 /
 * SCRAM-SHA-512 (RFC 5802, RFC 7677) without channel binding, as Kafka has them. The broker
 * authenticates with `ScramServer`, the produce client with `ScramClient`; both share the key
 * derivation. Passwords are used as UTF-8 bytes without SASLprep, like Kafka's own ScramFormatter.
 */

export type SaslMechanism = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

export const SASL_MECHANISMS: readonly SaslMechanism[] = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'];

/** Kafka's minimum for SCRAM credentials. */
export const SCRAM_MIN_ITERATIONS = 4096;

type Hash = 'sha256' | 'sha512';

function hashOf(mechanism: Exclude<SaslMechanism, 'PLAIN'>): Hash {
  return mechanism === 'SCRAM-SHA-256' ? 'sha256' : 'sha512';
}

const hmac = (hash: Hash, key: Buffer, text: string | Buffer) => createHmac(hash, key).update(text).digest();
const digest = (hash: Hash, data: Buffer) => createHash(hash).update(data).digest();

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.allocUnsafe(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

/** What a server keeps of a SCRAM password (RFC 5802 §3): never the password itself. */
export interface ScramCredential {
  salt: Buffer;
  iterations: number;
  storedKey: Buffer;
  serverKey: Buffer;
}

function saltedPassword(hash: Hash, password: string, salt: Buffer, iterations: number): Buffer {
  return pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, hash === 'sha256' ? 32 : 64, hash);
}

export function scramCredential(
  mechanism: Exclude<SaslMechanism, 'PLAIN'>,
  password: string,
  iterations = SCRAM_MIN_ITERATIONS,
  salt: Buffer = randomBytes(16),
): ScramCredential {
  const hash = hashOf(mechanism);
  const salted = saltedPassword(hash, password, salt, iterations);
  return {
    salt,
    iterations,
    storedKey: digest(hash, hmac(hash, salted, 'Client Key')),
    serverKey: hmac(hash, salted, 'Server Key'),
  };
}

/** `saslname` escaping (RFC 5802 §5.1): ',' and '=' in user names. */
const escapeName = (name: string) => name.replaceAll('=', '=3D').replaceAll(',', '=2C');
const unescapeName = (name: string) => name.replaceAll('=2C', ',').replaceAll('=3D', '=');

/** A message's `k=v` attributes. */
function attributes(message: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of message.split(',')) {
    const at = part.indexOf('=');
    if (at === 1) out.set(part[0]!, part.slice(2));
  }
  return out;
}

export class SaslError extends Error {}

/** The client side of one SCRAM exchange: `first()`, then `final(serverFirst)`, then `verify(serverFinal)`. */
export class ScramClient {
  readonly #hash: Hash;
  readonly #nonce: string;
  #authMessage = '';
  #serverSignature: Buffer | undefined;

  constructor(
    mechanism: Exclude<SaslMechanism, 'PLAIN'>,
    readonly username: string,
    readonly password: string,
    nonce: string = randomBytes(18).toString('base64'),
  ) {
    this.#hash = hashOf(mechanism);
    this.#nonce = nonce;
  }

  #firstBare(): string {
    return `n=${escapeName(this.username)},r=${this.#nonce}`;
  }

  /** client-first-message: no channel binding, no authzid. */
  first(): string {
    return `n,,${this.#firstBare()}`;
  }

  /** client-final-message for the server's first message. */
  final(serverFirst: string): string {
    const a = attributes(serverFirst);
    if (a.has('e')) throw new SaslError(`server refused: ${a.get('e')}`);
    const nonce = a.get('r');
    const salt = a.get('s');
    const iterations = Number(a.get('i'));
    if (nonce === undefined || !nonce.startsWith(this.#nonce) || nonce.length === this.#nonce.length)
      throw new SaslError('server nonce does not extend ours');
    if (salt === undefined || !(iterations >= 1))
      throw new SaslError('server-first-message without salt or iterations');
    const withoutProof = `c=biws,r=${nonce}`;
    this.#authMessage = `${this.#firstBare()},${serverFirst},${withoutProof}`;
    const salted = saltedPassword(this.#hash, this.password, Buffer.from(salt, 'base64'), iterations);
    const clientKey = hmac(this.#hash, salted, 'Client Key');
    const signature = hmac(this.#hash, digest(this.#hash, clientKey), this.#authMessage);
    this.#serverSignature = hmac(this.#hash, hmac(this.#hash, salted, 'Server Key'), this.#authMessage);
    return `${withoutProof},p=${xor(clientKey, signature).toString('base64')}`;
  }

  /** Checks the server-final-message: the server proved it knows the credential too. */
  verify(serverFinal: string): void {
    const a = attributes(serverFinal);
    if (a.has('e')) throw new SaslError(`server refused: ${a.get('e')}`);
    const v = Buffer.from(a.get('v') ?? '', 'base64');
    if (this.#serverSignature === undefined || v.length !== this.#serverSignature.length)
      throw new SaslError('server signature missing');
    if (!timingSafeEqual(v, this.#serverSignature)) throw new SaslError('server signature does not match');
  }
}

/**
 * The server side of one SCRAM exchange. `first(clientFirst)` answers the client's first message
 * (an unknown user gets a made-up salt, so the exchange fails only at the proof and does not tell
 * who exists); `final(clientFinal)` checks the proof and returns the server-final-message and the
 * authenticated user, or throws `SaslError`.
 */
export class ScramServer {
  readonly #hash: Hash;
  #user: string | undefined;
  #credential: ScramCredential | undefined;
  #firstBare = '';
  #serverFirst = '';
  #nonce = '';

  constructor(
    mechanism: Exclude<SaslMechanism, 'PLAIN'>,
    readonly lookup: (user: string) => ScramCredential | undefined,
    readonly serverNonce: () => string = () => randomBytes(18).toString('base64'),
  ) {
    this.#hash = hashOf(mechanism);
  }

  first(clientFirst: string): string {
    if (!clientFirst.startsWith('n,')) throw new SaslError('channel binding is not supported');
    const bare = clientFirst.slice(clientFirst.indexOf(',', 2) + 1);
    const a = attributes(bare);
    const user = a.get('n');
    const nonce = a.get('r');
    if (user === undefined || nonce === undefined || nonce.length === 0)
      throw new SaslError('client-first-message without user or nonce');
    this.#user = unescapeName(user);
    this.#credential = this.lookup(this.#user);
    const salt =
      this.#credential?.salt ?? digest(this.#hash, Buffer.from(`hexcast:${this.#user}`)).subarray(0, 16);
    const iterations = this.#credential?.iterations ?? SCRAM_MIN_ITERATIONS;
    this.#firstBare = bare;
    this.#nonce = nonce + this.serverNonce();
    this.#serverFirst = `r=${this.#nonce},s=${salt.toString('base64')},i=${iterations}`;
    return this.#serverFirst;
  }

  final(clientFinal: string): { serverFinal: string; user: string } {
    const a = attributes(clientFinal);
    const proof = Buffer.from(a.get('p') ?? '', 'base64');
    // Kafka checks that the final nonce ends with ours (ScramSaslServer): librdkafka sends its
    // client nonce in front of the server's whole nonce (which already starts with it).
    if (!(a.get('r') ?? '').endsWith(this.#nonce)) throw new SaslError('nonce mismatch');
    if (a.get('c') !== 'biws') throw new SaslError('channel binding is not supported');
    const credential = this.#credential;
    if (credential === undefined || proof.length !== credential.storedKey.length)
      throw new SaslError('authentication failed: invalid credentials');
    const withoutProof = clientFinal.slice(0, clientFinal.lastIndexOf(',p='));
    const authMessage = `${this.#firstBare},${this.#serverFirst},${withoutProof}`;
    const clientKey = xor(proof, hmac(this.#hash, credential.storedKey, authMessage));
    if (!timingSafeEqual(digest(this.#hash, clientKey), credential.storedKey))
      throw new SaslError('authentication failed: invalid credentials');
    const signature = hmac(this.#hash, credential.serverKey, authMessage);
    return { serverFinal: `v=${signature.toString('base64')}`, user: this.#user! };
  }
}

/** PLAIN's one message: authzid NUL authcid NUL password. */
export function plainMessage(username: string, password: string): Buffer {
  return Buffer.from(`\0${username}\0${password}`, 'utf8');
}

export function parsePlainMessage(message: Buffer): { username: string; password: string } {
  const parts = message.toString('utf8').split('\0');
  if (parts.length !== 3 || parts[1] === '') throw new SaslError('malformed PLAIN message');
  if (parts[0] !== '' && parts[0] !== parts[1])
    throw new SaslError('authorization as another user is not supported');
  return { username: parts[1]!, password: parts[2]! };
}
