/**
 * Password authentication by SCRAM-SHA-256 (RFC 5802 / 7677, as PostgreSQL does it): the password never
 * crosses the wire, and the client checks that the server knows it too. One password for every user.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { SqlError, SqlState } from '../sql/errors.js';
import { BodyReader } from './protocol/frontend-reader.js';
import type { BackendWriter } from './protocol/backend-writer.js';
import * as msg from './protocol/messages.js';

const ITERATIONS = 4096;

/** Authenticator runs one connection's authentication exchange. */
export interface Authenticator {
  start(out: BackendWriter, user: string): void;
  /** step handles a password message; true when authentication succeeded (throws FATAL 28P01 when not). */
  step(out: BackendWriter, body: Buffer): boolean;
}

function hmac(key: Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

/** scramAuthenticator makes a fresh authenticator per connection for the given password. */
export function scramAuthenticator(password: string): () => Authenticator {
  const salt = randomBytes(16);
  const salted = pbkdf2Sync(password.normalize('NFKC'), salt, ITERATIONS, 32, 'sha256');
  const storedKey = createHash('sha256').update(hmac(salted, 'Client Key')).digest();
  const serverKey = hmac(salted, 'Server Key');
  return () => {
    let user = '';
    let clientFirstBare = '';
    let serverFirst = '';
    let nonce = '';
    let stage = 0;
    const fail = (): SqlError =>
      new SqlError(SqlState.INVALID_PASSWORD, `password authentication failed for user "${user}"`, {
        severity: 'FATAL',
      });
    return {
      start(out, u) {
        user = u;
        msg.authenticationSasl(out, ['SCRAM-SHA-256']);
      },
      step(out, body) {
        const r = new BodyReader(body);
        if (stage === 0) {
          const mechanism = r.cstring();
          if (mechanism !== 'SCRAM-SHA-256')
            throw new SqlError(
              SqlState.PROTOCOL_VIOLATION,
              'client selected an invalid SASL authentication mechanism',
              { severity: 'FATAL' },
            );
          const len = r.int32();
          const first = r.bytes(len).toString('utf8');
          const m = /^([ny]),[^,]*,(.*)$/.exec(first);
          if (m === null) throw fail();
          clientFirstBare = m[2]!;
          const cnonce = /(?:^|,)r=([^,]+)/.exec(clientFirstBare)?.[1];
          if (cnonce === undefined) throw fail();
          nonce = cnonce + randomBytes(18).toString('base64');
          serverFirst = `r=${nonce},s=${salt.toString('base64')},i=${ITERATIONS}`;
          msg.authenticationSaslContinue(out, 11, serverFirst);
          stage = 1;
          return false;
        }
        const final = r.bytes(r.remaining).toString('utf8');
        const proofAt = final.lastIndexOf(',p=');
        if (proofAt < 0) throw fail();
        const withoutProof = final.slice(0, proofAt);
        if (!withoutProof.includes(`r=${nonce}`)) throw fail();
        const proof = Buffer.from(final.slice(proofAt + 3), 'base64');
        const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
        const signature = hmac(storedKey, authMessage);
        if (proof.length !== signature.length) throw fail();
        const clientKey = Buffer.alloc(proof.length);
        for (let i = 0; i < proof.length; i++) clientKey[i] = proof[i]! ^ signature[i]!;
        if (!timingSafeEqual(createHash('sha256').update(clientKey).digest(), storedKey)) throw fail();
        msg.authenticationSaslContinue(out, 12, `v=${hmac(serverKey, authMessage).toString('base64')}`);
        return true;
      },
    };
  };
}
