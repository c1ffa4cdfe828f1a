import { KafkaError, Writer } from '../../kafka-protocol/index.js';
import { type ApiHandler, responseWriter } from '../context.js';

/** SaslHandshake v1: the mechanism for the SaslAuthenticate steps that follow, and the ones enabled. */
export const saslHandshake: ApiHandler = (_ctx, r, _header, client) => {
  const mechanism = r.string();
  const session = client.sasl;
  const errorCode = session === null ? KafkaError.ILLEGAL_SASL_STATE : session.handshake(mechanism);
  return new Writer().int16(errorCode).array([...(session?.users.mechanisms ?? [])], (w, m) => w.string(m));
};

/** SaslAuthenticate v0–v2: one step of the exchange; a failed step closes the connection after its answer. */
export const saslAuthenticate: ApiHandler = (_ctx, r, header, client) => {
  const bytes = r.bytes();
  const session = client.sasl;
  const step =
    session === null
      ? {
          errorCode: KafkaError.ILLEGAL_SASL_STATE,
          errorMessage: 'SASL is not enabled',
          authBytes: Buffer.alloc(0),
        }
      : session.authenticate(bytes);
  const w = responseWriter(header)
    .int16(step.errorCode)
    .nullableString(step.errorMessage)
    .bytes(step.authBytes);
  if (header.apiVersion >= 1) w.int64(0); // session_lifetime_ms: sessions do not expire
  return w;
};
