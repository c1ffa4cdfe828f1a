import { timingSafeEqual } from 'node:crypto';
import {
  KafkaError,
  parsePlainMessage,
  SASL_MECHANISMS,
  SaslError,
  type SaslMechanism,
  type ScramCredential,
  ScramServer,
  scramCredential,
} from '../kafka-protocol/index.js';

/**
 * The broker's SASL users: SCRAM credentials derived at start (salted, never the passwords), for
 * SCRAM-SHA-256, SCRAM-SHA-512 and PLAIN (a PLAIN password is checked against the SCRAM-SHA-256
 * credential). One `SaslSession` per connection walks a client through SaslHandshake and
 * SaslAuthenticate.
 */
export class SaslUsers {
  readonly #credentials = new Map<SaslMechanism, Map<string, ScramCredential>>();

  constructor(
    users: Readonly<Record<string, string>>,
    readonly mechanisms: readonly SaslMechanism[] = SASL_MECHANISMS,
  ) {
    for (const mechanism of ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const) {
      const byUser = new Map<string, ScramCredential>();
      for (const [user, password] of Object.entries(users))
        byUser.set(user, scramCredential(mechanism, password));
      this.#credentials.set(mechanism, byUser);
    }
  }

  scram(mechanism: Exclude<SaslMechanism, 'PLAIN'>, user: string): ScramCredential | undefined {
    return this.#credentials.get(mechanism)!.get(user);
  }

  checkPlain(user: string, password: string): boolean {
    const known = this.scram('SCRAM-SHA-256', user);
    if (known === undefined) return false;
    const offered = scramCredential('SCRAM-SHA-256', password, known.iterations, known.salt);
    return timingSafeEqual(offered.storedKey, known.storedKey);
  }

  session(): SaslSession {
    return new SaslSession(this);
  }
}

export interface SaslStep {
  errorCode: number;
  errorMessage: string | null;
  authBytes: Buffer;
}

/** One connection's authentication: handshake, then one (PLAIN) or two (SCRAM) authenticate steps. */
export class SaslSession {
  #mechanism: SaslMechanism | undefined;
  #scram: ScramServer | undefined;
  #scramStep = 0;
  /** The authenticated user, once authenticated. */
  user: string | undefined;
  /** A failed step: the connection is closed after its response, as Kafka does. */
  failed = false;

  constructor(readonly users: SaslUsers) {}

  get authenticated(): boolean {
    return this.user !== undefined;
  }

  handshake(mechanism: string): number {
    if (this.#mechanism !== undefined || this.authenticated) return KafkaError.ILLEGAL_SASL_STATE;
    if (!this.users.mechanisms.includes(mechanism as SaslMechanism))
      return KafkaError.UNSUPPORTED_SASL_MECHANISM;
    this.#mechanism = mechanism as SaslMechanism;
    return KafkaError.NONE;
  }

  authenticate(bytes: Buffer): SaslStep {
    const mechanism = this.#mechanism;
    if (mechanism === undefined || this.authenticated) {
      this.failed = true;
      return {
        errorCode: KafkaError.ILLEGAL_SASL_STATE,
        errorMessage: 'SaslAuthenticate before SaslHandshake',
        authBytes: Buffer.alloc(0),
      };
    }
    try {
      if (mechanism === 'PLAIN') {
        const { username, password } = parsePlainMessage(bytes);
        if (!this.users.checkPlain(username, password)) throw new SaslError('invalid credentials');
        this.user = username;
        return { errorCode: KafkaError.NONE, errorMessage: null, authBytes: Buffer.alloc(0) };
      }
      if (this.#scramStep === 0) {
        this.#scram = new ScramServer(mechanism, (user) => this.users.scram(mechanism, user));
        this.#scramStep = 1;
        return {
          errorCode: KafkaError.NONE,
          errorMessage: null,
          authBytes: Buffer.from(this.#scram.first(bytes.toString('utf8'))),
        };
      }
      const { serverFinal, user } = this.#scram!.final(bytes.toString('utf8'));
      this.user = user;
      return { errorCode: KafkaError.NONE, errorMessage: null, authBytes: Buffer.from(serverFinal) };
    } catch (error) {
      this.failed = true;
      const why = error instanceof SaslError ? error.message : 'malformed message';
      return {
        errorCode: KafkaError.SASL_AUTHENTICATION_FAILED,
        // Kafka's wording, which clients show as is.
        errorMessage: `Authentication failed during authentication due to invalid credentials with SASL mechanism ${mechanism} (${why})`,
        authBytes: Buffer.alloc(0),
      };
    }
  }
}
